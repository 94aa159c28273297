"""QualCoder import: a project (`.qda` folder or its `data.qda` SQLite file) or a coding report.

Project database (QualCoder's own schema): `code_text` codings become excerpts
(one per coded passage: codings of the same span are merged, `qc-<first ctid>`),
`code_name` + `code_cat` the codebook (categories as parent themes, colours and
memos kept), `cases` the sources (a coding belongs to the case whose
`case_text` span contains it), `attribute` rows their attributes (a case
attribute named role, sector, consent_web… sets that field), `important` the
featured flag, coding memos the memo. Files not in any case become sources
named after the file (or as `--documents` maps them).

Coding report (Reports → Coding → export CSV/XLSX): `File|Case, Coder, Coded,
Id, Codename, Coded_Memo, Category…, FileVar_*, CaseVar_*`, one row per coding;
the categories run from the code's own category up to the top.

Coder names are never imported.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from ..errors import ImportError_
from .bundle import Bundle, ExcerptIn, apply_source_fields, clean_text, safe_id
from .docmap import DocumentMap
from .safety import open_sqlite, read_bytes, tables

CORE = {"source", "code_name", "code_text"}


def import_qualcoder(path: Path, *, documents_map: Path | None = None, **_ignored) -> Bundle:
    bundle = Bundle("qualcoder")
    docmap = DocumentMap.load(documents_map)
    if path.is_dir():
        db = path / "data.qda"
        if not db.is_file():
            raise ImportError_("this folder has no data.qda, so it is not a QualCoder project",
                               path=path, hint="pass the project's .qda folder or its data.qda file")
        path = db
    if read_bytes(path)[:16] == b"SQLite format 3\x00":
        _database(bundle, path, docmap)
    else:
        _report(bundle, path, docmap)
    docmap.report(bundle, "file")
    bundle.notes.append("coder names were not imported")
    return bundle


def _stem(name: str) -> str:
    return re.sub(r"\.\w{2,4}$", "", Path(name.replace("\\", "/")).name)


# --- the project database --------------------------------------------------

def _database(bundle: Bundle, path: Path, docmap: DocumentMap) -> None:
    conn = open_sqlite(path)
    try:
        have = tables(conn)
        if CORE - have:
            raise ImportError_(f"not a QualCoder project: no table(s) {', '.join(sorted(CORE - have))}",
                               path=path, hint="pass the data.qda file inside the .qda folder")
        _read_database(bundle, path, conn, have, docmap)
    except ImportError_:
        raise
    except (sqlite3.Error, KeyError, IndexError, TypeError, ValueError) as exc:
        raise ImportError_(f"cannot read the QualCoder project ({type(exc).__name__}: {exc})",
                           path=path, hint="open it in QualCoder once so it upgrades, then retry") from None
    finally:
        conn.close()


def _read_database(bundle, path, conn, have, docmap) -> None:
    q = lambda sql, *args: conn.execute(sql, args).fetchall()  # noqa: E731
    cats = {r["catid"]: r for r in q("SELECT * FROM code_cat")} if "code_cat" in have else {}

    def cat_path(catid) -> list[str]:
        names, seen = [], set()
        while catid in cats and catid not in seen:   # `seen`: a damaged file may loop
            seen.add(catid)
            names.insert(0, cats[catid]["name"])
            catid = cats[catid]["supercatid"]
        return names

    for catid in sorted(cats, key=lambda c: [n.casefold() for n in cat_path(c)]):
        bundle.add_code(cat_path(catid), description=cats[catid]["memo"] or "")
    code_ids = {}
    for r in q("SELECT * FROM code_name ORDER BY name"):
        code_ids[r["cid"]] = bundle.add_code(cat_path(r["catid"]) + [r["name"]],
                                             description=r["memo"] or "", colour=r["color"] or "")

    files = {r["id"]: r for r in q("SELECT id, name, fulltext FROM source")}
    cases = {r["caseid"]: r for r in q("SELECT * FROM cases ORDER BY caseid")} if "cases" in have else {}
    spans = q("SELECT caseid, fid, pos0, pos1 FROM case_text ORDER BY caseid, id") \
        if "case_text" in have else []
    attrs = q("SELECT name, attr_type, value, id FROM attribute ORDER BY name") \
        if "attribute" in have else []

    case_source = {cid: safe_id(c["name"] or f"case-{cid}") for cid, c in cases.items()}
    for cid, sid in case_source.items():
        src = bundle.source(sid)
        for a in attrs:
            if a["attr_type"] == "case" and a["id"] == cid:
                apply_source_fields(src, a["name"], str(a["value"] or ""), where=f"case {sid}", path=path)

    def source_of(fid, pos0, pos1) -> str | None:
        owners = [s["caseid"] for s in spans if s["fid"] == fid and s["caseid"] in cases
                  and (s["pos0"] is None or (s["pos0"] <= pos0 and pos1 <= s["pos1"]))]
        if owners:
            if len(set(owners)) > 1:
                bundle.losses.append(f"a coding in file {fid} lies in several cases; "
                                     f"it went to {case_source[owners[0]]}")
            return case_source[owners[0]]
        name = files[fid]["name"] or f"file {fid}"
        sid = docmap.source_for(name, default=safe_id(_stem(name)))
        if sid is not None and sid not in bundle.sources:
            for a in attrs:
                if a["attr_type"] == "file" and a["id"] == fid:
                    apply_source_fields(bundle.source(sid), a["name"], str(a["value"] or ""),
                                        where=f"file {name}", path=path)
        return sid

    passages: dict[tuple, ExcerptIn] = {}
    for r in q("SELECT * FROM code_text ORDER BY fid, pos0, pos1, ctid"):
        where = f"coding ctid {r['ctid']}"
        if r["fid"] not in files or files[r["fid"]]["fulltext"] is None:
            bundle.losses.append(f"{where}: its text file is missing")
            continue
        full = files[r["fid"]]["fulltext"]
        units = len(full.encode("utf-16-le")) // 2      # Qt counts UTF-16 code units
        if not (0 <= (r["pos0"] or 0) <= (r["pos1"] or 0) <= units):
            raise ImportError_(f"{where}: the coding {r['pos0']}..{r['pos1']} runs past the end of "
                               f"file {files[r['fid']]['name']!r} ({units} characters)", path=path,
                               hint="the project is damaged; check it in QualCoder")
        text = clean_text(r["seltext"] or "")
        key = (r["fid"], r["pos0"], r["pos1"])
        if key not in passages:
            sid = source_of(*key)
            if sid is None:
                continue
            if not text:
                bundle.losses.append(f"{where}: no coded text")
                continue
            passages[key] = ExcerptIn(f"qc-{r['ctid']}", sid, text, [], featured=None, where=where)
        ex = passages.get(key)
        if ex is None:
            continue
        if r["cid"] in code_ids:
            ex.codes.append(code_ids[r["cid"]])
        memo = clean_text(r["memo"] or "")
        if memo and memo not in ex.memo:
            ex.memo = "\n\n".join(filter(None, (ex.memo, memo)))
        if r["important"]:
            ex.featured = True
    for ex in passages.values():
        bundle.add_excerpt(ex, path)
    for table, what in (("code_image", "image codings"), ("code_av", "audio/video codings"),
                        ("annotation", "annotations"), ("journal", "journal entries")):
        if table in have:
            count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # fixed names
            if count:
                bundle.losses.append(f"{count} {what} (only coded text is imported)")


# --- the coding report -----------------------------------------------------

def _report(bundle: Bundle, path: Path, docmap: DocumentMap) -> None:
    from .csvfile import read_rows

    header, rows = read_rows(path)
    low = [h.lower() for h in header]
    need = ("coded", "id", "codename")
    if not low or low[0] not in ("file", "case", "file/case") or any(n not in low for n in need):
        raise ImportError_(f"not a QualCoder coding report: the header is {', '.join(header)}",
                           path=path, line=1, hint="expected File (or Case), Coder, Coded, Id, "
                                                   "Codename, Coded_Memo, Category…")
    by_case = low[0] == "case"
    col = {n: low.index(n) for n in need}
    memo_col = low.index("coded_memo") if "coded_memo" in low else None
    cat_cols = [i for i, h in enumerate(low) if h == "category"]
    var_cols = [(i, h) for i, h in enumerate(header) if h.startswith(("FileVar_", "CaseVar_"))]
    passages: dict[tuple, ExcerptIn] = {}
    skipped = 0
    for n, row in rows:
        cell = lambda i: (row[i] if i is not None and i < len(row) else "").strip()  # noqa: E731
        where = f"row {n}"
        m = re.fullmatch(r"ctid:(\d+)", cell(col["id"]))
        if not m:
            skipped += 1            # imid:/avid: rows are image and a/v codings
            continue
        owner = cell(0)
        text = clean_text(row[col["coded"]] if col["coded"] < len(row) else "")
        if not owner or not text:
            raise ImportError_(f"{where}: the file/case or the coded text is empty", path=path, line=n)
        key = (owner, text)
        if key not in passages:
            sid = safe_id(owner) if by_case else docmap.source_for(owner, default=safe_id(_stem(owner)))
            if sid is None:
                continue
            src = bundle.source(sid)
            for i, h in var_cols:   # a file's variables describe the file, not the person, in case mode
                if h.startswith("CaseVar_") or not by_case:
                    apply_source_fields(src, h.split("_", 1)[1], cell(i), where=where, path=path)
            passages[key] = ExcerptIn(f"qc-{m.group(1)}", sid, text, [], where=where)
        ex = passages.get(key)
        if ex is None:
            continue
        if int(m.group(1)) < int(ex.id[3:]):   # rows come sorted by code: id by the first coding
            ex.id = f"qc-{m.group(1)}"
        categories = [cell(i) for i in cat_cols if cell(i)][::-1]   # the report lists nearest first
        if cell(col["codename"]):
            ex.codes.append(bundle.add_code(categories + [cell(col["codename"])]))
        memo = clean_text(cell(memo_col))
        if memo and memo not in ex.memo:
            ex.memo = "\n\n".join(filter(None, (ex.memo, memo)))
    for ex in passages.values():
        bundle.add_excerpt(ex, path)
    if skipped:
        bundle.losses.append(f"{skipped} image or audio/video coding row(s) (only coded text is imported)")
    bundle.losses.append("the coding report has no `important` flag or colours: export the project "
                         "database instead to keep them")
