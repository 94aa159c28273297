"""Where build caches live: `<project>/.storygen-cache/` (git-ignored), or $STORYGEN_CACHE_DIR.

Beside the build output, never inside it: `build/` is swapped atomically by every
build, which would throw a cache kept there away. Every cache under this folder is
keyed by content, so deleting the folder is always safe and only costs time.
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_root(project_root: Path) -> Path:
    override = os.environ.get("STORYGEN_CACHE_DIR")
    return Path(override) if override else project_root / ".storygen-cache"


def read_hashes(path: Path) -> set[str]:
    """A remembered set of content hashes (one per line); empty if absent or unreadable."""
    try:
        return set(path.read_text(encoding="ascii").split())
    except (OSError, UnicodeDecodeError):
        return set()


def write_hashes(path: Path, hashes: set[str], replaces: str) -> None:
    """Write the set atomically, removing older files matching `replaces` (a glob beside it).

    A read-only project still builds, just without the cache, so failures are ignored.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(replaces):
            stale.unlink()
        temp = path.with_suffix(".tmp")
        temp.write_text("\n".join(sorted(hashes)) + "\n", encoding="ascii")
        temp.replace(path)
    except OSError:
        pass
