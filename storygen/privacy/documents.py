"""What a reader can see in a PDF or a Word file, for the output scan.

Both formats compress what they hold, so the raw-bytes search alone would
miss a source id set in a PDF's text or a DOCX comment. Each file is unpacked
into three kinds of text: `chunks` a reader sees (page text, metadata,
bookmarks, link targets, alt text, comments, headers, footers, properties),
which the detectors and the private-value search read; `technical` values
(document ids, producer strings), searched for private values only; and
`parts`, every decompressed stream or zip member, searched as bytes for
private values, so a value hidden where no extractor looks is still found.
pypdfium2 (PDFium) reads the text layer, pikepdf (qpdf) everything else.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

DOCUMENT_SUFFIXES = frozenset({".pdf", ".docx"})
# Metadata a program writes about itself or as an opaque id: not prose, so no detectors.
_TECHNICAL_XMP = frozenset({"InstanceID", "DocumentID", "CreatorTool", "Producer", "format", "PDFVersion",
                            "RenditionClass", "part", "conformance", "NPages", "CreateDate", "ModifyDate",
                            "MetadataDate", "li"})
_PDF_TEXT_KEYS = ("/Alt", "/ActualText", "/T", "/E", "/Contents", "/TU", "/Lang")
_WORD_TEXT = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
_DRAWING_TEXT = "{http://schemas.openxmlformats.org/drawingml/2006/main}t"
_TEXT_ATTRS = ("descr", "title", "name", "author", "initials")
# Elements whose `name` is a font's ("Times New Roman" is not a person called Roman).
_FONT_ELEMENTS = frozenset({"font", "rFonts", "latin", "ea", "cs", "sym"})


@dataclass
class DocumentText:
    chunks: list[tuple[str, str]] = field(default_factory=list)      # (channel, text)
    technical: list[tuple[str, str]] = field(default_factory=list)   # (channel, value)
    parts: list[tuple[str, bytes]] = field(default_factory=list)     # (channel, decompressed bytes)


def document_text(path: Path) -> DocumentText:
    """Everything readable in a .pdf or .docx (see the module docstring)."""
    return _pdf(path) if path.suffix.lower() == ".pdf" else _docx(path)


def _pdf(path: Path) -> DocumentText:
    import pikepdf
    import pypdfium2

    found = DocumentText()
    document = pypdfium2.PdfDocument(str(path))
    try:
        for number, page in enumerate(document, start=1):
            text = page.get_textpage().get_text_range()
            found.chunks += [(f"PDF page {number} text", block) for block in text.split("\r\n\r\n") if block.strip()]
    finally:
        document.close()
    with pikepdf.open(path) as pdf:
        for key, value in pdf.docinfo.items():
            channel = f"PDF metadata {key}"
            (found.technical if key in ("/Creator", "/Producer") else found.chunks).append((channel, str(value)))
        xmp = pdf.Root.get("/Metadata")
        if xmp is not None:
            found.parts.append(("PDF XMP metadata", xmp.read_bytes()))
            _xml_text(xmp.read_bytes(), "PDF XMP metadata", found, technical=_TECHNICAL_XMP)
        with pdf.open_outline() as outline:
            stack = list(outline.root)
            while stack:
                item = stack.pop()
                found.chunks.append(("PDF bookmark", item.title or ""))
                stack += list(item.children)
        for number, page in enumerate(pdf.pages, start=1):
            for annot in page.get("/Annots", []):
                action = annot.get("/A")
                if action is not None and "/URI" in action:
                    found.chunks.append((f"PDF page {number} link target", str(action.URI)))
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) or isinstance(obj, pikepdf.Stream):
                for key in _PDF_TEXT_KEYS:
                    value = obj.get(key)
                    if isinstance(value, pikepdf.String):
                        found.chunks.append((f"PDF {key[1:]} text", str(value)))
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") != "/Image":
                try:
                    found.parts.append(("PDF stream", obj.read_bytes()))
                except pikepdf.PdfError:
                    found.parts.append(("PDF stream (raw)", obj.read_raw_bytes()))
    return found


# The parts a reader sees: the document, comments, notes, headers, footers, properties,
# and relationships (link targets). Style sheets, themes, settings and font tables are
# searched for private values as bytes only.
_READ_PARTS = ("word/document", "word/comments", "word/footnotes", "word/endnotes", "word/header",
               "word/footer", "docProps/", "word/_rels/", "_rels/")


def _docx(path: Path) -> DocumentText:
    found = DocumentText()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            found.parts.append((f"DOCX part {info.filename}", data))
            if info.filename.startswith(_READ_PARTS) and info.filename.endswith((".xml", ".rels")):
                _xml_text(data, f"DOCX {info.filename}", found, paragraphs=True)
    return found


def _xml_text(data: bytes, channel: str, found: DocumentText, *, technical=frozenset(), paragraphs=False) -> None:
    """Text of an XML part: Word and DrawingML paragraphs whole, other elements one by one,
    and text-bearing attributes (alt text, comment authors)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        found.chunks.append((channel, f"(unreadable XML: {exc})"))
        return
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = element.tag.rpartition("}")[2]
        for name, value in element.attrib.items():
            attribute = name.rpartition("}")[2]
            if attribute in _TEXT_ATTRS and value.strip():
                where = f"{channel} {local}@{attribute}"
                (found.technical if local in _FONT_ELEMENTS else found.chunks).append((where, value))
            elif attribute == "Target" and local == "Relationship":     # a link's address
                found.chunks.append((f"{channel} link target", value))
        if paragraphs and local == "p":
            text = "".join(t.text or "" for t in element.iter(_WORD_TEXT, _DRAWING_TEXT))
            if text.strip():
                found.chunks.append((channel, text))
        elif not (paragraphs and element.tag in (_WORD_TEXT, _DRAWING_TEXT)) and element.text and element.text.strip():
            (found.technical if local in technical else found.chunks).append((f"{channel} {local}", element.text))
