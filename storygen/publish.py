"""Build into a staging folder, then swap it in: a failed build never touches the last good output."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staging(out: Path):
    """Yield an empty folder beside `out`; it is removed afterwards whatever happens.

    Beside, not in /tmp, so the final swap is a rename on one filesystem.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}-staging-", dir=out.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def publish(stage: Path, out: Path, parts: list[str]) -> None:
    """Replace each of `out/<part>` with `stage/<part>`, one rename each.

    Parts not listed (say, video/ during `--only site`) are left as they were.
    """
    out.mkdir(parents=True, exist_ok=True)
    trash = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
    try:
        for part in parts:
            new, current = stage / part, out / part
            if not new.exists():
                continue
            if current.exists():
                os.replace(current, trash / part)
            os.replace(new, current)
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def write_json(path: Path, data) -> None:
    """Deterministic JSON: sorted keys, fixed indentation, UTF-8, trailing newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
