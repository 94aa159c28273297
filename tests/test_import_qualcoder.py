"""QualCoder import: a project database in QualCoder's own schema, and its coding report.

QualCoder is a desktop (PyQt) application and is not on PyPI, so the database is
built with the CREATE TABLE statements QualCoder itself runs for a new project
(ccbogel/QualCoder, project creation / its test suite, database version v11),
and the report is written the way its `export_csv_file` writes it.
"""
from __future__ import annotations

import csv
import sqlite3

import pytest

from importkit import empty_project, loaded, quiet_import, snapshot
from storygen.errors import ImportError_
from storygen.importers.qualcoder import import_qualcoder

SCHEMA = """
CREATE TABLE project (databaseversion text, date text, memo text,about text, bookmarkfile integer, bookmarkpos integer, codername text, recently_used_codes text);
CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text, memo text, owner text, date text, av_text_id integer, risid integer, unique(name));
CREATE TABLE code_image (imid integer primary key,id integer,x1 integer, y1 integer, width integer, height integer, cid integer, memo text, date text, owner text, important integer, pdf_page integer);
CREATE TABLE code_av (avid integer primary key,id integer,pos0 integer, pos1 integer, cid integer, memo text, date text, owner text, important integer);
CREATE TABLE annotation (anid integer primary key, fid integer,pos0 integer, pos1 integer, memo text, owner text, date text, unique(fid,pos0,pos1,owner));
CREATE TABLE attribute_type (name text primary key, date text, owner text, memo text, caseOrFile text, valuetype text);
CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, value text, id integer, date text, owner text, unique(name,attr_type,id));
CREATE TABLE case_text (id integer primary key, caseid integer, fid integer, pos0 integer, pos1 integer, owner text, date text, memo text);
CREATE TABLE cases (caseid integer primary key, name text, memo text, owner text,date text, constraint ucm unique(name));
CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text, memo text, supercatid integer, unique(name));
CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer,seltext text, pos0 integer, pos1 integer, owner text, date text, memo text, avid integer, important integer, unique(cid,fid,pos0,pos1, owner));
CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer, owner text,date text, color text, unique(name));
CREATE TABLE journal (jid integer primary key, name text, jentry text, date text, owner text, unique(name));
"""

ANA = "Ana 🙂 said: “Nobody rushed me.”\nThen the worker listened — properly."
GROUP = "We share one record now. Nobody asks twice."
DT = "2026-11-20 10:00:00"


def _utf16(text: str, phrase: str) -> tuple[int, int]:
    """QualCoder (Qt) positions: UTF-16 code units."""
    start = text.index(phrase)
    return len(text[:start].encode("utf-16-le")) // 2, len(text[:start + len(phrase)].encode("utf-16-le")) // 2


