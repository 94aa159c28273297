"""Spread CPU-heavy, independent work (share cards, image variants, the privacy guard and
output scan on a cold build) over the CPUs.

Only cold builds have much to do; a warm build finds everything in the cache
and never starts a pool. Results come back in input order, so the output is
the same whatever the number of processes.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

# Below this many items a pool costs more to start than it saves.
MIN_ITEMS = 24


def workers() -> int:
    env = os.environ.get("STORYGEN_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


def pmap(fn, items: list, min_items: int = MIN_ITEMS) -> list:
    """`[fn(x) for x in items]`, in parallel processes when it is worth it and safe.

    Workers are forked (cheap, and nothing is re-imported), which is only safe
    while this process has a single thread: under `storygen serve` or inside a
    test server the work simply runs here, one item after another.
    """
    n = _processes(len(items), min_items)
    if n < 2:
        return [fn(item) for item in items]
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(fn, items, chunksize=max(1, len(items) // (n * 4))))
    except (BrokenProcessPool, OSError):  # no processes to be had: do it here
        return [fn(item) for item in items]


def _processes(count: int, min_items: int) -> int:
    """How many processes to fork for `count` items: under 2 means do it here."""
    if count < min_items or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(workers(), count)


_SHARED: tuple = ()     # (fn, shared, items) while pmap_shared runs: forked workers inherit it


def _call_shared(i: int):
    fn, shared, items = _SHARED
    return fn(shared, items[i])


def pmap_shared(fn, shared, items: list, min_items: int = MIN_ITEMS) -> list:
    """`[fn(shared, x) for x in items]`, where `shared` is state too big or too live to pickle
    (a warm guard, a page renderer). Forked workers inherit `shared` and `items`; only
    indices and results cross between processes. Whatever a worker changes in `shared`
    stays in that worker: return it in the result."""
    global _SHARED
    if _processes(len(items), min_items) < 2:
        return [fn(shared, item) for item in items]
    _SHARED = (fn, shared, items)
    try:
        return pmap(_call_shared, list(range(len(items))), min_items)
    finally:
        _SHARED = ()


def _run_in_child(conn, fn, shared, chunk) -> None:
    try:
        conn.send((True, fn(shared, chunk)))
    except BaseException as exc:     # the parent does this chunk again and raises it there
        conn.send((False, repr(exc)))
    finally:
        conn.close()


def split_shared(fn, shared, chunks: list) -> list:
    """`[fn(shared, c) for c in chunks]`, the first chunk here and each other one in a forked child.

    For work of some tens of milliseconds, where a process pool's start (~40 ms) would eat the
    gain: a bare fork and a pipe cost ~10 ms. Same conditions as `pmap` (this process has a
    single thread and is not itself a worker). A child that fails or dies has its chunk done
    again here, so an error is raised from this process with its usual message."""
    if (len(chunks) < 2 or threading.active_count() > 1 or multiprocessing.parent_process() is not None
            or "fork" not in multiprocessing.get_all_start_methods()):
        return [fn(shared, c) for c in chunks]
    context = multiprocessing.get_context("fork")
    children = []
    # Frozen objects are never visited by a child's garbage collector, which would otherwise
    # write to (and so copy) every page holding a container: word lists, the model's vocabulary.
    gc.freeze()
    try:
        for chunk in chunks[1:]:
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_run_in_child, args=(send, fn, shared, chunk), daemon=True)
            try:
                child.start()
            except OSError:                       # no process to be had: do it here
                child = None
            send.close()
            children.append((child, receive))
    finally:
        gc.unfreeze()
    results = [fn(shared, chunks[0])]
    for chunk, (child, receive) in zip(chunks[1:], children):
        answer = (False, "")
        if child is not None:
            try:
                answer = receive.recv()
            except (EOFError, OSError):
                pass
            child.join()
        receive.close()
        results.append(answer[1] if answer[0] else fn(shared, chunk))
    return results
