"""The site being written: every file goes through here, so the build knows
exactly what it published (for the link checker, the search index and the
privacy scan) and never writes outside the output folder."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import RenderError


class Output:
    """`link=True` hard-links files taken from the cache instead of copying them: for the
    preview's private folders only (thousands of copies were most of a rebuild). A
    published folder always gets copies, so editing a file there can never reach the
    cache entry it came from."""

    def __init__(self, root: Path, *, link: bool = False):
        self.link = link
        self.root = root.resolve()
        self._root = str(self.root)
        self._dirs: set[str] = set()
        self.files: dict[str, Path | None] = {}   # site path -> cached source (None: written)
        self.pages: dict[str, str] = {}          # HTML pages rendered this build -> their text
        self.page_keys: dict[str, str] = {}      # every HTML page -> the cache key of its inputs

    def _target(self, rel: str) -> str:
        # Site paths are made by us from slugs and names; refuse anything that could
        # climb out of the folder rather than resolving paths (thousands of syscalls).
        if rel.startswith("/") or "\\" in rel or "\0" in rel or any(
                part in ("", ".", "..") for part in rel.split("/")):
            raise RenderError(f"refusing to write {rel!r}: not a plain path inside the site folder",
                              hint="slugs and file names must not contain '..', '\\\\' or empty parts")
        folder = rel.rpartition("/")[0]
        if folder and folder not in self._dirs:
            os.makedirs(os.path.join(self._root, folder), exist_ok=True)
            self._dirs.add(folder)
        return os.path.join(self._root, rel)

    def write_text(self, rel: str, text: str) -> None:
        with open(self._target(rel), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        self.files[rel] = None
        if rel.endswith(".html"):
            self.pages[rel] = text

    def write_bytes(self, rel: str, data: bytes) -> None:
        with open(self._target(rel), "wb") as fh:
            fh.write(data)
        self.files[rel] = None

    def copy(self, rel: str, source: Path) -> None:
        if rel in self.files:
            return  # shared assets (an image used by two stories) are written once
        target = self._target(rel)
        if self.link:
            try:
                os.link(source, target)
                self.files[rel] = source
                return
            except OSError:       # another file system, or links not allowed: copy
                pass
        shutil.copyfile(source, target)
        self.files[rel] = source

    def page(self, rel: str, html: str, key: str) -> None:
        """A freshly rendered page; its text is kept for the checks that follow."""
        self.write_text(rel, html)
        self.page_keys[rel] = key

    def cached_page(self, rel: str, source: Path, key: str) -> None:
        """A page reused from the cache: copied, and read only if a check needs it."""
        self.copy(rel, source)
        self.page_keys[rel] = key

    def text(self, rel: str) -> str:
        text = self.pages.get(rel)
        if text is None:
            with open(os.path.join(self._root, rel), encoding="utf-8") as fh:
                text = fh.read()
        return text
