"""`storygen export refi OUT.qdpx`: the project as a REFI-QDA 1.0 project, for audit.

A researcher opens the file in NVivo, ATLAS.ti, MAXQDA or QualCoder and sees:

* the codebook (nested codes, descriptions, colours);
* one case per source, with role, sector, consent, withdrawn and attributes as
  variables;
* one text document per source holding that source's excerpts (a project keeps
  excerpts, not whole interviews), each excerpt a selection named by its
  storygen id, coded with its codes, its memo as the selection's description,
  and `featured`/`singular` as links to two notes;
* one set per story, holding the story's themes and the sources its composite
  quotes (the provenance reviewers check).

Conformance: lowercase `sources/`, `internal://` paths, UUID5 GUIDs that stay
the same between exports, 0-based code-point offsets with the end exclusive,
and elements in the order Project.xsd requires. The file is deterministic.
The .qdpx holds every excerpt and who said it: keep it private.
"""
from __future__ import annotations

import io
import os
import tempfile
import uuid
import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, tostring

from .. import __version__
from ..errors import ImportError_
from ..project import load_project
from .yamlio import explicit_colours

NS_PROJECT = "urn:QDA-XML:project:1.0"
GUID_NS = uuid.UUID("6f1d3c52-5e0b-5b8e-9a57-73746f727967")  # fixed: same GUIDs every export
FEATURED_NOTE = "storygen: featured"
SINGULAR_NOTE = "storygen: singular"
CODE_IDS_NOTE = "storygen: code ids"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def guid(kind: str, key: str) -> str:
    return str(uuid.uuid5(GUID_NS, f"{kind}:{key}"))


def _text_el(parent: Element, tag: str, text: str) -> Element:
    el = SubElement(parent, tag)
    el.text = text
    return el


def _variable_value(case: Element, var_guid: str, kind: str, value) -> None:
    vv = SubElement(case, "VariableValue")
    SubElement(vv, "VariableRef", targetGUID=var_guid)
    if kind == "Boolean":
        _text_el(vv, "BooleanValue", "true" if value else "false")
    else:
        _text_el(vv, "TextValue", str(value))


