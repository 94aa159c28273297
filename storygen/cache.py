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
