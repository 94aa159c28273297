"""Spread CPU-heavy, independent work (share cards, image variants) over the CPUs.

Only cold builds have much to do; a warm build finds everything in the cache
and never starts a pool. Results come back in input order, so the output is
the same whatever the number of processes.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

# Below this many items a pool costs more to start than it saves.
MIN_ITEMS = 24


def workers() -> int:
    env = os.environ.get("STORYGEN_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


def pmap(fn, items: list, min_items: int = MIN_ITEMS) -> list:
    """`[fn(x) for x in items]`, in parallel processes when it is worth it."""
    n = min(workers(), len(items))
    if n < 2 or len(items) < min_items:
        return [fn(item) for item in items]
    # forkserver, not fork: the caller may be `storygen serve`, which has threads.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
        return list(pool.map(fn, items, chunksize=max(1, len(items) // (n * 4))))
