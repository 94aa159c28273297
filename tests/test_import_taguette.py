"""Taguette import, against exports written by Taguette's own code (the `taguette` package)."""
from __future__ import annotations

import sqlite3

import pytest

from importkit import empty_project, loaded, quiet_import, snapshot
from storygen.errors import ImportError_
from storygen.importers.taguette import import_taguette

taguette = pytest.importorskip("taguette", reason="Taguette is a test dependency: pip install -e .[test]")
from taguette import database, export, extract  # noqa: E402

DOC1 = ("<p>I’m Zoë from the housing office.</p>"
        "<p>We stopped counting calls — we started listening. Ça marche 🙂</p>")
DOC2 = "<p>The shared record meant I told my story once.</p><p>Nobody asked me twice.</p>"


def _offsets(html: str, phrase: str) -> tuple[int, int]:
    """Byte offsets of `phrase` in the document's text, as Taguette's editor sends them."""
    from bs4 import BeautifulSoup

    text = "".join(BeautifulSoup(html, "html5lib").find_all(string=True))
    start = text.index(phrase)
    return len(text[:start].encode("utf-8")), len(text[:start + len(phrase)].encode("utf-8"))


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """A Taguette project built with Taguette's models, exported with Taguette's exporters."""
    folder = tmp_path_factory.mktemp("taguette")
    db = database.connect(f"sqlite:///{folder / 'server.sqlite3'}")()
    user = database.User(login="researcher-jane")
    project = database.Project(name="Change stories", description="")
    db.add_all([user, project])
    db.flush()
    db.add(database.ProjectMember(project=project, user=user, privileges=database.Privileges.ADMIN))
    docs = []
    for name, html in (("Interview 01 (Zoë).docx", DOC1), ("Interview 02", DOC2)):
        doc = database.Document(name=name, description="", filename=f"/home/jane/{name}",
                                project=project, text_direction=database.TextDirection.LEFT_TO_RIGHT,
                                contents=html)
        db.add(doc)
        docs.append(doc)
    tags = {path: database.Tag(project=project, path=path, description=desc)
            for path, desc in (("Turning off targets", "Numbers stop driving the work."),
                               ("Working together/Shared records", "One record for everyone."),
                               ("Listening", ""))}
    db.add_all(tags.values())
    db.flush()
    for doc, phrase, tag_paths in (
            (docs[0], "We stopped counting calls — we started listening. Ça marche 🙂",
             ["Turning off targets", "Listening"]),                        # two tags, non-ASCII
            (docs[0], "I’m Zoë from the housing office.", ["Listening"]),
            (docs[1], "The shared record meant I told my story once.", ["Working together/Shared records"])):
        start, end = _offsets(doc.contents, phrase)
        hl = database.Highlight(document=doc, start_offset=start, end_offset=end,
                                snippet=extract.extract(doc.contents, start, end))
        hl.tags = [tags[p] for p in tag_paths]
        db.add(hl)
    db.commit()
    out = {}
    with open(folder / "highlights.csv", "w", newline="", encoding="utf-8") as fh:
        export.highlights_csv(db, project.id, None, fh)
    out["csv"] = folder / "highlights.csv"
    export.highlights_xslx(db, project.id, None, str(folder / "highlights.xlsx"))
    out["xlsx"] = folder / "highlights.xlsx"
    all_tags = list(project.tags)
    with open(folder / "codebook.csv", "w", newline="", encoding="utf-8") as fh:
        export.codebook_csv(all_tags, fh)
    out["codebook_csv"] = folder / "codebook.csv"
    export.codebook_xlsx(all_tags, str(folder / "codebook.xlsx"))
    out["codebook_xlsx"] = folder / "codebook.xlsx"
    with open(folder / "codebook.qdc", "wb") as fh:
        export.codebook_xml(all_tags, fh)
    out["qdc"] = folder / "codebook.qdc"
    # the project export, exactly as Taguette's ExportSqlite handler makes it
    dest = database.connect(f"sqlite:///{folder / 'project.sqlite3'}")()
    dest.add(database.User(login="admin"))
    dest.commit()
    database.copy_project(db, dest, project.id, "admin")
    dest.commit()
    dest.close()
    db.close()
    out["sqlite"] = folder / "project.sqlite3"
    return out


