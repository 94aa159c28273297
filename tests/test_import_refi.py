"""REFI-QDA import against real files from qc, NVivo for Mac and NVivo for Windows, and attacks."""
from __future__ import annotations

import io
import os
import zipfile

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from importkit import empty_project, loaded, quiet_import, refi_fixture, snapshot
from storygen.cli import main
from storygen.errors import ImportError_
from storygen.importers.bundle import short_hash
from storygen.importers.refi import import_refi

NS = 'xmlns="urn:QDA-XML:project:1.0"'


def test_qc_demo(tmp_path):
    root = empty_project(tmp_path / "p")
    summary = quiet_import(root, "refi", refi_fixture("qc-demo.qdpx"))
    assert (summary.codes, summary.sources, summary.excerpts) == (262, 1, 158)
    assert "offsets read as code points in 1 document(s): board_2017.txt" in summary.output
    assert "document admin-1.txt: no coded selections, nothing imported from it" in summary.output
    p = loaded(root)
    assert list(p.sources) == ["board_2017"]
    # selection "line:6" (320..400) and "line:8" (474..552)
    first = p.excerpts["board_2017-" + short_hash("37323865-3734-6533-3337-623138653238", 8)]
    assert first.text == "This district goal is engage every student in joyful, purposeful learning that"
    assert first.codes == ("rq2-curriculum-and-instruction/pedagogy/fun",)
    second = p.excerpts["board_2017-" + short_hash("66383165-3335-3437-3635-383166623737", 8)]
    assert second.text == "maximizes each student's opportunity to excel academically. Action step five"
    assert p.codes["rq1-definition/competencies/programming"].name == "programming"
    assert len(p.excerpts) == 158 and len(p.codes) == 262


def test_nvivo_mac_codebook_only(tmp_path):
    root = empty_project(tmp_path / "p")
    summary = quiet_import(root, "refi", refi_fixture("nvivo-mac-15-codebook-only.qdpx"))
    assert (summary.codes, summary.sources, summary.excerpts) == (262, 0, 0)
    assert "user names and basePath in the export were not imported" in summary.output
    written = b"".join(snapshot(root).values())
    assert b"chrisp" not in written and b"1b0b1791" not in written
    assert (root / "narratives" / "codebook.yaml").read_text().startswith(
        "rq1-definition:\n  name: rq1_definition\n  codes:\n    competencies:\n")


def test_nvivo_windows_utf16_offsets_over_crlf(tmp_path):
    root = empty_project(tmp_path / "p")
    summary = quiet_import(root, "refi", refi_fixture("nvivo-win-12.6.qdpx"))
    assert (summary.codes, summary.excerpts) == (152, 195)
    assert "offsets read as UTF-16 code units over CRLF text in 1 document(s): videos_10_selected" \
        in summary.output
    assert "330 selections on 195 distinct passages, merged into one excerpt per passage" in summary.output
    p = loaded(root)
    ex = p.excerpts["videos_10_selected-" + short_hash("7154a758-6873-4134-badd-ae1dc04d3086", 8)]
    assert ex.text == ("Senkit nem lehet kötelezni oltásra, ilyet csak ostoba korlátolt agyi kapacitással "
                       "rendelkező emberhulladék hozhat aki nem szaporodhat és nem élhet.")
    assert "2-attitud-szint-az-oltashoz/piros" in ex.codes
    # after non-BMP characters the offsets still line up (they would drift as code points)
    emoji = p.excerpts["videos_10_selected-" + short_hash("63f8f5d3-a7fb-41af-89dd-ae1dc0f6d6d5", 8)]
    assert emoji.text == "Mi az a fityesznek? Akkor írják át amikor akarják 🤣🤣🤣"
    assert p.codes["1-oltas-tipusa"].description == "COVID vay nem COVID"
    assert p.codes["1-oltas-tipusa"].name == "1. Oltás típusa"
    written = b"".join(snapshot(root).values())
    for personal in (b"Gergo", b"floriansipos", b"test_user"):
        assert personal not in written


def test_reimport_is_idempotent_and_documents_map(tmp_path):
    root = empty_project(tmp_path / "p")
    docmap = tmp_path / "docs.yaml"
    docmap.write_text("board_2017.txt: B17\nadmin-1.txt: '-'\n")
    quiet_import(root, "refi", refi_fixture("qc-demo.qdpx"), documents_map=docmap)
    before = snapshot(root)
    summary = quiet_import(root, "refi", refi_fixture("qc-demo.qdpx"), documents_map=docmap)
    assert snapshot(root) == before and summary.report.excerpts_unchanged == 158
    assert list(loaded(root).sources) == ["B17"]