def build_project_xml(root: Path) -> tuple[bytes, dict[str, str], dict]:
    """Return (project.qde bytes, {member name: text}, stats)."""
    project = load_project(root)
    notes: list[str] = []
    colours = explicit_colours(root / "narratives" / "codebook.yaml")
    xml = Element("Project", {"xmlns": NS_PROJECT, "name": project.config.site.title or "storygen",
                              "origin": f"storygen {__version__}"})

    # Codebook: nest by id path, in codebook order
    codebook = SubElement(xml, "CodeBook")
    codes_el = SubElement(codebook, "Codes")
    elements: dict[str, Element] = {}
    for code in sorted(project.codes.values(), key=lambda c: c.order):
        parent = elements[code.parent_id] if code.parent_id else codes_el
        attrs = {"guid": guid("code", code.id), "name": code.name, "isCodable": "true"}
        if code.id in colours:
            attrs["color"] = colours[code.id]
        el = SubElement(parent, "Code", attrs)
        if code.description:
            _text_el(el, "Description", code.description)
        elements[code.id] = el

    # Variables: fixed fields first, then attribute names in sorted order
    fixed = [("role", "Text"), ("sector", "Text"), ("consent_composite", "Boolean"),
             ("consent_web", "Boolean"), ("consent_video", "Boolean"), ("consent_report", "Boolean"),
             ("withdrawn", "Boolean")]
    attr_names = sorted({k for s in project.sources.values() for k in s.attributes})
    variables = fixed + [(name, "Text") for name in attr_names if name not in dict(fixed)]
    vars_el = SubElement(xml, "Variables")
    for name, kind in variables:
        SubElement(vars_el, "Variable", guid=guid("variable", name), name=name, typeOfVariable=kind)

    # Cases: one per source
    cases_el = SubElement(xml, "Cases")
    by_source: dict[str, list] = {sid: [] for sid in project.sources}
    for ex in project.excerpts.values():
        by_source.setdefault(ex.source_id, []).append(ex)
    for sid, src in project.sources.items():
        case = SubElement(cases_el, "Case", guid=guid("case", sid), name=sid)
        values = {"role": src.role, "sector": src.sector, "consent_composite": src.consent.composite,
                  "consent_web": src.consent.web, "consent_video": src.consent.video,
                  # only when stated: left out, it follows consent_web (a round trip keeps it so)
                  "consent_report": "" if src.consent.report is None else src.consent.report,
                  "withdrawn": src.withdrawn, **src.attributes}
        for name, kind in variables:
            if name in values and values[name] != "":
                _variable_value(case, guid("variable", name), kind, values[name])
        if by_source.get(sid):
            SubElement(case, "SourceRef", targetGUID=guid("source", sid))
        if src.withdrawn:
            notes.append(f"source {sid} is withdrawn; its excerpts are included, flagged by the "
                         "case variable `withdrawn`")

    # Sources: one text per source, its excerpts separated by a blank line
    files: dict[str, str] = {}
    sources_el = SubElement(xml, "Sources")
    flagged = {"featured": False, "singular": False}
    for sid, excerpts in by_source.items():
        if not excerpts:
            continue
        src_guid = guid("source", sid)
        ts = SubElement(sources_el, "TextSource", guid=src_guid, name=sid,
                        plainTextPath=f"internal://{src_guid}.txt")
        parts, pos = [], 0
        for ex in excerpts:
            start, end = pos, pos + len(ex.text)   # len() of a str counts code points
            sel = SubElement(ts, "PlainTextSelection", guid=guid("excerpt", ex.id), name=ex.id,
                             startPosition=str(start), endPosition=str(end))
            if ex.memo:
                _text_el(sel, "Description", ex.memo)
            for code_id in ex.codes:
                coding = SubElement(sel, "Coding", guid=guid("coding", f"{ex.id}:{code_id}"))
                SubElement(coding, "CodeRef", targetGUID=guid("code", code_id))
            for flag in ("featured", "singular"):
                if getattr(ex, flag):
                    flagged[flag] = True
                    SubElement(sel, "NoteRef", targetGUID=guid("note", flag))
            parts.append(ex.text)
            pos = end + 2
        files[f"sources/{src_guid}.txt"] = "\n\n".join(parts)

    # storygen's own code ids (they need not be slugs of the names), so a re-import keeps them
    notes_el = SubElement(xml, "Notes")
    ids_note = SubElement(notes_el, "Note", guid=guid("note", "code-ids"), name=CODE_IDS_NOTE)
    _text_el(ids_note, "PlainTextContent",
             "".join(f"{guid('code', c)} {c}\n" for c in project.codes))
    if any(flagged.values()):
        for flag, title, text in (("featured", FEATURED_NOTE, "Excerpts marked featured in storygen."),
                                  ("singular", SINGULAR_NOTE, "Excerpts marked singular (too "
                                   "identifying) in storygen: never used in a composite.")):
            if flagged[flag]:
                note = SubElement(notes_el, "Note", guid=guid("note", flag), name=title)
                _text_el(note, "PlainTextContent", text)

    stories = _story_sets(project, notes)
    if stories:
        sets_el = SubElement(xml, "Sets")
        for story, theme_ids, source_ids in stories:
            st = SubElement(sets_el, "Set", guid=guid("story", story.slug), name=story.title)
            _text_el(st, "Description", f"storygen story `{story.slug}` ({story.status}): {story.summary}")
            for code_id in theme_ids:
                SubElement(st, "MemberCode", targetGUID=guid("code", code_id))
            for sid in source_ids:
                if by_source.get(sid):
                    SubElement(st, "MemberSource", targetGUID=guid("source", sid))

    for container in ("Variables", "Cases", "Sources"):
        el = xml.find(container)
        if el is not None and not len(el):   # the schema wants at least one child
            xml.remove(el)
    if not len(codes_el):
        xml.remove(codebook)
    data = b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(xml, encoding="unicode").encode("utf-8")
    stats = {"codes": len(project.codes), "sources": len(project.sources),
             "excerpts": len(project.excerpts), "stories": len(stories), "notes": notes}
    return data, files, stats


def _story_sets(project, notes: list[str]):
    """(story, themes, sources quoted) per story; sources come from composing the story."""
    out = []
    try:
        from ..compose.assemble import compose_all
        composites = {c.story.slug: c for c in compose_all(project, project.stories)}
    except Exception as exc:  # a story that does not compose still gets its themes exported
        notes.append(f"stories could not be composed ({exc}); their sets list themes only")
        composites = {}
    for story in project.stories:
        themes = [t for t in story.themes if t in project.codes]
        comp = composites.get(story.slug)
        out.append((story, themes, list(comp.stats.sources) if comp else []))
    return out


def export_refi(root: Path, out: Path) -> dict:
    """Write `out` (.qdpx) atomically; return counts for the summary."""
    site = (root / "build" / "site").resolve()
    if out.resolve().is_relative_to(site):
        raise ImportError_("the export holds every excerpt and its source: it must not be written "
                           "into the published site folder", path=out,
                           hint="write it somewhere private, e.g. build/private/project.qdpx")
    qde, files, stats = build_project_xml(root)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in [("project.qde", qde)] + sorted(
                (n, t.encode("utf-8")) for n, t in files.items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, content)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".qdpx", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ImportError_(f"cannot write the export ({exc.strerror or exc})", path=out) from None
    return stats
