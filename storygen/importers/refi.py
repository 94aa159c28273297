"""REFI-QDA import: `.qdpx` projects and `.qdc` codebooks from any vendor.

Read tolerantly, because no two vendors agree (../shared/knowledge/qda-formats.md):

* any single `*.qde` at the zip root; `sources/` in any letter case;
  `plainTextPath` with or without `internal://`;
* text with a BOM and CRLF line ends;
* offsets in code points (the spec), UTF-16 code units (NVivo for Windows) or
  UTF-8 bytes, over the raw or the LF-normalised text: each reading is tried and
  the one whose slices match the selections' names, or else fall on word
  boundaries, wins; the choice is reported per document;
* selections with no, one or several codings; codes keyed by their name path.

Cases become sources (their variables become role, sector, consent and
attributes); documents without a case become sources named after the document
(or as a `--documents` map says). User names, `basePath` and file paths are
never carried over. Everything left out is listed in the data-loss report.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from itertools import accumulate
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element

from ..errors import ImportError_
from .bundle import Bundle, ExcerptIn, apply_source_fields, clean_text, hex_colour, safe_id, short_hash
from .docmap import DocumentMap
from .safety import SafeZip, child, children, local, parse_xml, read_bytes

GUID_RE = re.compile(r"\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?")
STORYGEN_ORIGIN = "storygen"
FEATURED_NOTE = "storygen: featured"
SINGULAR_NOTE = "storygen: singular"
CODE_IDS_NOTE = "storygen: code ids"
MAX_DEPTH = 40


def import_refi(path: Path, *, documents_map: Path | None = None, **_ignored) -> Bundle:
    """Read a .qdpx (zip) or .qdc/.qde (XML) file into a bundle."""
    bundle = Bundle("refi")
    head = read_bytes(path)[:4]
    if head.startswith(b"PK"):
        archive = SafeZip(path)
        try:
            qde = [n for n in archive.names() if "/" not in n and n.lower().endswith(".qde")]
            if len(qde) != 1:
                raise ImportError_(f"expected one .qde file at the top of the archive, found "
                                   f"{len(qde) or 'none'}", path=path,
                                   hint="is this a REFI-QDA project (.qdpx)?")
            raw = archive.read(qde[0])
            root = parse_xml(raw, path, member=qde[0])
            _Reader(bundle, path, raw, archive, DocumentMap.load(documents_map)).project(root)
        finally:
            archive.close()
    else:
        raw = read_bytes(path)
        root = parse_xml(raw, path)
        if local(root.tag) == "CodeBook":
            _codes(bundle, child(root, "Codes"), (), {}, path)
        elif local(root.tag) == "Project":
            _Reader(bundle, path, raw, None, DocumentMap.load(documents_map)).project(root)
        else:
            raise ImportError_(f"the root element is <{local(root.tag)}>, not a REFI-QDA "
                               "<Project> or <CodeBook>", path=path)
    return bundle


def _codes(bundle: Bundle, codes_el: Element | None, parents: tuple, out: dict, path=None) -> None:
    """Nested <Code> elements -> codebook entries; folders (isCodable=false) included."""
    if codes_el is None:
        return
    if len(parents) > MAX_DEPTH:   # a crafted file could nest deep enough to exhaust the stack
        raise ImportError_(f"codes are nested more than {MAX_DEPTH} levels deep "
                           f"(under {' > '.join(parents[:3])} …)", path=path,
                           hint="this is not a usable codebook")
    for code in children(codes_el, "Code"):
        name = (code.get("name") or "").strip() or (code.get("guid") or "unnamed")
        names = parents + (name,)
        desc = child(code, "Description")
        colour = hex_colour(code.get("color") or "")
        cid = bundle.add_code(names, description=(desc.text or "") if desc is not None else "",
                              colour=colour)
        if child(code, "NoteRef") is not None:
            bundle.losses.append(f"code {' > '.join(names)}: linked notes (memos on the code) are "
                                 "not imported; its description is")
        if code.get("guid"):
            out[code.get("guid").strip("{}").lower()] = cid
        _codes(bundle, code, names, out, path)


def _guid(el: Element, attr: str = "guid") -> str:
    return (el.get(attr) or "").strip("{}").lower()


class _Reader:
    def __init__(self, bundle: Bundle, path: Path, raw: bytes, archive: SafeZip | None,
                 docmap: "DocumentMap"):
        self.b, self.path, self.raw, self.archive, self.docmap = bundle, path, raw, archive, docmap
        self.code_ids: dict[str, str] = {}
        self.ours = False
        self.readings: dict[str, list[str]] = {}   # offset reading -> documents read that way

    def where(self, guid: str) -> str:
        """'selection <guid> (project.qde line N)' so a researcher can find it in the file."""
        if not hasattr(self, "_guid_lines"):
            # one pass over the file, not one search per selection: projects can be large
            breaks = [m.start() for m in re.finditer(rb"\n", self.raw)]
            self._guid_lines = {}
            for m in re.finditer(rb'\bguid\s*=\s*["\']\{?([^"\'}]+)', self.raw):
                key = m.group(1).decode("utf-8", "replace").lower()
                self._guid_lines.setdefault(key, bisect_left(breaks, m.start()) + 1)
        line = self._guid_lines.get(guid)
        return f"selection {guid}" + (f" (project.qde line {line})" if line else "")

    def project(self, root: Element) -> None:
        b = self.b
        self.ours = (root.get("origin") or "").lower().startswith(STORYGEN_ORIGIN)
        users = child(root, "Users")
        if users is not None and len(users) or root.get("basePath"):
            b.notes.append("user names and basePath in the export were not imported (personal data)")
        codebook = child(root, "CodeBook")
        _codes(b, child(codebook, "Codes") if codebook is not None else None, (), self.code_ids,
               self.path)
        self.variables = {_guid(v): (v.get("name") or "").strip()
                          for v in children(child(root, "Variables") or Element("x"), "Variable")}
        self.notes = self._notes(child(root, "Notes"))
        if self.ours:
            self._keep_storygen_code_ids()
        self.source_of_doc, self.source_of_sel = self._cases(child(root, "Cases"))
        sources = child(root, "Sources")
        for el in (sources if sources is not None else []):
            kind = local(el.tag)
            if kind == "TextSource":
                self.text_source(el)
            else:
                b.losses.append(f"{kind} {el.get('name') or _guid(el)}: only text sources are "
                                "imported (pictures, PDFs, audio and video are not)")
        for name in ("Links", "Graphs"):
            el = child(root, name)
            if el is not None and len(el):
                b.losses.append(f"{len(el)} {name.lower()} (storygen has no place for them)")
        for label, docs in self.readings.items():
            b.notes.append(f"offsets read as {label} in {len(docs)} document(s): " + ", ".join(docs))
        self.docmap.report(b)
        sets = child(root, "Sets")
        if sets is not None and len(sets):
            b.losses.append(f"{len(sets)} set(s): storygen keeps stories in narratives/stories/, "
                            "so sets are not imported")

    def _keep_storygen_code_ids(self) -> None:
        """A storygen export lists its code ids in a note: use them instead of new slugs."""
        listing = next((text for name, text in self.notes.values() if name == CODE_IDS_NOTE), "")
        wanted = dict(line.split(" ", 1) for line in listing.splitlines() if " " in line)
        rename = {self.code_ids[g]: cid.strip() for g, cid in wanted.items() if g in self.code_ids}
        if not rename:
            return
        self.b.rename_codes(rename)
        self.code_ids = {g: rename.get(old, old) for g, old in self.code_ids.items()}

    def _notes(self, notes_el: Element | None) -> dict[str, tuple[str, str]]:
        out = {}
        for note in children(notes_el, "Note") if notes_el is not None else []:
            content = child(note, "PlainTextContent")
            text = content.text if content is not None and content.text else ""
            if not text and note.get("plainTextPath"):
                text = self.read_source_file(note.get("plainTextPath"), what="note") or ""
            out[_guid(note)] = ((note.get("name") or "").strip(), clean_text(text))
        return out

    def _cases(self, cases_el: Element | None):
        by_doc, by_sel = {}, {}
        for case in children(cases_el, "Case") if cases_el is not None else []:
            name = (case.get("name") or "").strip() or f"case-{_guid(case)[:8]}"
            sid = self.docmap.source_for(name, default=safe_id(name), record=False)
            if sid is None:
                continue
            self.variable_values(case, self.b.source(sid), f"case {name}")
            if child(case, "CodeRef") is not None:
                self.b.losses.append(f"case {name}: codes on the whole case are not imported")
            for ref in children(case, "SourceRef"):
                doc = _guid(ref, "targetGUID")
                if doc in by_doc and by_doc[doc] != sid:
                    self.b.losses.append(f"document {doc} belongs to cases {by_doc[doc]} and {sid}: "
                                         f"its excerpts went to {by_doc[doc]}")
                    continue
                by_doc[doc] = sid
            for ref in children(case, "SelectionRef"):
                by_sel[_guid(ref, "targetGUID")] = sid
        return by_doc, by_sel

    def variable_values(self, el: Element, src, where: str) -> None:
        """<VariableValue>s of a case or document -> the source's fields and attributes."""
        for vv in children(el, "VariableValue"):
            ref = child(vv, "VariableRef")
            var = self.variables.get(_guid(ref, "targetGUID")) if ref is not None else None
            value = next((c.text for c in vv if local(c.tag) != "VariableRef"), None)
            if var and value is not None and value.strip():
                apply_source_fields(src, var, value.strip(), where=where, path=self.path)

    def read_source_file(self, ref: str, *, what: str) -> str | None:
        """Text of `internal://x.txt`, `relative://x` or a bare name, from sources/ (any case)."""
        if ref.startswith("absolute://"):
            self.b.losses.append(f"{what} text stored outside the export (an absolute path) "
                                 "cannot be read")
            return None
        name = PurePosixPath(re.sub(r"^(internal|relative)://", "", ref).replace("\\", "/")).name
        if self.archive is None:
            self.b.losses.append(f"{what} text {name!r} is not inside a .qdpx archive")
            return None
        wanted = {f"sources/{name}".lower(), name.lower()}
        member = next((n for n in self.archive.names() if n.lower() in wanted), None)
        if member is None:
            self.b.losses.append(f"{what} text {name!r} is missing from the archive")
            return None
        data = self.archive.read(member)
        if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
            return data.decode("utf-16")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportError_(f"the text of {member!r} is not UTF-8 (byte {exc.start})",
                               path=self.path) from None

    def doc_source_id(self, el: Element) -> str | None:
        guid = _guid(el)
        if guid in self.source_of_doc:
            return self.source_of_doc[guid]
        shown = el.get("name") or re.sub(r"^\w+://", "", el.get("plainTextPath") or "")
        name = PurePosixPath(shown.replace("\\", "/")).name
        stem = re.sub(r"\.(txt|docx?|rtf|odt|pdf)$", "", name, flags=re.I).strip()
        if not stem or GUID_RE.fullmatch(stem):
            stem = f"doc-{guid[:8]}"
        return self.docmap.source_for(name or stem, default=safe_id(stem))

    def text_source(self, el: Element) -> None:
        b = self.b
        shown = (el.get("name") or el.get("plainTextPath") or "").replace("\\", "/")
        label = PurePosixPath(re.sub(r"^\w+://", "", shown)).name or _guid(el)
        selections = children(el, "PlainTextSelection")
        if child(el, "Coding") is not None:
            b.losses.append(f"document {label}: codings of the whole document are not imported")
        content = child(el, "PlainTextContent")
        if content is not None and content.text:
            text = content.text
        elif el.get("plainTextPath"):
            text = self.read_source_file(el.get("plainTextPath"), what=f"document {label}")
        else:
            text = None
        if not selections:
            b.notes.append(f"document {label}: no coded selections, nothing imported from it")
            return
        source_id = self.doc_source_id(el)
        if source_id is None:
            b.notes.append(f"document {label}: skipped as the documents map says")
            return
        self.variable_values(el, b.source(source_id), f"document {label}")
        if text is None:
            b.losses.append(f"document {label}: {len(selections)} selection(s) without text")
            return
        text = text.lstrip("\ufeff")
        spans = []
        for sel in selections:
            guid = _guid(sel)
            try:
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):
                raise ImportError_(f"{self.where(guid)}: startPosition/endPosition are not numbers "
                                   f"({sel.get('startPosition')!r}, {sel.get('endPosition')!r})",
                                   path=self.path) from None
            if start < 0 or end < start:
                raise ImportError_(f"{self.where(guid)}: the selection runs backwards "
                                   f"({start}..{end})", path=self.path)
            spans.append((sel, guid, start, end))
        reading = choose_reading(text, [(s, e, sel.get("name") or "") for sel, _, s, e in spans],
                                 prefer_code_points=self.ours)
        if reading is None:
            sel, guid, start, end = max(spans, key=lambda t: t[3])
            raise ImportError_(f"{self.where(guid)}: the selection {start}..{end} runs past the end "
                               f"of document {label} ({len(text)} characters)", path=self.path,
                               hint="the export is damaged or its text file does not belong to it; "
                                    "export again")
        self.readings.setdefault(reading.label, []).append(label)
        sliced = reading.slices([(s, e) for _, _, s, e in spans])
        # NVivo writes one selection per coding of the same passage: one passage, one excerpt
        merged: dict[tuple, ExcerptIn] = {}
        for (sel, guid, start, end), piece in zip(spans, sliced):
            ex = self.selection(sel, guid, clean_text(piece), source_id, label)
            if ex is None:
                continue
            key = (ex.source_id, start, end)
            if key in merged:
                first = merged[key]
                first.codes += [c for c in ex.codes if c not in first.codes]
                if ex.memo and ex.memo not in first.memo:
                    first.memo = "\n\n".join(filter(None, (first.memo, ex.memo)))
                first.featured = first.featured or ex.featured
                first.singular = first.singular or ex.singular
            else:
                merged[key] = ex
        if len(merged) < len(spans):
            b.notes.append(f"document {label}: {len(spans)} selections on {len(merged)} distinct "
                           "passages, merged into one excerpt per passage")
        for ex in merged.values():
            if not ex.codes:
                b.notes.append(f"{ex.where} in {label}: no codes (imported uncoded)")
            b.add_excerpt(ex, self.path)

    def selection(self, sel: Element, guid: str, text: str, source_id: str,
                  label: str) -> ExcerptIn | None:
        """One <PlainTextSelection> as an excerpt (not yet added to the bundle)."""
        b = self.b
        if not text:
            b.losses.append(f"{self.where(guid)} in {label}: empty selection")
            return None
        codes = []
        for coding in children(sel, "Coding"):
            ref = child(coding, "CodeRef")
            target = _guid(ref, "targetGUID") if ref is not None else ""
            if target in self.code_ids:
                codes.append(self.code_ids[target])
            else:
                b.losses.append(f"{self.where(guid)}: coding refers to unknown code {target!r}")
        memo_parts = []
        desc = child(sel, "Description")
        if desc is not None and desc.text and desc.text.strip():
            memo_parts.append(clean_text(desc.text))
        featured = singular = None
        for ref in children(sel, "NoteRef"):
            name, note_text = self.notes.get(_guid(ref, "targetGUID"), ("", ""))
            if name == FEATURED_NOTE:
                featured = True
            elif name == SINGULAR_NOTE:
                singular = True
            elif note_text:
                memo_parts.append(note_text)
        name = (sel.get("name") or "").strip()
        ex_id = name if self.ours and name else f"{source_id}-{short_hash(guid, 8)}"
        return ExcerptIn(ex_id, self.source_of_sel.get(guid, source_id), text, codes,
                         featured=featured, singular=singular, memo="\n\n".join(memo_parts),
                         where=self.where(guid))


