"""The canonical spreadsheet import: CSV or XLSX, one row per excerpt.

Required columns: `excerpt_id, source_id, text, codes`; optional: `role, sector,
featured, singular, memo, consent_composite, consent_web, consent_video, consent_report`, and
`attr_<name>` for a coarse source attribute. Codes are separated by `;`, a
sub-theme by `>` (or `/`): `Working together > Shared records; Turning off targets`.
Other spreadsheets are read through a column map: `--map text=Quote,codes=Themes`.

`read_table` (shared with the Taguette importer) turns a CSV or XLSX file into
a header and rows of strings, handling BOMs, encodings and delimiters.
"""
from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime
from pathlib import Path

from ..errors import ImportError_
from .bundle import Bundle, ExcerptIn, apply_source_fields, check_id, clean_text, parse_flag
from .safety import SafeZip, read_bytes

REQUIRED = ("excerpt_id", "source_id", "text", "codes")
OPTIONAL = ("role", "sector", "featured", "singular", "memo",
            "consent_composite", "consent_web", "consent_video", "consent_report")
SOURCE_COLUMNS = ("role", "sector", "consent_composite", "consent_web", "consent_video", "consent_report")
csv.field_size_limit(10 * 1024 * 1024)


def parse_map(spec: str | dict | None) -> dict[str, str]:
    """`text=Quote,codes=Themes` -> {"text": "Quote", "codes": "Themes"}."""
    if not spec:
        return {}
    if isinstance(spec, dict):
        return dict(spec)
    out = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ImportError_(f"--map entry {part!r} needs the form field=Column",
                               hint="for example --map text=Quote,codes=Themes")
        key, column = part.split("=", 1)
        key = key.strip().lower()
        if key not in REQUIRED + OPTIONAL:
            raise ImportError_(f"--map: unknown field {key!r}",
                               hint=f"fields: {', '.join(REQUIRED + OPTIONAL)}")
        out[key] = column.strip()
    return out


