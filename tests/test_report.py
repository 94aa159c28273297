"""The report output: the sample's PDF read back with PDFium (text) and qpdf (structure, metadata).

Every check reads the real file the real build wrote: the text layer, the tag
tree, the bookmarks, the document language and metadata. Nothing is mocked.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

import golden
from projectkit import edit, write_project
from storygen.model import normalise_text
from storygen.project import load_project

EPOCH = golden.EPOCH


def run_build(project: Path, *args, cache: Path, out: Path | None = None, epoch: str | None = EPOCH):
    env = {**os.environ, "STORYGEN_CACHE_DIR": str(cache), "TZ": "UTC"}
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch:
        env["SOURCE_DATE_EPOCH"] = epoch
    command = [sys.executable, "-m", "storygen", "build", "--project", str(project), "--force", *map(str, args)]
    if out is not None:
        command += ["--out", str(out)]
    return subprocess.run(command, capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample project, copied and built with `--only report`."""
    work = tmp_path_factory.mktemp("report")
    project = golden.copy_sample(work / "project")
    done = run_build(project, "--only", "report", cache=work / "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    return project


@pytest.fixture(scope="module")
def pdf_path(sample) -> Path:
    files = sorted((sample / "build" / "report").glob("*.pdf"))
    assert [f.name for f in files] == ["stories-of-change.pdf"]
    return files[0]


def pdf_text(path: Path) -> str:
    """The text layer, page after page, as PDFium reads it (what copy and paste and screen readers get)."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def flat(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


def tags(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element, in reading order."""
    found = []

    def walk(node):
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            found.append(node)
            if "/K" in node:
                walk(node.K)
    walk(pdf.Root.StructTreeRoot.K)
    return found


def bookmarks(pdf: pikepdf.Pdf) -> list[tuple[int, str]]:
    with pdf.open_outline() as outline:
        out = []

        def walk(items, depth):
            for item in items:
                out.append((depth, item.title))
                walk(item.children, depth + 1)
        walk(outline.root, 1)
        return out


def published(project: Path) -> list:
    loaded = load_project(project)
    return [s for s in loaded.stories if s.approved and "report" in s.media], loaded


# --- the sample's PDF ---------------------------------------------------------------

def test_each_story_is_in_full_with_its_excerpts_in_order_and_the_disclosure(sample, pdf_path):
    from storygen.compose.assemble import compose_all

    stories, project = published(sample)
    text = flat(pdf_text(pdf_path))
    start = text.index("Appendix: the themes in numbers", text.index("Contents") + 10)  # past the contents
    start = text.index("Stories " + stories[0].title)         # the part heading, then the first story
    assert start < text.rindex("Appendix: the themes in numbers")
    for composite in compose_all(project, stories):
        at = text.index(composite.story.title + " " + composite.story.summary, start)
        disclosure = (f"A composite of {composite.contributors} accounts; names and details changed. "
                      f"{composite.story.persona.name} is not a real person")
        assert disclosure in text[at:at + 2000]
        for segment in composite.excerpt_segments:
            words = normalise_text(segment.text)
            found = text.find(words, at)
            assert found > at, f"excerpt not found in order in {composite.story.slug}: {words[:60]}"
            at = found + len(words)
        assert text.count(disclosure) >= 2          # at the top of the story and after it


def test_cover_contents_method_themes_and_appendix(sample, pdf_path):
    text = flat(pdf_text(pdf_path))
    assert text.startswith("Stories of change Composite stories about public services")
    assert "The Listening Collective" in text and "1 January 2026" in text       # the cover's date: the epoch
    assert "Contents" in text and "How these stories were made" in text
    assert "Every story draws on at least 3 people" in text
    for theme in ("A holistic approach to wellbeing", "Working together", "Turning off targets"):
        assert text.count(theme) >= 3             # contents, chapter, appendix table
    assert "Theme Stories Excerpts People" in text


def test_tagged_structure_headings_figures_language(pdf_path):
    with pikepdf.open(pdf_path) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
        assert pdf.Root.MarkInfo.Marked is True
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True     # the title, not the file name
        elements = tags(pdf)
        kinds = [str(e.S) for e in elements]
        for kind in ("/H1", "/H2", "/H3", "/BlockQuote", "/Figure", "/Table", "/TH", "/Link", "/L"):
            assert kind in kinds, kind
        figures = [str(e.Alt) for e in elements if e.S == "/Figure"]
        sample = golden.REPO / "narratives" / "stories"
        alts = re.findall(r"^\s+alt: (.+)$", (sample / "asked-what-mattered.md").read_text(), re.M)
        assert alts and alts[0] in figures and len(figures) == 3
        assert "pdfuaid:part>1<" in pdf.open_metadata().__str__().replace(" ", "") or \
            pdf.open_metadata().get("pdfuaid:part") == "1"


def test_bookmarks_are_the_chapters(sample, pdf_path):
    stories, _ = published(sample)
    with pikepdf.open(pdf_path) as pdf:
        marks = bookmarks(pdf)
    top = [title for depth, title in marks if depth == 1]
    assert top == ["How these stories were made", "Themes", "Stories", "Appendix: the themes in numbers"]
    assert [title for depth, title in marks if depth == 2][-len(stories):] == [s.title for s in stories]
    # Links inside the document: each theme's list of stories points at the story's chapter.
    with pikepdf.open(pdf_path) as pdf:
        links = [a for page in pdf.pages for a in page.get("/Annots", []) if a.get("/Subtype") == "/Link"]
    assert links


def test_metadata_names_nobody_and_no_private_id_is_anywhere(sample, pdf_path):
    from storygen.privacy.documents import document_text

    with pikepdf.open(pdf_path) as pdf:
        info = {str(k): str(v) for k, v in pdf.docinfo.items()}
        xmp = str(pdf.open_metadata())
    assert info["/Title"] == "Stories of change"
    assert set(info) <= {"/Title", "/Creator", "/CreationDate", "/ModDate"}
    assert info["/Creator"].startswith("Typst ")                   # the program, never a person or machine
    assert "dc:creator" not in xmp and os.uname().nodename not in xmp
    _, project = published(sample)
    everything = document_text(pdf_path)
    blob = "\n".join(text for _, text in everything.chunks + everything.technical)
    blob_bytes = b"\n".join(part for _, part in everything.parts)
    for source in project.sources:
        assert not re.search(rf"\b{re.escape(source)}\b", blob), source
    for excerpt in project.excerpts.values():
        assert excerpt.id not in blob and excerpt.id.encode() not in blob_bytes
        assert excerpt.text_hash not in blob


def test_two_builds_give_the_same_bytes(sample, pdf_path, tmp_path):
    again = run_build(sample, "--only", "report", cache=tmp_path / "cache", out=tmp_path / "out")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "out" / "report" / pdf_path.name).read_bytes() == pdf_path.read_bytes()


