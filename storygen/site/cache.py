"""A content-addressed cache for the site build, correct by default.

Every cached artefact (a rendered page, a share card, an image variant, a
search bundle, a page's links) is stored under the SHA-256 of *all* of its
inputs, including a version of the code that made it and the theme files. A
changed input is a different key, so a stale entry can never be served; there
is nothing to invalidate (the lesson of Pelican #1689). Entries are written to
a temporary name and renamed, so a build and `storygen serve` may share it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

# Bump when any renderer's output for the same inputs changes.
CODE_VERSION = "site-2"
# Entries unused for this long are removed after a build.
PRUNE_AFTER_SECONDS = 7 * 24 * 3600


def digest(*parts) -> str:
    """SHA-256 of JSON-serialisable parts (sorted keys, so dict order never matters)."""
    h = hashlib.sha256(CODE_VERSION.encode())
    for part in parts:
        if isinstance(part, bytes):
            h.update(b"b")
            h.update(part)
        else:
            h.update(b"j")
            h.update(json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Cache:
    """Key → bytes (files) or key → JSON (small records), in one folder.

    `None` as the folder disables caching: every lookup misses and nothing is
    stored, which is how tests prove the cache never changes the output.
    """

    def __init__(self, root: Path | None):
        self.root = root
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0
        self.memo: dict[str, object] = {}  # per-build results shared between pages
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)

    def path(self, kind: str, key: str, suffix: str = "") -> Path | None:
        if self.root is None:
            return None
        return self.root / kind / key[:2] / (key + suffix)

    def get(self, kind: str, key: str, suffix: str = "") -> Path | None:
        """The cached file for `key`, or None."""
        path = self.path(kind, key, suffix)
        if path is not None and path.is_file():
            self.used.add(f"{kind}/{key[:2]}/{key}{suffix}")
            self.hits += 1
            return path
        self.misses += 1
        return None

    def put(self, kind: str, key: str, data: bytes, suffix: str = "") -> Path | None:
        path = self.path(kind, key, suffix)
        if path is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        self.used.add(f"{kind}/{key[:2]}/{key}{suffix}")
        return path

    def get_json(self, kind: str, key: str):
        path = self.get(kind, key, ".json")
        if path is None:
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged entry is just a miss

    def put_json(self, kind: str, key: str, value) -> None:
        self.put(kind, key, json.dumps(value, ensure_ascii=False).encode(), ".json")

    def get_dir(self, kind: str, key: str) -> Path | None:
        """A cached folder (e.g. the search bundle); complete or absent."""
        if self.root is None:
            return None
        path = self.root / kind / key
        if (path / ".complete").is_file():
            self.used.add(f"{kind}/{key}")
            self.hits += 1
            return path
        self.misses += 1
        return None

    def put_dir(self, kind: str, key: str, source: Path) -> None:
        if self.root is None:
            return
        final = self.root / kind / key
        if final.exists():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=".tmp-"))
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        (tmp / ".complete").write_text("")
        try:
            os.rename(tmp, final)
        except OSError:  # another process stored the same key first
            shutil.rmtree(tmp, ignore_errors=True)
        self.used.add(f"{kind}/{key}")

    def load_index(self, name: str) -> dict:
        """A small table of content-addressed facts (e.g. page key -> its links).

        Every entry is keyed by a content hash, so an entry can never be wrong,
        only missing; the table itself just saves opening a file per page.
        """
        if self.root is None:
            return {}
        try:
            return json.loads((self.root / "index" / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def save_index(self, name: str, table: dict) -> None:
        if self.root is None:
            return
        folder = self.root / "index"
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(table, fh, ensure_ascii=False, sort_keys=True)
        os.replace(tmp, folder / f"{name}.json")
        self.used.add(f"index/{name}.json")

    def prune(self) -> None:
        """Drop entries this build did not use and nobody used for a week (checked daily)."""
        if self.root is None:
            return
        now = time.time()
        marker = self.root / ".pruned"
        try:
            if now - marker.stat().st_mtime < 24 * 3600:
                return  # walking every entry on every build would cost more than it saves
        except OSError:
            pass
        marker.touch()
        for kind in self.root.iterdir():
            if not kind.is_dir():
                continue
            for entry in kind.iterdir():
                items = entry.iterdir() if entry.is_dir() and len(entry.name) == 2 else [entry]
                for item in items:
                    rel = item.relative_to(self.root).as_posix()
                    if rel in self.used:
                        continue
                    try:
                        old = now - item.stat().st_mtime > PRUNE_AFTER_SECONDS
                    except OSError:
                        continue
                    if old:
                        if item.is_dir():
                            shutil.rmtree(item, ignore_errors=True)
                        else:
                            item.unlink(missing_ok=True)