def make_qdpx(path, qde: str | bytes, extra: dict | None = None, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr("project.qde", qde)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


SMALL = f"""<?xml version="1.0" encoding="utf-8"?>
<Project {NS} name="t"><CodeBook><Codes>
<Code guid="00000000-0000-0000-0000-000000000001" name="Care" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="00000000-0000-0000-0000-0000000000a1" name="P1" plainTextPath="internal://a.txt">
<PlainTextSelection guid="00000000-0000-0000-0000-0000000000b1" name="" startPosition="0" endPosition="{{end}}">
<Coding guid="00000000-0000-0000-0000-0000000000c1"><CodeRef targetGUID="00000000-0000-0000-0000-000000000001"/></Coding>
</PlainTextSelection></TextSource></Sources></Project>"""


def _cli(root, *args):
    return CliRunner().invoke(main, ["import", "--project", str(root), *map(str, args)])


def _bad_cases(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            f'<Project {NS} name="&lol2;"/>')
    external = ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                f'<Project {NS} name="&xxe;"/>')
    return [
        (make_qdpx(tmp_path / "bomb.qdpx", bomb), "declares a DTD or entities"),
        (make_qdpx(tmp_path / "xxe.qdpx", external), "declares a DTD or entities"),
        (make_qdpx(tmp_path / "slip.qdpx", SMALL.format(end=4), {"../evil.txt": "x"}),
         "'../evil.txt' points outside the archive"),
        (make_qdpx(tmp_path / "abs.qdpx", SMALL.format(end=4), {"/etc/evil.txt": "x"}),
         "'/etc/evil.txt' points outside the archive"),
        (make_qdpx(tmp_path / "past.qdpx", SMALL.format(end=99), {"sources/a.txt": "Four words here."}),
         "selection 00000000-0000-0000-0000-0000000000b1 (project.qde line 5): the selection 0..99 "
         "runs past the end of document P1 (16 characters)"),
        (make_qdpx(tmp_path / "broken.qdpx", "<Project><Sources>"), "not well-formed XML (project.qde)"),
        (make_qdpx(tmp_path / "two.qdpx", SMALL.format(end=4), {"b.qde": "<Project/>"}),
         "expected one .qde file at the top of the archive, found 2"),
    ]


def test_hostile_and_broken_files_exit_2_and_leave_project_untouched(project, tmp_path):
    for bad, expect in _bad_cases(tmp_path):
        before = snapshot(project)
        result = _cli(project, "refi", bad)
        assert result.exit_code == 2, (bad, result.output)
        assert expect in result.output, result.output
        assert "Traceback" not in result.output
        assert snapshot(project) == before


def test_zip_over_the_size_cap(project, tmp_path):
    """An archive whose entries add up to more than 256 MB is refused before anything is inflated."""
    import struct

    big = tmp_path / "big.qdpx"
    make_qdpx(big, SMALL.format(end=4), {f"sources/{n}.txt": b"interview line\n" * 1000 for n in range(3)},
              zipfile.ZIP_DEFLATED)
    raw = bytearray(big.read_bytes())
    at = raw.find(b"PK\x01\x02")          # central directory: what zipfile believes
    while at != -1:
        raw[at + 20:at + 28] = struct.pack("<II", 50 * 1024 * 1024, 100 * 1024 * 1024)  # 100 MB each
        at = raw.find(b"PK\x01\x02", at + 4)
    big.write_bytes(bytes(raw))
    before = snapshot(project)
    result = _cli(project, "refi", big)
    assert result.exit_code == 2 and "over the limit of 268,435,456" in result.output, result.output
    assert snapshot(project) == before


def test_many_entries_and_damaged_archives(tmp_path):
    many = tmp_path / "many.qdpx"
    make_qdpx(many, SMALL.format(end=4), {f"sources/{n}.txt": "" for n in range(10_001)})
    with pytest.raises(ImportError_, match="10,002 entries, over the limit of 10,000"):
        import_refi(many)
    truncated = tmp_path / "truncated.qdpx"
    make_qdpx(truncated, SMALL.format(end=4), {"sources/a.txt": "Four words here."})
    truncated.write_bytes(truncated.read_bytes()[:-30])
    with pytest.raises(ImportError_, match="not a readable zip archive"):
        import_refi(truncated)