def test_one_story_alone(sample, tmp_path):
    done = run_build(sample, "--only", "report", "--story", "room-to-do-the-job", cache=tmp_path / "c",
                     out=tmp_path / "out")
    assert done.returncode == 0, done.stderr
    files = sorted(p.relative_to(tmp_path / "out" / "report").as_posix()
                   for p in (tmp_path / "out" / "report").rglob("*.*"))
    assert files == ["review/room-to-do-the-job.docx", "room-to-do-the-job.pdf"]
    files = files[1:]
    path = tmp_path / "out" / "report" / files[0]
    text = flat(pdf_text(path))
    assert text.startswith("Room to do the job properly") and "Appendix" not in text
    with pikepdf.open(path) as pdf:
        assert str(pdf.docinfo["/Title"]) == "Room to do the job properly"
        assert bookmarks(pdf)[0] == (1, "Room to do the job properly")


# --- small projects: consent, privacy, bad input ----------------------------------------

REPORT_STORY_MEDIA = ("media: [site, video]", "media: [report]")


@pytest.fixture
def small(tmp_path):
    project = write_project(tmp_path / "proj")
    edit(project / "narratives" / "stories" / "time-to-listen.md", *REPORT_STORY_MEDIA)
    return project


def test_interview_text_is_set_as_text_never_as_typst(small, tmp_path):
    hostile = '#panic("boom") $x^2$ *bold* <label> = not a heading #read("/etc/hostname") \\ ]['
    excerpts = small / "narratives" / "excerpts" / "S01.yaml"      # S01-01's first line, replaced
    excerpts.write_text(re.sub(r"(    text: \|\n      )(.*)",
                                 lambda m: m.group(1) + hostile + " " + " ".join(m.group(2).split()[:13]),
                                 excerpts.read_text(), 1))
    done = run_build(small, "--only", "report", cache=tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    text = flat(pdf_text(small / "build" / "report" / "test-stories.pdf"))
    assert hostile in text


def test_consent_for_the_report_follows_web_unless_stated(small, tmp_path):
    sources = small / "narratives" / "sources.yaml"
    edit(sources, "S01: {role: staff, sector: council, consent: {composite: yes, web: yes, video: yes}}",
         "S01: {role: staff, sector: council, consent: {composite: yes, web: yes, video: yes, report: no}}")
    done = run_build(small, "--only", "report", cache=tmp_path / "cache")
    assert done.returncode == 1
    assert "C12" in done.stderr and "S01-01" in done.stderr and "report" in done.stderr
    assert not (small / "build").exists()
    edit(sources, "report: no}", "report: yes}")
    assert run_build(small, "--only", "report", cache=tmp_path / "cache").returncode == 0
    edit(sources, "web: yes, video: yes, report: yes}", "web: no, video: yes}")      # unstated: web's answer
    assert run_build(small, "--only", "report", cache=tmp_path / "cache").returncode == 1


def test_a_source_id_planted_in_bridge_text_stops_the_build(small, tmp_path):
    assert run_build(small, "--only", "report", cache=tmp_path / "cache").returncode == 0
    before = (small / "build" / "report" / "test-stories.pdf").read_bytes()
    edit(small / "narratives" / "stories" / "time-to-listen.md", "front desk for years.",
         "front desk for years, like S04 said.")
    done = run_build(small, "--only", "report", cache=tmp_path / "cache")
    assert done.returncode == 1 and "S04" in done.stderr
    assert (small / "build" / "report" / "test-stories.pdf").read_bytes() == before


def test_the_output_scan_reads_the_pdf_and_names_it(small, tmp_path):
    """A private value only the PDF carries (the logo's alt text, set in storygen.toml) is found there."""
    shutil.copy(golden.REPO / "assets" / "images" / "two-chairs.jpg", small / "assets" / "logo.jpg")
    with open(small / "storygen.toml", "a") as fh:
        fh.write('\n[report]\nlogo = "assets/logo.jpg"\nlogo_alt = "Logo for interview S05-02"\n')
    done = run_build(small, "--only", "report", cache=tmp_path / "cache")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "test-stories.pdf" in done.stderr and "S05-02" in done.stderr and "R5" in done.stderr
    assert not (small / "build" / "report").exists()


def test_check_names_a_missing_picture_or_logo(small, tmp_path):
    with open(small / "storygen.toml", "a") as fh:
        fh.write('\n[report]\nlogo = "assets/missing.png"\nlogo_alt = "Our logo"\n')
    env = {**os.environ, "STORYGEN_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "storygen", "check", "--project", str(small)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "storygen.toml" in done.stderr and "missing.png" in done.stderr


def test_bad_report_settings_name_the_line(small, tmp_path):
    with open(small / "storygen.toml", "a") as fh:
        fh.write('\n[report]\npaper = "A5"\n')
    done = run_build(small, "--only", "report", cache=tmp_path / "cache")
    assert done.returncode == 2 and "report.paper" in done.stderr and 'use "a4" or "letter"' in done.stderr


# --- the Word review pack ------------------------------------------------------------

@pytest.fixture(scope="module")
def review(sample, tmp_path_factory):
    """The sample built with --with-provenance into its own folder: public and private packs."""
    work = tmp_path_factory.mktemp("review")
    done = run_build(sample, "--only", "report", "--with-provenance", cache=work / "cache", out=work / "out")
    assert done.returncode == 0, done.stdout + done.stderr
    return work / "out"


def test_the_review_pack_has_each_story_with_quotes_in_the_quote_style(sample, review):
    import docx
    from docx2python import docx2python
    from storygen.compose.assemble import compose_all

    stories, project = published(sample)
    files = sorted(p.name for p in (review / "report" / "review").iterdir())
    assert files == sorted(f"{s.slug}.docx" for s in stories)
    for composite in compose_all(project, stories):
        path = review / "report" / "review" / f"{composite.story.slug}.docx"
        document = docx.Document(str(path))
        paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
        assert paragraphs[0] == ("Heading 1", composite.story.title)
        quotes = " ".join(text for style, text in paragraphs if style == "Quote")
        at = 0
        for segment in composite.excerpt_segments:
            words = normalise_text(segment.text)
            at = quotes.find(words, at)
            assert at >= 0, f"{composite.story.slug}: {words[:50]}"
        bridge = [text for style, text in paragraphs if style == "Normal" and text]
        assert any("composite of" in text for text in bridge)
        headings = [text for style, text in paragraphs if style == "Heading 2"]
        assert headings == [s.text for s in composite.segments if s.kind == "heading" and s.level == 2]
        table = document.tables[0]
        assert [row.cells[0].text for row in table.rows][:3] == ["Field", "Status", "Reviewer"]
        assert table.rows[1].cells[1].text == "approved"
        with docx2python(str(path)) as extracted:
            text = extracted.text
        assert f"A composite of {composite.contributors} accounts" in text


def test_the_review_pack_names_nobody_in_its_properties_and_has_no_provenance(sample, review):
    import docx
    from storygen.privacy.documents import document_text

    _, project = published(sample)
    for path in sorted((review / "report" / "review").glob("*.docx")):
        document = docx.Document(str(path))
        core = document.core_properties
        assert core.author == "" and core.last_modified_by == "" and core.comments == ""
        assert core.language == "en-GB" and core.title
        assert list(document.comments) == []
        found = document_text(path)
        text = "\n".join(value for _, value in found.chunks + found.technical)
        assert "python-docx" not in text and "Microsoft" not in text
        for source in project.sources:
            assert not re.search(rf"\b{re.escape(source)}\b", text), (path.name, source)
        for excerpt in project.excerpts.values():
            assert all(excerpt.id.encode() not in part for _, part in found.parts)
        with __import__("zipfile").ZipFile(path) as archive:
            assert "docProps/thumbnail.jpeg" not in archive.namelist()
            assert b'w:lang w:val="en-GB"' in archive.read("word/styles.xml")
            pictures = [n for n in archive.namelist() if n.startswith("word/media/")]
            document_xml = archive.read("word/document.xml").decode()
        assert pictures and 'descr="An illustration of' in document_xml


def test_the_provenance_pack_is_only_under_private(sample, review, pdf_path):
    import docx

    private = review / "private" / "review"
    assert sorted(p.name for p in private.iterdir()) == sorted(p.name for p in (review / "report" / "review").iterdir())
    stories, project = published(sample)
    document = docx.Document(str(private / f"{stories[0].slug}.docx"))
    comments = [c.text for c in document.comments]
    assert comments and all(re.fullmatch(r"Excerpt \S+, from source \S+\.", c) for c in comments)
    ids = [re.match(r"Excerpt (\S+),", c).group(1) for c in comments]
    assert all(i in project.excerpts for i in ids)
    assert {c.author for c in document.comments} == {"storygen"}
    # Without --with-provenance, no private pack at all.
    assert not (sample / "build" / "private" / "review").exists()
    assert not list(review.joinpath("report").rglob("*provenance*"))


def test_two_builds_give_the_same_review_pack(sample, review, tmp_path):
    again = run_build(sample, "--only", "report", "--with-provenance", cache=tmp_path / "cache", out=tmp_path / "out")
    assert again.returncode == 0, again.stderr
    for folder in ("report/review", "private/review"):
        for path in (review / folder).glob("*.docx"):
            assert (tmp_path / "out" / folder / path.name).read_bytes() == path.read_bytes(), path


def test_the_output_scan_reads_the_review_pack(small, tmp_path):
    """A private value only the Word file carries (its header: the site title) is found there."""
    edit(small / "storygen.toml", 'title = "Test stories"', 'title = "Test stories S05-02"')
    done = run_build(small, "--only", "report", cache=tmp_path / "cache")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "review/time-to-listen.docx" in done.stderr and "S05-02" in done.stderr
    assert not (small / "build" / "report").exists()


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
def test_the_review_pack_opens_in_libreoffice(review, tmp_path):
    """A Word-compatible program opens each document and lays it out: LibreOffice converts it to PDF."""
    files = sorted((review / "report" / "review").glob("*.docx"))
    done = subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *map(str, files)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    for path in files:
        text = flat(pdf_text(tmp_path / "pdf" / (path.stem + ".pdf")))
        assert "review copy" in text and "A composite of" in text and "Duration (estimated, spoken)" in text


# --- consent for the report through import and export -----------------------------------

def test_import_records_report_consent_only_when_stated_and_says_so(project, tmp_path):
    from importkit import loaded, quiet_import

    rows = "excerpt_id,source_id,text,codes,consent_composite,consent_web,consent_video,consent_report\r\n" \
           "N01-01,N01,We started asking.,working-together,yes,yes,yes,no\r\n" \
           "N02-01,N02,We stopped counting.,working-together,yes,yes,no,\r\n"
    (tmp_path / "x.csv").write_text(rows, encoding="utf-8")
    summary = quiet_import(project, "csv", tmp_path / "x.csv")
    sources = loaded(project).sources
    assert sources["N01"].consent.report is False and not sources["N01"].usable_for("report")
    assert sources["N02"].consent.report is None and sources["N02"].usable_for("report")  # follows web
    assert "consent for the report not stated for 1 new source(s) (N02)" in summary.output
    assert "report: no" in (project / "narratives" / "sources.yaml").read_text()


def test_export_refi_carries_stated_report_consent_and_round_trips(project, tmp_path):
    import zipfile

    from click.testing import CliRunner
    from importkit import empty_project, loaded, quiet_import
    from storygen.cli import main

    edit(project / "narratives" / "sources.yaml", "S02: {role: staff, sector: health, consent: {composite: yes, "
         "web: yes, video: yes}}", "S02: {role: staff, sector: health, consent: {composite: yes, web: yes, "
         "video: yes, report: no}}")
    out = tmp_path / "p.qdpx"
    assert CliRunner().invoke(main, ["export", "refi", "--project", str(project), str(out)]).exit_code == 0
    assert 'name="consent_report"' in zipfile.ZipFile(out).read("project.qde").decode()
    fresh = empty_project(tmp_path / "fresh")
    quiet_import(fresh, "refi", out)
    before, after = loaded(project).sources, loaded(fresh).sources
    assert {k: s.consent for k, s in before.items()} == {k: s.consent for k, s in after.items()}
    assert after["S02"].consent.report is False and after["S01"].consent.report is None


def test_short_ids_are_not_found_by_chance_in_compressed_pdf_bytes(project, tmp_path):
    """A 1,000-story report failed the scan on 'S430' in compressed bytes: a PDF is searched as
    binary as a whole (values of 6+ characters), its unpacked text for every value."""
    from storygen import privacy
    from storygen.compose.assemble import compose_all

    loaded = load_project(project)
    folder = tmp_path / "out"
    folder.mkdir()
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pixels = b"\x10\x90 S01 \x7f\xff" * 30           # image data that happens to hold 'S01'
    image = pikepdf.Stream(pdf, pixels, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=30,
                           Height=1, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    pdf.save(folder / "chance.pdf", compress_streams=False)
    composites = compose_all(loaded, [s for s in loaded.stories if s.approved])
    assert privacy.scan_output(folder, loaded, composites) == []
    # The same id in the PDF's text (here its title) is found.
    with pikepdf.open(folder / "chance.pdf", allow_overwriting_input=True) as again:
        again.docinfo["/Title"] = "Quoted from S01"
        again.save(folder / "chance.pdf")
    found = privacy.scan_output(folder, loaded, composites)
    assert any(f.span == "S01" and "chance.pdf" in str(f.origin) for f in found)


def test_a_draft_built_with_drafts_is_marked_draft(small, tmp_path):
    edit(small / "narratives" / "stories" / "time-to-listen.md", "status: approved", "status: reviewed")
    done = run_build(small, "--only", "report", "--drafts", cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    text = flat(pdf_text(small / "build" / "report" / "test-stories.pdf"))
    assert "Time to listen DRAFT: reviewed, not approved for publication" in text
