"""The search for private values in published files: one function, used by every build.

Every source id, excerpt id and excerpt text hash (`private_ids`) must never
reach a published file. `search_bytes` and `search_text` are the only code that
looks for them: a file's raw bytes (gzip'd text and Pagefind fragments unpacked first) are
searched with privacy.literals' token look-up, case-insensitively, on word
boundaries, in UTF-8 and UTF-16; `search_text` does the same for a text (a file
name, a metadata value, text the output scan read out of a file).
Three callers, one search:

- `storygen build` with the privacy guard on: the output scan (scan.py) calls
  them for every file, with the team's own private values (pseudonym map,
  deny-list) added, and runs the detectors besides;
- `storygen build` with the guard off, and `storygen serve`'s previews:
  `scan_ids` calls them over every rendered output folder, for the private ids.

`scan_ids` remembers, by each file's content, the files it found clean and a
hash of every value it searched them for (`IdMemory`, kept on the build
context and on disk): a rebuild reads each file, but searches an unchanged one
only for the values added since (after one edit: a text hash or two).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import cache_root, read_hashes, write_hashes
from ..errors import RenderError
from ..model import Composite, Project, provenance_ids
from .documents import DOCUMENT_SUFFIXES, document_text
from .extract import gunzip
from .literals import Layered, LiteralHit, Literals
from .media import IMAGE_SUFFIXES, MEDIA_SUFFIXES
from .textnorm import fold_key

_HINT = ("provenance ids must never be published: remove it from the template override or bridge "
         "text (if it is a real word in an excerpt, rename the id so it cannot be mistaken for one)")


def private_ids(project: Project, composites: list[Composite]) -> dict[str, str]:
    """{value: what it is} for every private provenance value (model.provenance_ids)."""
    return provenance_ids(project, composites)


# More changed values than this and the matcher is compiled afresh.
LAYER_MAX = 64


def matcher(values: dict[str, str], store: dict) -> Literals | Layered:
    """One matcher per distinct set of values, kept in `store` (the build context's
    private_values): a build searches every output with the same tens of thousands of values,
    and compiling them takes a while. `serve` rebuilds with the same values after most edits,
    and after an excerpt's edit with one text hash changed: then the last compiled matcher
    (store["base"]) is reused, layered with the few values that differ (literals.Layered)."""
    key = hashlib.sha256(json.dumps(sorted(values.items())).encode("utf-8", "surrogatepass")).hexdigest()
    if key in store:
        return store[key]
    base = store.get("base")
    found: Literals | Layered | None = None
    if base is not None:
        base_values, compiled = base
        removed = {v for v, label in base_values.items() if values.get(v) != label}
        added = {v: label for v, label in values.items() if base_values.get(v) != label}
        if len(added) + len(removed) <= LAYER_MAX:
            found = Layered(compiled, values, added, removed)
    if found is None:
        found = Literals(values)
        base = (dict(values), found)
    store.clear()                 # keep only the latest (and its base): a context builds one project
    store["base"], store[key] = base, found
    return found


def search_text(name: str, literals: Literals) -> list[LiteralHit]:
    """Private values in a text: a file or folder name, a metadata value, text read from a file."""
    return literals.find(name)


def search_bytes(data: bytes, suffix: str, literals: Literals) -> tuple[list[LiteralHit], bytes, str, bool]:
    """Private values in a file's bytes: (hits, the bytes as searched, their suffix, binary?).

    Compressed text (search-index fragments, .gz files) is unpacked and searched as what it
    holds; the unpacked bytes and their kind are returned for a caller that reads on."""
    suffix = suffix.lower()
    if data[:2] == b"\x1f\x8b":
        unpacked = gunzip(data)
        if unpacked is not None:
            data = unpacked
            suffix = ".json" if unpacked.lstrip()[:1] in (b"{", b"[") else suffix
            if unpacked.startswith(b"pagefind_dcd"):      # Pagefind fragment: a tag, then JSON
                data, suffix = unpacked[len(b"pagefind_dcd"):], ".json"
    # In compressed binary data a short value would match by chance: binary files get only
    # the longer values (privacy.literals). A PDF's or DOCX's own streams: document_parts.
    binary = suffix in IMAGE_SUFFIXES or suffix in MEDIA_SUFFIXES or suffix in DOCUMENT_SUFFIXES \
        or b"\x00" in data[:4096]
    return literals.find_bytes(data, binary=binary), data, suffix, binary


def search_parts(parts: list[tuple[str, bytes]], literals: Literals) -> list[tuple[str, LiteralHit]]:
    """Private values in a document's decompressed streams or members: (channel, hit)."""
    return [(channel, hit) for channel, part in parts
            for hit in search_bytes(part, "", literals)[0]]


def content_key(suffix: str, data: bytes) -> str:
    """What a file is remembered by: its kind and its bytes."""
    return hashlib.blake2b(suffix.lower().encode() + b"\0" + data, digest_size=16).hexdigest()


