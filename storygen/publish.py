"""Build into a staging folder, then swap it in: a failed build never touches the last good output."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staging(out: Path, staging_root: Path | None = None):
    """Yield an empty folder to build into; it is removed afterwards whatever happens.

    Under `staging_root` (the cache's staging/ folder) when that is on the same
    filesystem as `out`, so the final swap is a rename; otherwise inside `out` itself,
    which storygen created and marked. Never in the project folder, where a killed
    build used to leave `.build-staging-*` for good. Folders that earlier builds left
    behind when they were killed are removed first (`_remove_stale`).
    """
    out.mkdir(parents=True, exist_ok=True)
    root = out
    if staging_root is not None:
        try:
            staging_root.mkdir(parents=True, exist_ok=True)
            if staging_root.stat().st_dev == out.stat().st_dev:
                root = staging_root
        except OSError:
            pass
    _remove_stale(root, out)
    folder = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


STAGE_PREFIX = ".staging-"


def _remove_stale(root: Path, out: Path) -> None:
    """Delete staging folders whose build is no longer running (killed, or the machine went down).

    A staging folder is named after its build's process id; one whose process still runs
    belongs to a concurrent build and is left alone. Folders an older storygen staged beside
    the output (`.build-staging-*`) carry no id and are removed after an hour.
    """
    import time

    for folder in root.glob(STAGE_PREFIX + "*"):
        pid = folder.name[len(STAGE_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
    for folder in out.parent.glob(f".{out.name}-staging-*"):
        try:
            if time.time() - folder.stat().st_mtime > 3600:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # another user's process: running
        return True
    return True


def publish(stage: Path, out: Path, parts: list[str], trash_root: Path | None = None) -> None:
    """Replace each of `out/<part>` with `stage/<part>`, one rename each.

    Parts not listed (say, video/ during `--only site`) are left as they were. The
    replaced folders are renamed into `trash_root` (a cache folder) when it is on the
    same filesystem, and deleted there by a background process: deleting thousands of
    files took seconds, after the new output was already in place. Otherwise they
    are deleted here.
    """
    out.mkdir(parents=True, exist_ok=True)
    trash = _trash_folder(out, trash_root)
    # Ctrl+C or SIGTERM between the two renames of a part would leave it missing: hold
    # them until every part is swapped (a few renames, milliseconds).
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        for part in parts:
            new, current = stage / part, out / part
            if not new.exists():
                continue
            if current.exists():
                os.replace(current, trash / part)
            os.replace(new, current)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        _discard(trash, trash_root)


def _trash_folder(out: Path, trash_root: Path | None) -> Path:
    if trash_root is not None:
        try:
            trash_root.mkdir(parents=True, exist_ok=True)
            if trash_root.stat().st_dev == out.stat().st_dev:      # a rename, not a copy
                return Path(tempfile.mkdtemp(prefix="old-", dir=trash_root))
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))


# Run detached: it outlives this process, holds none of its files open, and prints nothing.
_DELETE = "import shutil, sys, pathlib\nfor p in pathlib.Path(sys.argv[1]).glob('done-*'): shutil.rmtree(p, True)"


def _discard(trash: Path, trash_root: Path | None) -> None:
    """Delete `trash`: in the background when it sits in `trash_root`, else here.

    A trash folder is renamed `done-*` once nothing more goes into it, and the background
    process deletes only `done-*` folders (this one and any an interrupted deletion left),
    never the `old-*` folder another build is still filling.
    """
    if trash_root is None or trash.parent != trash_root:
        shutil.rmtree(trash, ignore_errors=True)
        return
    try:
        done = trash_root / ("done-" + trash.name)
        os.replace(trash, done)
        subprocess.Popen([sys.executable, "-c", _DELETE, str(trash_root)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
                         start_new_session=True, cwd=str(trash_root))
    except OSError:
        for path in (trash, trash_root / ("done-" + trash.name)):
            shutil.rmtree(path, ignore_errors=True)


def write_json(path: Path, data) -> None:
    """Deterministic JSON: sorted keys, UTF-8, trailing newline; an object gets one line per key.

    One line per key (per story, in provenance.json) reads and diffs well, and leaves
    each value to json's C encoder: indented output is written by pure Python, which
    took half a second for a thousand stories.
    """
    path.parent.mkdir(parents=True, exist_ok=True)

    def dump(value) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    if isinstance(data, dict) and data:
        text = "{\n" + ",\n".join(f"  {dump(str(k))}: {dump(v)}" for k, v in sorted(data.items())) + "\n}"
    else:
        text = dump(data)
    path.write_text(text + "\n", encoding="utf-8")
