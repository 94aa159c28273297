"""The guard's verdicts kept between runs: hashes only, one file for each kind.

Nothing identifying ever reaches the disk: a file holds hashes of texts (and, for
quasi-identifiers, rule labels such as "age" or "special:health"), never a text or a
span. Each kind has a file of its own, named by what its verdicts depend on, under
the project's `.storygen-cache/privacy/` (storygen/cache.py):

- `clean-SETTINGS-CODE.txt`: texts in which no detector found anything;
- `composites-SETTINGS-CODE.txt`: composites found clean as a whole (the guard's key
  over every published text and the private knowledge, guard.Guard._composite_hash);
- `qi-CODE.txt`: a text's quasi-identifier types, `<hash>=<labels>` (they depend on the
  code alone, not on the settings).

SETTINGS is the detector settings' fingerprint and CODE a digest of the detector code
and word lists: a change to either starts a new file and removes the old one.
"""
from __future__ import annotations

from pathlib import Path

from ..cache import read_hashes, write_hashes

KINDS = ("texts", "composites", "qi")


class HashFile:
    """One kind of verdict: a set of entries read from and written back to one file.
    Without a path (a detector with no cache folder) nothing is remembered."""

    def __init__(self, path: Path | None = None, replaces: str = ""):
        self.path = path
        self.replaces = replaces
        self.entries: set[str] = read_hashes(path) if path is not None else set()
        self.added: list[str] = []         # entries since the last drain (a worker hands them back)
        self.dirty = False

    def __contains__(self, entry: str) -> bool:
        return entry in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: str) -> None:
        if self.path is not None and entry not in self.entries:
            self.entries.add(entry)
            self.added.append(entry)
            self.dirty = True

    def drain(self) -> list[str]:
        added, self.added = self.added, []
        return added

    def merge(self, entries: list[str]) -> None:
        if self.path is not None and entries:
            self.entries.update(entries)
            self.dirty = True

    def save(self) -> None:
        if self.path is not None and self.dirty:
            write_hashes(self.path, self.entries, replaces=self.replaces)
            self.dirty = False


class Verdicts:
    """The three verdict files of one detector (settings) in one cache folder."""

    def __init__(self, folder: Path | None = None, settings: str = "", code: str = ""):
        self.folder = folder
        if folder is None:
            self.texts, self.composites, self.qi = HashFile(), HashFile(), HashFile()
            return
        self.texts = HashFile(folder / f"clean-{settings}-{code}.txt", f"clean-{settings}-*.txt")
        self.composites = HashFile(folder / f"composites-{settings}-{code}.txt", f"composites-{settings}-*.txt")
        self.qi = HashFile(folder / f"qi-{code}.txt", "qi-*.txt")

    def drain(self) -> dict[str, list[str]]:
        """What each file gained since the last call: a worker process hands it back."""
        return {kind: getattr(self, kind).drain() for kind in KINDS}

    def merge(self, added: dict[str, list[str]]) -> None:
        """Merge what a worker process found (`drain`'s result)."""
        for kind, entries in (added or {}).items():
            getattr(self, kind).merge(entries)

    def save(self) -> None:
        for kind in KINDS:
            getattr(self, kind).save()