def value_hash(value: str) -> str:
    """What is remembered of a value searched for: a hash, never the value."""
    return hashlib.blake2b(fold_key(value).lower().encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


@dataclass
class IdMemory:
    """What `scan_ids` remembers between builds (BuildContext.id_scan), loaded from and saved
    to the `privacy` cache folder: the content keys of files found clean, and the hashes of
    the values they were searched for."""

    folder: Path | None = None
    clean: set[str] = field(default_factory=set)
    searched: set[str] = field(default_factory=set)
    stored: tuple[frozenset, frozenset] | None = None      # as on disk
    hashes: dict[str, str] = field(default_factory=dict)    # value -> value_hash, the last values only
    names: set[str] = field(default_factory=set)            # file and folder names found clean (memory only)

    def hashes_of(self, values) -> dict[str, str]:
        """value_hash of each value: tens of thousands of them, nearly all the same as last time."""
        known = self.hashes
        self.hashes = {v: known.get(v) or value_hash(v) for v in values}
        return self.hashes

    def load(self, folder: Path) -> None:
        if self.folder == folder:
            return
        files = read_hashes(folder / "ids-files.txt")
        # Written together: without the list of values searched for, no file is trusted.
        searched = read_hashes(folder / "ids-searched.txt") if files else set()
        self.folder, self.clean, self.searched, self.names = folder, files, searched, set()
        self.stored = (frozenset(files), frozenset(searched))

    def save(self) -> None:
        if self.folder is None or self.stored == (frozenset(self.clean), frozenset(self.searched)):
            return
        # The file list goes first (emptied), then the values, then the list: a run stopped
        # between two writes leaves no remembered file that a list could wrongly vouch for.
        try:
            (self.folder / "ids-files.txt").unlink(missing_ok=True)
        except OSError:          # a read-only project still builds, without the memory
            return
        write_hashes(self.folder / "ids-searched.txt", self.searched, replaces="ids-searched.txt")
        write_hashes(self.folder / "ids-files.txt", self.clean, replaces="ids-files.txt")
        self.stored = (frozenset(self.clean), frozenset(self.searched))


def scan_ids(folders: list[Path], project: Project, composites: list[Composite], context) -> None:
    """Refuse to publish (RenderError) if a private id is in a file's name or bytes under `folders`.

    For `storygen build` with the privacy guard off and for `storygen serve`'s previews (with
    the guard on, the output scan searches the same values and more). `context` is the
    BuildContext: it keeps the compiled matcher and the files found clean (module docstring).
    """
    if context.id_scan is None:
        context.id_scan = IdMemory()
    search_folders(folders, private_ids(project, composites), context.id_scan, context.private_values,
                   cache_root(project.root) / "privacy")


def _entries(folder: Path):
    """(relative path, name, full path or None for a folder) of everything under `folder`, each folder's
    entries sorted. os.walk, not rglob: on a 3,000-file site pathlib's per-entry work cost more
    than the search itself."""
    root = os.fspath(folder)
    for top, dirs, files in os.walk(root):
        dirs.sort()
        prefix = "" if top == root else top[len(root):].strip(os.sep).replace(os.sep, "/") + "/"
        for name in dirs:
            yield prefix + name, name, None
        for name in sorted(files):
            full = os.path.join(top, name)
            if os.path.isfile(full):
                yield prefix + name, name, full


def search_folders(folders: list[Path], values: dict[str, str], memory: IdMemory, store: dict,
                   cache: Path) -> None:
    """`scan_ids` for given `values`, remembering in `memory` (and `cache`, a folder)."""
    if not values:
        return
    literals = matcher(values, store)
    memory.load(cache)
    hashed = memory.hashes_of(values)
    now = set(hashed.values())
    added = {v: label for v, label in values.items() if hashed[v] not in memory.searched}
    # Unchanged files found clean before were searched for every value but these.
    added_matcher = Literals(added) if added else None
    only_added = added_matcher if memory.clean else None
    clean: set[str] = set()
    names: set[str] = set()
    for folder in folders:
        for rel, name, path in _entries(folder):
            # A name found clean before is only searched for the values added since, as a file is.
            by = literals if name not in memory.names else added_matcher
            if by is not None:
                for hit in search_text(name, by):
                    raise RenderError(f"private identifier {hit.span!r} reached the published file name {rel!r}",
                                      hint="this is a bug in the theme or renderer; do not publish")
            names.add(name)
            if path is None:
                continue
            suffix = os.path.splitext(name)[1]
            with open(path, "rb") as file:
                data = file.read()
            key = content_key(suffix, data)
            if key in memory.clean and only_added is None:
                clean.add(key)
                continue
            search = only_added if key in memory.clean else literals
            hits = search_bytes(data, suffix, search)[0]
            if not hits and suffix.lower() in DOCUMENT_SUFFIXES:     # compressed inside
                hits = [hit for _, hit in search_parts(document_text(Path(path)).parts, search)]
            if hits:     # nothing is remembered of a failed scan
                raise RenderError(f"private identifier {hits[0].span!r} found in published file {rel}",
                                  hint=_HINT)
            clean.add(key)
    # Only this build's files are kept, so the list never grows.
    memory.clean, memory.searched, memory.names = clean, now, names
    memory.save()