# --- offsets ---------------------------------------------------------------

class Reading:
    """One way of counting offsets: over which text, in which units."""

    def __init__(self, text: str, crlf: bool, unit: str):
        self.text = text if crlf else text.replace("\r\n", "\n")
        self.unit = unit
        self.label = {"cp": "code points", "u16": "UTF-16 code units",
                      "u8": "UTF-8 bytes"}[unit] + (" over CRLF text" if crlf and "\r\n" in text else "")
        if unit == "cp":
            self.cum = None
        else:
            width = (lambda c: 2 if ord(c) > 0xFFFF else 1) if unit == "u16" else \
                (lambda c: len(c.encode("utf-8", "surrogatepass")))
            self.cum = [0, *accumulate(map(width, self.text))]

    @property
    def size(self) -> int:
        return len(self.text) if self.cum is None else self.cum[-1]

    def index(self, offset: int) -> int | None:
        """Unit offset -> code-point index, or None when it falls inside a character."""
        if self.cum is None:
            return offset
        i = bisect_left(self.cum, offset)
        return i if i < len(self.cum) and self.cum[i] == offset else None

    def slices(self, spans):
        out = []
        for s, e in spans:
            i, j = self.index(s), self.index(e)
            out.append(self.text[i:j] if i is not None and j is not None else "")
        return out


