"""The review pack: one editable Word document per story, for reviewers.

Written with python-docx (Word's own format, opened by Word, LibreOffice and
Google Docs). Front matter as a table, then the story: chapters as headings,
bridge text in the Normal style, each excerpt in the Quote style, pictures with
their alt text. The document language is set on every style; python-docx's own
metadata (author "python-docx", its 2013 dates, "Microsoft Macintosh Word" as
the application, a thumbnail) is replaced or removed, and the file is zipped
again with fixed times, so the same story gives the same bytes.

The published pack (build/report/review/) carries no provenance. Only the
private pack (`--with-provenance`, build/private/review/) adds a comment on
each excerpt naming its pseudonymous source and excerpt id.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

# Style ids the review documents use (headings, quotations, captions, lists, the table, header
# and footer); every other style of python-docx's template is dropped (_keep_styles).
USED_STYLES = {"Normal", "Heading1", "Heading2", "Heading3", "Heading4", "Quote", "Caption", "ListBullet",
               "TableGrid", "Header", "Footer", "CommentText", "CommentReference"}
COMMENT_AUTHOR = "storygen"          # a program, never a person or a machine
APP_XML = (b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
           b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           b"<Application>storygen</Application></Properties>\n")


def review_document(story: dict, *, site_title: str, language: str, day: date, pictures: Path,
                    provenance: list[tuple[str, str]] | None = None) -> bytes:
    """One story's review document (`story`: content.story_data). `provenance`, for the private
    pack only: (excerpt id, source id) for each quotation, in reading order."""
    document = docx.Document()
    _clean_package(document, story["title"], language, day)
    section = document.sections[0]
    section.header.paragraphs[0].text = f"{site_title}: review copy"
    section.footer.paragraphs[0].text = story["disclosure"]

    document.add_heading(story["title"], level=1)
    document.add_paragraph(story["summary"])
    _front_matter(document, story)
    document.add_paragraph(story["disclosure"]).runs[0].italic = True
    if story["persona"]:
        document.add_paragraph(story["persona"])
    if story["content_note"]:
        document.add_paragraph(f"Content note: {story['content_note']}")
    for picture in story["images"]:
        _picture(document, picture, pictures)

    quotes = iter(provenance or [])
    stamp = _timestamp(day)
    for block in story["blocks"]:
        if block["kind"] == "heading":
            document.add_heading(block["text"], level=min(block["level"], 4))
        elif block["kind"] == "quote":
            first = None
            for text in block["paragraphs"]:
                paragraph = _paragraph(document, text, "Quote")
                first = first or paragraph
            if provenance is not None:
                excerpt_id, source_id = next(quotes)
                comment = document.add_comment(first.runs, text=f"Excerpt {excerpt_id}, from source {source_id}.",
                                               author=COMMENT_AUTHOR, initials="SG")
                comment._element.set(qn("w:date"), stamp)
        else:
            for item in block["blocks"]:
                paragraph = _paragraph(document, "", "ListBullet" if item["kind"] == "item" else None)
                for run in item["runs"]:
                    added = paragraph.add_run(run["text"])
                    added.bold, added.italic = run["b"] or None, run["i"] or None
    document.add_paragraph(story["disclosure"])
    buffer = io.BytesIO()
    document.save(buffer)
    return _rezip(buffer.getvalue(), day)


def _paragraph(document, text: str, style_id: str | None):
    """A paragraph with a style given by its id: python-docx's lookup by name walks the whole
    style sheet for each paragraph (a third of the review pack's time)."""
    paragraph = document.add_paragraph(text)
    if style_id:
        paragraph._p.style = style_id
    return paragraph


def _front_matter(document, story: dict) -> None:
    minutes, seconds = divmod(story["seconds"], 60)
    rows = [("Status", story["status"]), ("Reviewer", story["reviewer"] or "(none yet)"),
            ("Reviewed on", story["reviewed_on"] or "(not yet)"), ("Themes", ", ".join(story["themes"])),
            ("Media", ", ".join(story["media"])), ("Word count", str(story["words"])),
            ("Duration (estimated, spoken)", f"{minutes}:{seconds:02d}")]
    table = document.add_table(rows=1 + len(rows), cols=2)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Field", "Value")):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    _repeat_header(table.rows[0])
    for row, (field, value) in zip(table.rows[1:], rows):
        row.cells[0].text, row.cells[1].text = field, value


def _repeat_header(row) -> None:
    """Mark the first row as the table's header row (read out as such by screen readers)."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _picture(document, picture: dict, pictures: Path) -> None:
    paragraph = document.add_paragraph()
    shape = paragraph.add_run().add_picture(str(pictures / picture["path"].lstrip("/")), width=Cm(15))
    properties = shape._inline.docPr
    properties.set("name", "Picture")
    if picture["decorative"]:
        properties.set("descr", "")
        properties.set("title", "decorative")
    else:
        properties.set("descr", picture["alt"])
    caption = " ".join(t for t in (picture["caption"], picture["credit"]) if t)
    if caption:
        _paragraph(document, caption, "Caption")


def _clean_package(document, title: str, language: str, day: date) -> None:
    """Every metadata field set or cleared: python-docx's template names its own author and app."""
    moment = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    core = document.core_properties
    core.author = core.last_modified_by = core.comments = core.category = core.keywords = ""
    core.identifier = core.subject = core.version = core.content_status = ""
    core.title, core.language, core.revision = title, language, 1
    core.created = core.modified = moment
    core.last_printed = moment
    package = document.part.package
    for part in package.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = APP_XML
    for key, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package.rels[key]
    # Word 2010's duplicate style sheet and an empty bibliography store: not needed to open
    # or edit the document, and 440 kB of every file the output scan reads.
    for key, rel in list(document.part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            del document.part.rels[key]
    # The document language on the default run properties: every style inherits it.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for old in run_defaults.findall(qn("w:lang")):
        run_defaults.remove(old)
    _keep_styles(document.styles.element, USED_STYLES)
    lang = OxmlElement("w:lang")
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), language)
    run_defaults.append(lang)
    document.styles["Normal"].font.size = Pt(11)
    document.styles["Quote"].paragraph_format.left_indent = Cm(1)      # set apart, as on the site


def _keep_styles(styles, keep: set[str]) -> None:
    """Only the styles this document uses, with those they are based on or linked to, and the
    defaults: python-docx's template defines 164 (335 kB, in every review document)."""
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    wanted = {i for i, s in by_id.items() if s.get(qn("w:default")) in ("1", "true")} | keep
    todo = list(wanted)
    while todo:
        style = by_id.get(todo.pop())
        if style is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = style.find(qn(tag))
            target = ref.get(qn("w:val")) if ref is not None else None
            if target and target not in wanted:
                wanted.add(target)
                todo.append(target)
    for style_id, style in by_id.items():
        if style_id not in wanted:
            styles.remove(style)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)


def _timestamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _rezip(data: bytes, day: date) -> bytes:
    """The same members in the same order with fixed times: byte-identical for the same story."""
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(info))
    return out.getvalue()