def test_zip_bomb_ratio(tmp_path):
    bomb = tmp_path / "ratio.qdpx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", SMALL.format(end=4))
        zf.writestr("sources/a.txt", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(ImportError_, match="a zip bomb"):
        import_refi(bomb)


def test_small_valid_file_and_taguette_style_codebook(tmp_path):
    ok = make_qdpx(tmp_path / "ok.qdpx", SMALL.format(end=4), {"Sources/A.TXT": "\ufeffFour words here."})
    bundle = import_refi(ok)
    assert [(e.text, e.codes) for e in bundle.excerpts] == [("Four", ["care"])]
    qdc = tmp_path / "book.qdc"
    qdc.write_text('<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
                   '<Codes><Code guid="00000000-0000-0000-0000-000000000009" name="Risk" isCodable="false">'
                   '<Description>Risk, recalculated</Description><Code guid="c001" name="Small bets" '
                   'isCodable="true" color="#AbC"/></Code></Codes></CodeBook>')
    book = import_refi(qdc)
    assert list(book.codes) == ["risk", "risk/small-bets"]
    assert book.codes["risk"].description == "Risk, recalculated"
    assert book.codes["risk/small-bets"].colour == "#aabbcc"


@settings(max_examples=int(os.environ.get("FUZZ", 60)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_qdpx_and_xml_give_only_clean_errors(tmp_path, data):
    base = io.BytesIO()
    make_qdpx(base, SMALL.format(end=4), {"sources/a.txt": "Four words here."},
              data.draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))
    raw = bytearray(base.getvalue())
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    xml = data.draw(st.text(alphabet='<>/="&;! ProjectSourcesCodeguid1', max_size=120))
    for name, content in (("fuzz.qdpx", bytes(raw)), ("fuzz.qde", xml.encode())):
        path = tmp_path / name
        path.write_bytes(content)
        try:
            import_refi(path)
        except ImportError_:
            pass


CASES = f"""<?xml version="1.0" encoding="utf-8"?>
<Project {NS} name="t" origin="ATLAS.ti-like" basePath="C:\\Users\\jane.doe\\Documents">
<Users><User guid="00000000-0000-0000-0000-0000000000f1" name="Jane Doe"/></Users>
<CodeBook><Codes><Code guid="00000000-0000-0000-0000-000000000001" name="Care" isCodable="true" color="#1f6f8b"/>
</Codes></CodeBook>
<Variables><Variable guid="00000000-0000-0000-0000-0000000000d1" name="role" typeOfVariable="Text"/>
<Variable guid="00000000-0000-0000-0000-0000000000d2" name="Age band" typeOfVariable="Text"/>
<Variable guid="00000000-0000-0000-0000-0000000000d3" name="consent_web" typeOfVariable="Boolean"/></Variables>
<Cases><Case guid="00000000-0000-0000-0000-0000000000e1" name="Participant 7">
<VariableValue><VariableRef targetGUID="00000000-0000-0000-0000-0000000000d1"/><TextValue>community</TextValue></VariableValue>
<VariableValue><VariableRef targetGUID="00000000-0000-0000-0000-0000000000d2"/><TextValue>60s</TextValue></VariableValue>
<VariableValue><VariableRef targetGUID="00000000-0000-0000-0000-0000000000d3"/><BooleanValue>true</BooleanValue></VariableValue>
<SourceRef targetGUID="00000000-0000-0000-0000-0000000000a1"/></Case></Cases>
<Sources><TextSource guid="00000000-0000-0000-0000-0000000000a1" name="C:\\Users\\jane.doe\\interview7.docx"
 plainTextPath="relative://interview7.txt">
<PlainTextSelection guid="00000000-0000-0000-0000-0000000000b1" name="{{name}}" startPosition="{{start}}" endPosition="{{end}}">
<Description>Said twice.</Description>
<Coding guid="00000000-0000-0000-0000-0000000000c1"><CodeRef targetGUID="00000000-0000-0000-0000-000000000001"/></Coding>
</PlainTextSelection></TextSource>
<PictureSource guid="00000000-0000-0000-0000-0000000000a2" name="photo"/></Sources></Project>"""
TEXT = "Line one, Zoë said 🙂.\r\nSecond line with café\r\nThird"


@pytest.mark.parametrize("unit,name,label", [
    ("lf-cp", "Second line with café", "code points"),      # ATLAS.ti: CRLF counted as one
    ("u8", "", "UTF-8 bytes"),                               # Taguette-style byte offsets
    ("crlf-u16", "", "UTF-16 code units over CRLF text"),    # NVivo for Windows
])
def test_cases_variables_and_offset_readings(tmp_path, unit, name, label):
    lf = TEXT.replace("\r\n", "\n")
    phrase = "Second line with café"
    if unit == "lf-cp":
        start = lf.index(phrase)
    elif unit == "u8":
        start = len(lf[:lf.index(phrase)].encode("utf-8"))
    else:
        start = len(TEXT[:TEXT.index(phrase)].encode("utf-16-le")) // 2
    end = start + (len(phrase.encode("utf-8")) if unit == "u8" else len(phrase))
    qdpx = make_qdpx(tmp_path / "c.qdpx", CASES.format(name=name, start=start, end=end),
                     {"sources/interview7.txt": TEXT.encode("utf-8")})
    root = empty_project(tmp_path / "p")
    summary = quiet_import(root, "refi", qdpx)
    assert f"offsets read as {label} in 1 document(s)" in summary.output
    p = loaded(root)
    (ex,) = p.excerpts.values()
    assert (ex.text, ex.codes, ex.memo, ex.source_id) == (phrase, ("care",), "Said twice.", "Participant-7")
    src = p.sources["Participant-7"]
    assert src.role == "community" and src.attributes == {"Age band": "60s"}
    assert src.consent.web is True and src.consent.composite is False
    assert "PictureSource photo: only text sources are imported" in summary.output
    written = b"".join(snapshot(root).values())
    assert b"jane" not in written.lower() and b"Users" not in written


def test_absurdly_deep_codebook_is_refused(tmp_path):
    deep = tmp_path / "deep.qdc"
    depth = 5000
    deep.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                    + "".join(f'<Code guid="g{i}" name="c{i}" isCodable="true">' for i in range(depth))
                    + "</Code>" * depth + "</Codes></CodeBook>")
    with pytest.raises(ImportError_, match=r"deep.qdc: codes are nested more than 40 levels"):
        import_refi(deep)
