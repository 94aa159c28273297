"""The site being written: every file goes through here, so the build knows
exactly what it published (for the link checker, the search index and the
privacy scan) and never writes outside the output folder."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import RenderError


class Output:
    def __init__(self, root: Path):
        self.root = root.resolve()
        self.files: dict[str, Path | None] = {}   # site path -> cached source (None: written)
        self.pages: dict[str, str] = {}          # site path of each HTML page -> its text

    def _target(self, rel: str) -> Path:
        target = (self.root / rel).resolve()
        if not target.is_relative_to(self.root):
            raise RenderError(f"refusing to write {rel!r} outside the site folder",
                              hint="slugs and file names must not contain '..'")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_text(self, rel: str, text: str) -> None:
        self._target(rel).write_text(text, encoding="utf-8", newline="\n")
        self.files[rel] = None
        if rel.endswith(".html"):
            self.pages[rel] = text

    def write_bytes(self, rel: str, data: bytes) -> None:
        self._target(rel).write_bytes(data)
        self.files[rel] = None

    def copy(self, rel: str, source: Path) -> None:
        if rel in self.files:
            return  # shared assets (an image used by two stories) are written once
        shutil.copyfile(source, self._target(rel))
        self.files[rel] = source

    def page(self, rel: str, html: str) -> None:
        """A rendered page; kept in memory for the checks that follow."""
        self.write_text(rel, html)