def _decode(data: bytes, path: Path, encoding: str | None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise ImportError_(f"unknown encoding {encoding!r}", path=path) from None
        except UnicodeDecodeError as exc:
            return _bad_encoding(data, exc, path, encoding)
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as exc:
                return _bad_encoding(data, exc, path, enc)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _bad_encoding(data, exc, path, "UTF-8")


def _bad_encoding(data: bytes, exc: UnicodeDecodeError, path: Path, enc: str):
    line = data[:exc.start].count(b"\n") + 1
    raise ImportError_(f"line {line}: the text is not valid {enc} (byte 0x{data[exc.start]:02x} "
                       f"at offset {exc.start})", path=path, line=line,
                       hint="save the spreadsheet as \"CSV UTF-8\", or name its encoding with "
                            "--encoding (for example --encoding cp1252)")


def _cell(value) -> str:
    """An XLSX cell as the text a person sees: 12 not 12.0, yes/no for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, sheet: str | None) -> list[tuple[int, list[str]]]:
    SafeZip(path).close()  # size, entry and path checks before openpyxl inflates anything
    import openpyxl  # openpyxl parses its XML through defusedxml when that is installed

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ImportError_(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})",
                           path=path, hint="save it again from your spreadsheet program") from None
    try:
        if sheet and sheet not in book.sheetnames:
            raise ImportError_(f"no sheet named {sheet!r}", path=path,
                               hint=f"sheets: {', '.join(book.sheetnames)}")
        if not book.worksheets:
            raise ImportError_("the workbook has no worksheets", path=path)
        ws = book[sheet] if sheet else book.worksheets[0]
        # read-only mode parses the sheet while iterating, so damage can surface here too
        return [(n, [_cell(v) for v in row])
                for n, row in enumerate(ws.iter_rows(values_only=True), start=1)]
    except ImportError_:
        raise
    except Exception as exc:
        raise ImportError_(f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})",
                           path=path, hint="save it again from your spreadsheet program") from None
    finally:
        book.close()


def _read_csv(path: Path, encoding: str | None, delimiter: str | None) -> list[tuple[int, list[str]]]:
    text = _decode(read_bytes(path), path, encoding)
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise ImportError_(f"line {line}: the file contains NUL bytes, so it is not a text CSV",
                           path=path, line=line, hint="export the spreadsheet as CSV UTF-8")
    first = text.split("\n", 1)[0]
    delim = delimiter or max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    rows, start = [], 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportError_(f"line {reader.line_num}: not valid CSV ({exc})", path=path,
                           line=reader.line_num,
                           hint="check for an unclosed quote around this line") from None
    return rows


def read_rows(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
              sheet: str | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and non-blank rows as lists of strings (duplicate column names allowed)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = _read_xlsx(path, sheet)
    else:
        raw = _read_csv(path, encoding, delimiter)
    raw = [(n, r) for n, r in raw if any((c or "").strip() for c in r)]
    if not raw:
        raise ImportError_("the file has no header row", path=path)
    (_, header), body = raw[0], raw[1:]
    return [h.strip().lstrip("\ufeff") for h in header], body


def read_table(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
               sheet: str | None = None) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV or XLSX file into (header, [(line, {column: value})]).

    Column names are stripped; blank rows are skipped; the line is the
    spreadsheet row (for CSV, the line the record starts on).
    """
    header, body = read_rows(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    seen = set()
    for h in header:
        if h and h.lower() in seen:
            raise ImportError_(f"the column {h!r} appears twice in the header", path=path, line=1)
        seen.add(h.lower())
    rows = []
    for n, values in body:
        if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
            raise ImportError_(f"row {n} has {len(values)} cells but the header has {len(header)}",
                               path=path, line=n, hint="check for an unquoted delimiter in a cell")
        rows.append((n, {h: (values[i] if i < len(values) else "") for i, h in enumerate(header)}))
    return header, rows


def split_codes(value: str) -> list[list[str]]:
    """`A > B; C` -> [["A", "B"], ["C"]]."""
    paths = []
    for part in value.replace("\n", ";").split(";"):
        names = [n.strip() for n in part.replace(">", "/").split("/") if n.strip()]
        if names:
            paths.append(names)
    return paths


def import_csv(path: Path, *, mapping: str | dict | None = None, encoding: str | None = None,
               delimiter: str | None = None, sheet: str | None = None, **_ignored) -> Bundle:
    """Read the canonical CSV/XLSX into a bundle (no project files are touched)."""
    mapping = parse_map(mapping)
    header, rows = read_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    lower = {h.lower(): h for h in header if h}
    col = {}
    for key in REQUIRED + OPTIONAL:
        wanted = mapping.get(key, key)
        if wanted.lower() in lower:
            col[key] = lower[wanted.lower()]
        elif key in mapping:
            raise ImportError_(f"--map {key}={wanted}: there is no column {wanted!r}", path=path,
                               line=1, hint=f"columns: {', '.join(h for h in header if h)}")
    missing = [k for k in REQUIRED if k not in col]
    if missing:
        raise ImportError_(f"missing required column(s): {', '.join(missing)}", path=path, line=1,
                           hint=f"the header has: {', '.join(h for h in header if h) or '(nothing)'}; "
                                "rename the columns or map them, e.g. --map text=Quote,codes=Themes")
    attr_cols = [h for h in header if h.lower().startswith("attr_")]
    used = set(col.values()) | set(attr_cols)
    extra = [h for h in header if h and h not in used]
    bundle = Bundle("csv")
    if extra:
        bundle.losses.append(f"columns not imported: {', '.join(extra)}")
    stated: dict[tuple[str, str], tuple[str, int]] = {}
    for n, row in rows:
        where = f"row {n}"
        get = lambda k: (row.get(col[k], "") if k in col else "").strip()  # noqa: E731
        ex_id, src_id, text = get("excerpt_id"), get("source_id"), clean_text(row.get(col["text"], ""))
        for key, value in (("excerpt_id", ex_id), ("source_id", src_id), ("text", text)):
            if not value:
                raise ImportError_(f"{where}: `{col[key]}` is empty", path=path, line=n,
                                   hint="every row needs an excerpt id, a source id and the text")
        check_id(ex_id, "excerpt id", where, path)
        check_id(src_id, "source id", where, path)
        codes = [bundle.add_code(names) for names in split_codes(get("codes"))]
        src = bundle.source(src_id)
        for key in SOURCE_COLUMNS:
            value = get(key)
            if not value:
                continue
            first = stated.setdefault((src_id, key), (value, n))
            if first[0] != value:
                raise ImportError_(f"{where}: {key} of source {src_id} is {value!r}, but row "
                                   f"{first[1]} says {first[0]!r}", path=path, line=n,
                                   hint="a source's role, sector and consent must agree on every row")
            apply_source_fields(src, key, value, where=where, path=path)
        for h in attr_cols:
            apply_source_fields(src, h[5:], row.get(h, ""), where=where, path=path)
        bundle.add_excerpt(ExcerptIn(
            id=ex_id, source_id=src_id, text=text, codes=codes, where=where,
            featured=parse_flag(get("featured"), what="featured", where=where, path=path),
            singular=parse_flag(get("singular"), what="singular", where=where, path=path),
            memo=clean_text(get("memo"))), path)
    return bundle