def build_project(folder):
    qda = folder / "study.qda"
    qda.mkdir()
    con = sqlite3.connect(qda / "data.qda")
    con.executescript(SCHEMA)
    con.execute("INSERT INTO project VALUES(?,?,?,?,?,?,?,?)", ("v11", DT, "", "QualCoder 3.7", 0, 0, "maria", ""))
    con.executemany("INSERT INTO source (id,name,fulltext,mediapath,memo,owner,date) VALUES (?,?,?,?,?,?,?)", [
        (1, "Interview Ana García.docx", ANA, None, "", "maria", DT),
        (2, "focus group.txt", GROUP, None, "", "maria", DT),
        (3, "photo.png", None, "/images/photo.png", "", "maria", DT)])
    con.executemany("INSERT INTO code_cat (catid,name,owner,date,memo,supercatid) VALUES (?,?,?,?,?,?)", [
        (1, "Wellbeing", "maria", DT, "The whole person.", None), (2, "Staff care", "maria", DT, "", 1)])
    con.executemany("INSERT INTO code_name (cid,name,memo,catid,owner,date,color) VALUES (?,?,?,?,?,?,?)", [
        (1, "Time to listen", "Unhurried contact.", 2, "maria", DT, "#F5A9A9"),
        (2, "Targets", "", None, "maria", DT, "#D0A9F5"),
        (3, "Sharing", "", 1, "maria", DT, "#A9F5A9")])
    con.execute("INSERT INTO cases (caseid,name,memo,owner,date) VALUES (1,'P07','','maria',?)", (DT,))
    con.execute("INSERT INTO case_text (caseid,fid,pos0,pos1,owner,date,memo) VALUES (1,1,0,?,'maria',?,'')",
                (len(ANA.encode("utf-16-le")) // 2, DT))
    con.executemany("INSERT INTO attribute_type VALUES (?,?,?,?,?,?)", [
        ("role", DT, "maria", "", "case", "character"), ("age_band", DT, "maria", "", "case", "character"),
        ("consent_web", DT, "maria", "", "case", "character"), ("region", DT, "maria", "", "file", "character")])
    con.executemany("INSERT INTO attribute (name,attr_type,value,id,date,owner) VALUES (?,?,?,?,?,?)", [
        ("role", "case", "staff", 1, DT, "maria"), ("age_band", "case", "40s", 1, DT, "maria"),
        ("consent_web", "case", "yes", 1, DT, "maria"), ("region", "file", "North", 2, DT, "maria")])
    a = _utf16(ANA, "“Nobody rushed me.”\nThen the worker listened")
    b = _utf16(GROUP, "We share one record now.")
    con.executemany("INSERT INTO code_text (ctid,cid,fid,seltext,pos0,pos1,owner,date,memo,avid,important) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)", [
                        (1, 1, 1, ANA[ANA.index("“"):ANA.index(" —")], *a, "maria", DT, "Key passage.", None, 1),
                        (2, 2, 1, ANA[ANA.index("“"):ANA.index(" —")], *a, "maria", DT, "", None, None),
                        (3, 3, 2, "We share one record now.", *b, "maria", DT, "", None, 0)])
    con.execute("INSERT INTO code_image (id,x1,y1,width,height,cid,memo,date,owner,important) "
                "VALUES (3,0,0,10,10,3,'',?,'maria',0)", (DT,))
    con.commit()
    con.close()
    return qda


def write_report(qda, out, by_case=False):
    """The coding report as QualCoder's Reports → Coding → export CSV writes it."""
    con = sqlite3.connect(qda / "data.qda")
    cats = {r[0]: (r[1], r[2]) for r in con.execute("SELECT catid, name, supercatid FROM code_cat")}

    def categories_of_code(catid):
        names = []
        while catid:
            names.append(cats[catid][0])
            catid = cats[catid][1]
        return names

    rows = con.execute("SELECT s.name, ct.owner, ct.seltext, ct.ctid, cn.name, ct.memo, cn.catid, ct.fid "
                       "FROM code_text ct JOIN code_name cn ON cn.cid = ct.cid JOIN source s ON s.id = ct.fid "
                       "ORDER BY cn.name").fetchall()
    width = max(len(categories_of_code(r[6])) for r in rows)
    heads = ["Case" if by_case else "File", "Coder", "Coded", "Id", "Codename", "Coded_Memo"] + ["Category"] * width
    heads += ["FileVar_region", "CaseVar_age_band", "CaseVar_role"]
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=",", quotechar='"', quoting=csv.QUOTE_ALL)
        w.writerow(heads)
        for name, coder, text, ctid, code, memo, catid, fid in rows:
            cat = categories_of_code(catid)
            case = "P07" if fid == 1 else ""
            if by_case and not case:
                continue
            w.writerow([case if by_case else name, coder, text, f"ctid:{ctid}", code, memo]
                       + cat + [""] * (width - len(cat))
                       + ["North" if fid == 2 else "", "40s" if case else "", "staff" if case else ""])
        w.writerow(["photo.png", "maria", "image", "imid:1", "Sharing", ""] + ["Wellbeing"] + [""] * (width - 1) + ["", "", ""])
    con.close()
    return out


@pytest.fixture
def qda(tmp_path):
    return build_project(tmp_path)


def test_project_database(tmp_path, qda):
    root = empty_project(tmp_path / "p")
    summary = quiet_import(root, "qualcoder", qda)
    p = loaded(root)
    assert sorted(p.excerpts) == ["qc-1", "qc-3"]
    one = p.excerpts["qc-1"]
    assert one.text == "“Nobody rushed me.”\nThen the worker listened"
    assert one.source_id == "P07" and one.featured and one.memo == "Key passage."
    assert one.codes == ("wellbeing/staff-care/time-to-listen", "targets")
    three = p.excerpts["qc-3"]
    assert (three.source_id, three.text, three.codes) == ("focus-group", "We share one record now.",
                                                         ("wellbeing/sharing",))
    p07 = p.sources["P07"]
    assert p07.role == "staff" and p07.attributes == {"age_band": "40s"}
    assert p07.consent.web is True and p07.consent.composite is False
    assert p.sources["focus-group"].attributes == {"region": "North"}
    assert p.codes["wellbeing/staff-care/time-to-listen"].colour == "#f5a9a9"
    assert p.codes["wellbeing/staff-care/time-to-listen"].description == "Unhurried contact."
    assert p.codes["wellbeing"].description == "The whole person."
    assert "1 image codings (only coded text is imported)" in summary.output
    written = b"".join(snapshot(root).values())
    assert b"maria" not in written and "García".encode() not in written
    before = snapshot(root)
    quiet_import(root, "qualcoder", qda / "data.qda")      # the SQLite file itself works too
    assert snapshot(root) == before


@pytest.mark.parametrize("by_case", [False, True])
def test_coding_report(tmp_path, qda, by_case):
    root = empty_project(tmp_path / "p")
    report = write_report(qda, tmp_path / "report.csv", by_case)
    summary = quiet_import(root, "qualcoder", report)
    p = loaded(root)
    one = p.excerpts["qc-1"]
    assert one.text == "“Nobody rushed me.”\nThen the worker listened"
    assert sorted(one.codes) == ["targets", "wellbeing/staff-care/time-to-listen"]
    assert one.memo == "Key passage."
    if by_case:
        assert list(p.excerpts) == ["qc-1"] and one.source_id == "P07"
        assert p.sources["P07"].role == "staff" and p.sources["P07"].attributes == {"age_band": "40s"}
    else:
        assert one.source_id == "Interview-Ana-Garcia"
        assert p.excerpts["qc-3"].source_id == "focus-group"
        assert p.sources["focus-group"].attributes == {"region": "North"}
        assert "no --documents map given" in summary.output
    assert "1 image or audio/video coding row(s)" in summary.output


def test_report_and_database_agree_with_a_documents_map(tmp_path, qda):
    docmap = tmp_path / "files.csv"
    docmap.write_text("document,source_id\nInterview Ana García.docx,P07\nfocus group.txt,FG1\n", encoding="utf-8")
    root = empty_project(tmp_path / "p")
    quiet_import(root, "qualcoder", write_report(qda, tmp_path / "r.csv"), documents_map=docmap)
    summary = quiet_import(root, "qualcoder", qda, documents_map=docmap)
    assert summary.report.excerpts_added == [] and summary.report.excerpts_updated == [
        "qc-1: featured"]   # only the database knows `important`


def test_damaged_and_wrong_files(tmp_path, qda):
    con = sqlite3.connect(qda / "data.qda")
    con.execute("UPDATE code_text SET pos1 = 9999 WHERE ctid = 3")
    con.commit()
    con.close()
    with pytest.raises(ImportError_, match=r"coding ctid 3: the coding \d+..9999 runs past the end of file "
                                           r"'focus group.txt'"):
        import_qualcoder(qda)
    empty = tmp_path / "empty.qda"
    empty.mkdir()
    with pytest.raises(ImportError_, match="no data.qda"):
        import_qualcoder(empty)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(ImportError_, match="not a QualCoder coding report"):
        import_qualcoder(wrong)


def test_fuzzed_databases_give_only_clean_errors(tmp_path):
    """Damaged SQLite files (random bytes changed) are refused cleanly, never with a traceback."""
    import os

    from hypothesis import HealthCheck, given, settings, strategies as st

    good = (build_project(tmp_path) / "data.qda").read_bytes()

    @settings(max_examples=int(os.environ.get("FUZZ", 40)), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), min_size=1, max_size=12))
    def run(changes):
        raw = bytearray(good)
        for at, value in changes:
            raw[at] = value
        path = tmp_path / "fuzz.qda"
        path.write_bytes(bytes(raw))
        try:
            import_qualcoder(path)
        except ImportError_:
            pass

    run()
