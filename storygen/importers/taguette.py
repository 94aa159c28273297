"""Taguette import: highlights (CSV/XLSX), codebook (CSV/XLSX/QDC) and project (.sqlite3).

* Highlights export: `id,document,tag,content`, one row per highlight × tag;
  rows are grouped back into one excerpt per highlight (`tg-<id>`).
* Codebook export: `tag,description,…` rows, or the REFI `.qdc` codebook.
* Project export (SQLite3): documents, highlights (HTML snippets; offsets are
  UTF-8 bytes of the document's text), tags with descriptions.

Taguette has no participants: each document becomes a source, named by the
`--documents` map (CSV `document,source_id`) or, failing that, after the
document (reported, so the team can rename it to a pseudonymous id). Tag paths
use `/` for hierarchy. Project members, user names and uploaded file names are
never imported.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from ..errors import ImportError_
from .bundle import Bundle, ExcerptIn, clean_text, safe_id
from .docmap import DocumentMap
from .safety import open_sqlite, read_bytes, tables

HIGHLIGHTS = ("id", "document", "tag", "content")
CODEBOOK = ("tag", "description")
BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "pre"}


class _Text(HTMLParser):
    """HTML -> text; block elements become line breaks (Taguette stores documents as HTML)."""

    def __init__(self, breaks: bool):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.breaks = breaks

    def handle_starttag(self, tag, attrs):
        if self.breaks and tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self.breaks and tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_text(html: str, *, breaks: bool = True) -> str:
    parser = _Text(breaks)
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{2,}", "\n", text) if breaks else text


def tag_names(path: str) -> list[str]:
    return [p.strip() for p in path.split("/") if p.strip()]


def import_taguette(path: Path, *, documents_map: Path | None = None, **_ignored) -> Bundle:
    """Read any Taguette export into a bundle; the kind is recognised from the content."""
    bundle = Bundle("taguette")
    docmap = DocumentMap.load(documents_map)
    head = read_bytes(path)[:64]
    if head.startswith(b"SQLite format 3\x00"):
        _sqlite(bundle, path, docmap)
    elif path.suffix.lower() == ".qdc" or head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        from .refi import import_refi
        book = import_refi(path)
        for code in book.codes.values():   # Taguette writes tag paths as flat names
            bundle.add_code([n for name in code.names for n in tag_names(name)],
                            description=code.description)
    else:
        _table(bundle, path, docmap)
    docmap.report(bundle)
    return bundle


def _table(bundle: Bundle, path: Path, docmap: DocumentMap) -> None:
    from .csvfile import read_table

    header, rows = read_table(path)
    cols = {h.lower(): h for h in header}
    if all(c in cols for c in HIGHLIGHTS):
        _highlights(bundle, path, rows, cols, docmap)
    elif all(c in cols for c in CODEBOOK):
        for n, row in rows:
            names = tag_names(row[cols["tag"]])
            if names:
                bundle.add_code(names, description=row[cols["description"]])
        bundle.losses.append("highlight and document counts in the codebook export are not imported "
                             "(storygen counts its own)")
    else:
        raise ImportError_(f"not a Taguette export: the header is {', '.join(header)}", path=path,
                           line=1, hint="expected a highlights export (id,document,tag,content) or a "
                                        "codebook export (tag,description,…)")


def _highlights(bundle, path, rows, cols, docmap) -> None:
    by_id: dict[str, ExcerptIn] = {}
    for n, row in rows:
        hid, doc, tag = (row[cols[k]].strip() for k in ("id", "document", "tag"))
        where = f"row {n}"
        if not re.fullmatch(r"\d+", hid):
            raise ImportError_(f"{where}: highlight id {hid!r} is not a number", path=path, line=n)
        text = clean_text(row[cols["content"]])
        if hid in by_id:
            ex = by_id[hid]
            if ex.text != text:
                raise ImportError_(f"{where}: highlight {hid} has different text than on "
                                   f"{ex.where}", path=path, line=n,
                                   hint="export the highlights again from Taguette")
        else:
            source = docmap.source_for(doc, default=safe_id(re.sub(r"\.\w{2,4}$", "", doc)))
            if source is None:
                continue
            if not text:
                raise ImportError_(f"{where}: highlight {hid} has no text", path=path, line=n)
            ex = by_id[hid] = ExcerptIn(f"tg-{hid}", source, text, [], where=where)
        if tag_names(tag):
            ex.codes.append(bundle.add_code(tag_names(tag)))
    for ex in by_id.values():
        bundle.add_excerpt(ex, path)


def _sqlite(bundle: Bundle, path: Path, docmap: DocumentMap) -> None:
    conn = open_sqlite(path)
    try:
        missing = {"documents", "highlights", "tags", "highlight_tags"} - tables(conn)
        if missing:
            raise ImportError_(f"not a Taguette project: no table(s) {', '.join(sorted(missing))}",
                               path=path, hint="export the project from Taguette (Export → SQLite3)")
        tag_ids = {}
        for row in conn.execute("SELECT id, path, description FROM tags ORDER BY path, id"):
            if tag_names(row["path"] or ""):
                tag_ids[row["id"]] = bundle.add_code(tag_names(row["path"]),
                                                     description=row["description"] or "")
        docs = {}
        for row in conn.execute("SELECT id, name, contents FROM documents ORDER BY id"):
            name = row["name"] or f"document {row['id']}"
            docs[row["id"]] = (name, docmap.source_for(name, default=safe_id(name)),
                               len(html_text(row["contents"] or "", breaks=False).encode("utf-8")))
        codes_of: dict[int, list[str]] = {}
        for row in conn.execute("SELECT highlight_id, tag_id FROM highlight_tags "
                                "ORDER BY highlight_id, tag_id"):
            if row["tag_id"] in tag_ids:
                codes_of.setdefault(row["highlight_id"], []).append(tag_ids[row["tag_id"]])
        for row in conn.execute("SELECT id, document_id, start_offset, end_offset, snippet "
                                "FROM highlights ORDER BY document_id, start_offset, id"):
            if row["document_id"] not in docs:
                bundle.losses.append(f"highlight {row['id']}: its document is missing")
                continue
            name, source, size = docs[row["document_id"]]
            if source is None:
                continue
            where = f"highlight {row['id']} in document {name!r}"
            if not 0 <= (row["start_offset"] or 0) <= (row["end_offset"] or 0) <= size:
                raise ImportError_(f"{where}: the highlight {row['start_offset']}..{row['end_offset']} "
                                   f"runs past the end of the document ({size} bytes)", path=path,
                                   hint="the project file is damaged; export it again")
            text = clean_text(html_text(row["snippet"] or ""))
            if not text:
                bundle.losses.append(f"{where}: empty highlight")
                continue
            bundle.add_excerpt(ExcerptIn(f"tg-{row['id']}", source, text,
                                         codes_of.get(row["id"], []), where=where), path)
        bundle.notes.append("project members, user names and uploaded file names were not imported")
    except ImportError_:
        raise
    except Exception as exc:  # sqlite3.Error, or a column missing in an unexpected schema
        raise ImportError_(f"cannot read the Taguette project ({type(exc).__name__}: {exc})",
                           path=path) from None
    finally:
        conn.close()
