"""Reading untrusted files safely: size caps, zip members, XML without entities.

Exports come from other people's machines. A crafted `.qdpx` could hold a zip
bomb, entries that escape the folder (`../`, `/etc/…`), or XML with entity
expansion or external entities. Everything here fails with `ImportError_`
(exit 2) and a message naming the file, never with a traceback.
"""
from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml import ElementTree as SafeET

from ..errors import ImportError_

MAX_FILE_BYTES = 200 * 1024 * 1024        # a single file we are asked to read
MAX_ZIP_TOTAL = 256 * 1024 * 1024         # all members of one archive, uncompressed
MAX_ZIP_ENTRIES = 10_000
MAX_RATIO = 400                           # deflate of real text rarely exceeds 20:1


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a whole file, refusing one that is missing, a folder or too big."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportError_(f"cannot read the file: {exc.strerror}", path=path) from None
    if not path.is_file():
        raise ImportError_("this is not a file", path=path)
    if size > limit:
        raise ImportError_(f"the file is {size:,} bytes, over the {limit:,}-byte limit", path=path,
                           hint="split the export, or import the parts separately")
    return path.read_bytes()


def _unsafe_member(name: str) -> bool:
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return True
    return ".." in PurePosixPath(norm).parts


class SafeZip:
    """A zip archive whose member names and sizes have been checked up front.

    Declared sizes can lie, so `read()` also counts bytes as it inflates.
    """

    def __init__(self, path: Path, *, max_total: int = MAX_ZIP_TOTAL,
                 max_entries: int = MAX_ZIP_ENTRIES):
        self.path = path
        self.max_total = max_total
        self._read_so_far = 0
        read_bytes(path)  # existence and outer size check
        try:
            self.zf = zipfile.ZipFile(path)
            infos = self.zf.infolist()
        except Exception as exc:  # see read(): every failure of zipfile here means a damaged file
            raise ImportError_(f"not a readable zip archive ({type(exc).__name__}: {exc})", path=path,
                               hint="export the project again; the file may be damaged") from None
        if len(infos) > max_entries:
            raise ImportError_(f"the archive holds {len(infos):,} entries, over the limit of "
                               f"{max_entries:,}", path=path)
        total = 0
        for info in infos:
            if not info.filename or "\x00" in info.filename:
                raise ImportError_("the archive has an entry without a usable name", path=path,
                                   hint="the file is damaged; export it again")
            if _unsafe_member(info.filename):
                raise ImportError_(f"the archive entry {info.filename!r} points outside the archive "
                                   "folder (a path with `..` or an absolute path)", path=path,
                                   hint="this file is not a genuine export; do not use it")
            total += info.file_size
            if (info.file_size > 10 * 1024 * 1024 and info.compress_size
                    and info.file_size / info.compress_size > MAX_RATIO):
                raise ImportError_(f"the archive entry {info.filename!r} expands {info.file_size:,} "
                                   "bytes from a tiny input (a zip bomb?)", path=path)
        if total > max_total:
            raise ImportError_(f"the archive expands to {total:,} bytes, over the limit of "
                               f"{max_total:,}", path=path,
                               hint="remove large media from the export and try again")
        self.infos = [i for i in infos if not i.is_dir()]

    def names(self) -> list[str]:
        return [i.filename.replace("\\", "/") for i in self.infos]

    def read(self, name: str) -> bytes:
        """Inflate one member, stopping at the archive's overall cap."""
        info = next(i for i in self.infos if i.filename.replace("\\", "/") == name)
        chunks = []
        try:
            with self.zf.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    self._read_so_far += len(chunk)
                    if self._read_so_far > self.max_total:
                        raise ImportError_(f"the archive expands past {self.max_total:,} bytes",
                                           path=self.path)
                    chunks.append(chunk)
        except ImportError_:
            raise
        except Exception as exc:  # zipfile raises many types on damaged input (zlib.error,
            # struct.error, IndexError, RuntimeError for encryption…): all mean "damaged"
            raise ImportError_(f"cannot read {name!r} from the archive ({type(exc).__name__}: {exc})",
                               path=self.path) from None
        return b"".join(chunks)

    def close(self) -> None:
        self.zf.close()


def parse_xml(data: bytes, path: Path, *, member: str = "") -> Element:
    """Parse XML with DTDs, entities and external references forbidden."""
    where = f" ({member})" if member else ""
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except defusedxml.DTDForbidden:
        raise ImportError_(f"the XML{where} declares a DTD or entities, which exports never need "
                           "and attacks use (entity expansion, external files)", path=path,
                           hint="this file is not a genuine export; do not use it") from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden,
            defusedxml.NotSupportedError) as exc:
        raise ImportError_(f"the XML{where} uses forbidden constructs ({type(exc).__name__})",
                           path=path, hint="this file is not a genuine export") from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise ImportError_(f"not well-formed XML{where}: {exc}", path=path, line=line,
                           hint="export the file again from the original tool") from None
    except (ValueError, UnicodeError) as exc:
        raise ImportError_(f"cannot read the XML{where}: {exc}", path=path) from None


def local(tag: str) -> str:
    """Tag name without its namespace: REFI files appear with and without one."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(c.tag) == name]


def child(el: Element, name: str) -> Element | None:
    return next((c for c in el if local(c.tag) == name), None)


def open_sqlite(path: Path) -> sqlite3.Connection:
    """Open someone else's SQLite file read-only, with SQLite's own untrusted-file settings."""
    data_head = read_bytes(path)[:16]
    if data_head != b"SQLite format 3\x00":
        raise ImportError_("not an SQLite database", path=path)
    conn = None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA trusted_schema=OFF")
        conn.execute("PRAGMA cell_size_check=ON")
        ok = conn.execute("PRAGMA quick_check").fetchone()
    except (sqlite3.Error, ValueError) as exc:   # ValueError: undecodable text in a damaged file
        if conn is not None:
            conn.close()
        raise ImportError_(f"cannot open the database ({type(exc).__name__}: {exc})",
                           path=path) from None
    if not ok or ok[0] != "ok":
        conn.close()
        raise ImportError_(f"the database is damaged ({ok[0] if ok else 'no answer'})", path=path)
    conn.row_factory = sqlite3.Row
    return conn


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