def _boundary(text: str, i: int) -> bool:
    return i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum())


def _score(reading: Reading, start: int, end: int, name: str) -> int:
    i, j = reading.index(start), reading.index(end)
    if i is None or j is None:
        return -2
    piece = reading.text[i:j]
    squash = lambda t: " ".join(t.split())  # noqa: E731
    if name and not re.fullmatch(r"line:\d+", name) and squash(piece) and squash(name):
        a, b = squash(piece), squash(name)
        if a == b:
            return 6
        if len(b) >= 8 and a.startswith(b.rstrip(".…")):   # the name is a truncated preview
            return 4
    score = -1 if piece[:1].isspace() or piece[-1:].isspace() else 0
    if i == 0 or reading.text[i - 1] == "\n":
        score += 2                    # selections usually start a line or paragraph
    elif _boundary(reading.text, i):
        score += 1
    score += 1 if _boundary(reading.text, j) else 0
    return score


def choose_reading(text: str, spans: list[tuple[int, int, str]], *, prefer_code_points=False):
    """The reading whose slices best match the names / boundaries; None if none fits."""
    candidates = [Reading(text, crlf, unit) for unit in ("cp", "u16", "u8")
                  for crlf in ((True, False) if "\r\n" in text else (True,))]
    if prefer_code_points:
        candidates = candidates[:1]
    best, best_score = None, None
    for reading in candidates:
        if any(e > reading.size for _, e, _ in spans):
            continue
        score = sum(_score(reading, s, e, name) for s, e, name in spans)
        if best_score is None or score > best_score:   # ties keep the earlier (the spec's) reading
            best, best_score = reading, score
    return best