@pytest.fixture
def docmap(tmp_path):
    path = tmp_path / "documents.csv"
    path.write_text("document,source_id\nInterview 01 (Zoë).docx,T01\nInterview 02,T02\n", encoding="utf-8")
    return path


EXPECTED = {
    "tg-1": ("T01", "We stopped counting calls — we started listening. Ça marche 🙂",
             ("turning-off-targets", "listening")),
    "tg-2": ("T01", "I’m Zoë from the housing office.", ("listening",)),
    "tg-3": ("T02", "The shared record meant I told my story once.", ("working-together/shared-records",)),
}


@pytest.mark.parametrize("kind", ["csv", "xlsx", "sqlite"])
def test_highlights_become_one_excerpt_per_highlight(tmp_path, exports, docmap, kind):
    root = empty_project(tmp_path / "p")
    summary = quiet_import(root, "taguette", exports[kind], documents_map=docmap)
    p = loaded(root)
    got = {eid: (e.source_id, e.text, tuple(sorted(e.codes))) for eid, e in p.excerpts.items()}
    assert got == {k: (s, t, tuple(sorted(c))) for k, (s, t, c) in EXPECTED.items()}
    assert list(p.sources) == ["T01", "T02"]
    written = b"".join(snapshot(root).values())
    for personal in (b"jane", b"Interview 01", "Zoë)".encode()):
        assert personal not in written
    assert "unmapped" not in summary.output
    if kind == "sqlite":   # the project export carries tag descriptions
        assert p.codes["turning-off-targets"].description == "Numbers stop driving the work."


def test_csv_then_sqlite_is_an_update_not_a_duplicate(tmp_path, exports, docmap):
    root = empty_project(tmp_path / "p")
    quiet_import(root, "taguette", exports["csv"], documents_map=docmap)
    before = snapshot(root)
    summary = quiet_import(root, "taguette", exports["csv"], documents_map=docmap)
    assert snapshot(root) == before
    summary = quiet_import(root, "taguette", exports["sqlite"], documents_map=docmap)
    assert summary.report.excerpts_added == [] and summary.report.excerpts_updated == []


def test_unmapped_documents_are_reported(tmp_path, exports):
    root = empty_project(tmp_path / "p")
    summary = quiet_import(root, "taguette", exports["csv"])
    assert "no --documents map given" in summary.output
    assert "'Interview 02' -> Interview-02" in summary.output
    assert set(loaded(root).sources) == {"Interview-01-Zoe", "Interview-02"}


@pytest.mark.parametrize("kind", ["codebook_csv", "codebook_xlsx", "qdc"])
def test_codebook_exports(tmp_path, exports, kind):
    bundle = import_taguette(exports[kind])
    assert sorted(bundle.codes) == ["listening", "turning-off-targets", "working-together",
                                    "working-together/shared-records"]
    if kind != "qdc":   # the QDC codebook carries no descriptions
        assert bundle.codes["working-together/shared-records"].description == "One record for everyone."


def test_bad_taguette_files(tmp_path, exports):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(ImportError_, match="not a Taguette export: the header is a, b"):
        import_taguette(wrong)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(ImportError_, match="not a Taguette project: no table"):
        import_taguette(other)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(exports["sqlite"].read_bytes())
    con = sqlite3.connect(damaged)
    con.execute("UPDATE highlights SET end_offset = 100000 WHERE id = 3")
    con.commit()
    con.close()
    with pytest.raises(ImportError_, match="highlight 3 in document 'Interview 02'.*runs past the end"):
        import_taguette(damaged)
