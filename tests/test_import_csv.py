"""The canonical CSV/XLSX import and the writer it shares with every importer."""
from __future__ import annotations

import csv
import io
import os

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from importkit import empty_project, loaded, quiet_import, snapshot
from storygen.cli import main
from storygen.errors import ImportError_
from storygen.importers.csvfile import import_csv

HEADER = ["excerpt_id", "source_id", "text", "codes", "role", "sector", "featured", "memo",
          "consent_web", "consent_video"]
ROWS = [
    ["N01-01", "N01", "Wir haben aufgehört zu zählen.\nWe started asking — “why?”",
     "Working together > Shared records; Turning off targets", "staff", "council", "yes",
     "Said after the pause.", "yes", "no"],
    ["N01-02", "N01", "Café talk: 010 no", "turning-off-targets", "", "", "", "", "", ""],
    ["N02-01", "N02", "  'Quoted' words, then a colon: fine  ", "Recalculating risk > Small bets",
     "community", "housing", "no", "", "", ""],
]


def write_csv(path, rows=ROWS, header=HEADER, encoding="utf-8", delimiter=","):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_import_into_existing_project_adds_codes_sources_excerpts(project, tmp_path):
    summary = quiet_import(project, "csv", write_csv(tmp_path / "x.csv"))
    r = summary.report
    assert r.excerpts_added == ["N01-01", "N01-02", "N02-01"]
    assert r.sources_added == ["N01", "N02"]
    # existing codes matched by name path or id, only the new ones added and reported
    assert r.codes_added == ["recalculating-risk", "recalculating-risk/small-bets"]
    assert "codes added to the codebook (2)" in summary.output
    p = loaded(project)
    assert p.excerpts["N01-01"].text == "Wir haben aufgehört zu zählen.\nWe started asking — “why?”"
    assert p.excerpts["N01-01"].codes == ("working-together/shared-records", "turning-off-targets")
    assert p.excerpts["N01-01"].featured is True
    assert p.excerpts["N01-01"].memo == "Said after the pause."
    assert p.excerpts["N01-02"].text == "Café talk: 010 no"
    assert p.excerpts["N02-01"].text == "'Quoted' words, then a colon: fine"
    assert p.codes["recalculating-risk/small-bets"].name == "Small bets"
    n01 = p.sources["N01"]
    assert (n01.role, n01.sector) == ("staff", "council")
    # consent for composites was never stated: safe default is no, and the summary says so
    assert (n01.consent.composite, n01.consent.web, n01.consent.video) == (False, True, False)
    assert "consent not stated in the export for 2 new source(s) (N01, N02)" in summary.output


def test_reimport_changes_no_byte(project, tmp_path):
    file = write_csv(tmp_path / "x.csv")
    quiet_import(project, "csv", file)
    before = snapshot(project)
    summary = quiet_import(project, "csv", file)
    assert snapshot(project) == before
    assert summary.report.files_written == []
    assert summary.report.excerpts_unchanged == 3


def test_new_project_files_are_stable_yaml(tmp_path):
    root = empty_project(tmp_path / "p")
    quiet_import(root, "csv", write_csv(tmp_path / "x.csv"))
    text = (root / "narratives" / "excerpts" / "N01.yaml").read_text(encoding="utf-8")
    assert text.startswith("source: N01\nexcerpts:\n  - id: N01-01\n")
    assert "    codes: [working-together/shared-records, turning-off-targets]\n" in text
    assert "    featured: yes\n" in text
    assert "    text: |-\n      Wir haben aufgehört zu zählen.\n      We started asking — “why?”\n" in text
    sources = (root / "narratives" / "sources.yaml").read_text(encoding="utf-8")
    assert "  consent:\n    composite: no\n    web: yes\n    video: no\n" in sources
    assert len(loaded(root).excerpts) == 3


def test_update_changes_text_and_codes_but_keeps_local_edits(project, tmp_path):
    file = write_csv(tmp_path / "x.csv")
    quiet_import(project, "csv", file)
    # the team edits: un-features N01-01, marks N02-01 singular, gives consent, writes a memo
    ex = project / "narratives" / "excerpts" / "N01.yaml"
    ex.write_text(ex.read_text().replace("featured: yes", "featured: no"))
    ex2 = project / "narratives" / "excerpts" / "N02.yaml"
    ex2.write_text(ex2.read_text().replace("    codes:", "    singular: yes\n    memo: Ours.\n    codes:", 1))
    src = project / "narratives" / "sources.yaml"
    src.write_text(src.read_text().replace("N01:\n  role: staff\n  sector: council\n  consent:\n    composite: no",
                                           "N01:\n  role: staff\n  sector: council\n  consent:\n    composite: yes"))
    rows = [list(r) for r in ROWS]
    rows[0][2] = "Wir haben aufgehört zu zählen."           # the researcher trimmed the excerpt
    rows[1][3] = "turning-off-targets; Working together"    # and added a code
    rows[2][7] = "Researcher memo."
    summary = quiet_import(project, "csv", write_csv(tmp_path / "y.csv", rows))
    assert summary.report.excerpts_updated == ["N01-01: text", "N01-02: codes +working-together"]
    assert "excerpt N01-01: featured is no here, yes in the export" in summary.report.kept_local
    assert "excerpt N02-01: memo differs from the export's; kept yours" in summary.report.kept_local
    p = loaded(project)
    assert p.excerpts["N01-01"].text == "Wir haben aufgehört zu zählen."
    assert p.excerpts["N01-01"].featured is False
    assert p.excerpts["N01-02"].codes == ("turning-off-targets", "working-together")
    assert p.excerpts["N02-01"].singular is True and p.excerpts["N02-01"].memo == "Ours."
    assert p.sources["N01"].consent.composite is True


def test_xlsx_with_column_map(tmp_path):
    root = empty_project(tmp_path / "p")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Ref", "Participant", "Quote", "Themes", "Important"])
    ws.append([17, "P1", "Ünïcode quote with a number 1.10", "Care > Staff", True])
    ws.append([18, "P1", "Second", "Care", None])
    book.save(tmp_path / "sheet.xlsx")
    summary = quiet_import(root, "csv", tmp_path / "sheet.xlsx",
                           mapping="excerpt_id=Ref,source_id=Participant,text=Quote,codes=Themes,"
                                   "featured=Important")
    assert summary.report.excerpts_added == ["17", "18"]
    p = loaded(root)
    assert p.excerpts["17"].text == "Ünïcode quote with a number 1.10"
    assert p.excerpts["17"].codes == ("care/staff",) and p.excerpts["17"].featured is True
    assert p.excerpts["18"].codes == ("care",)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_files_are_read(tmp_path, encoding):
    root = empty_project(tmp_path / "p")
    quiet_import(root, "csv", write_csv(tmp_path / "bom.csv", encoding=encoding))
    assert loaded(root).excerpts["N01-01"].text.startswith("Wir haben aufgehört")


def test_semicolon_delimited_excel_csv(tmp_path):
    root = empty_project(tmp_path / "p")
    quiet_import(root, "csv", write_csv(tmp_path / "semi.csv", delimiter=";"))
    assert loaded(root).excerpts["N01-01"].codes == ("working-together/shared-records", "turning-off-targets")


def test_explicit_encoding(tmp_path):
    root = empty_project(tmp_path / "p")
    rows = [["A1", "S1", "Café crème", "Food"]]
    file = write_csv(tmp_path / "latin.csv", rows, HEADER[:4], encoding="cp1252")
    with pytest.raises(ImportError_) as err:
        quiet_import(root, "csv", file)
    assert "line 2: the text is not valid UTF-8" in str(err.value) and "--encoding" in str(err.value)
    quiet_import(root, "csv", file, encoding="cp1252")
    assert loaded(root).excerpts["A1"].text == "Café crème"


def _cli(root, *args):
    return CliRunner().invoke(main, ["import", "--project", str(root), *map(str, args)])


@pytest.mark.parametrize("content,expect", [
    (b"excerpt_id,source_id,text,codes\r\nA1,S1,ok,x\r\nA2,S1,caf\xe9 broken,x\r\n",
     "line 3: the text is not valid UTF-8"),
    (b"excerpt_id,source_id,text,codes\nA1,S1,one,x\nA1,S1,two,x\n",
     "row 3: duplicate excerpt id 'A1' (first seen at row 2)"),
    (b"id,source,quote\nA1,S1,one\n", "missing required column(s): excerpt_id, source_id, text, codes"),
    (b"excerpt_id,source_id,text,codes\nA1,,one,x\n", "row 2: `source_id` is empty"),
    (b"excerpt_id,source_id,text,codes,featured\nA1,S1,one,x,maybe\n", "row 2: `featured` must be yes or no"),
    (b'excerpt_id,source_id,text,codes\nA1,S1,"never closed,x\n', "not valid CSV"),
    (b"excerpt_id,source_id,text,codes,role\nA1,S1,one,x,staff\nA2,S1,two,x,community\n",
     "row 3: role of source S1 is 'community', but row 2 says 'staff'"),
])
def test_bad_csv_is_a_clean_error_and_leaves_project_untouched(project, tmp_path, content, expect):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    before = snapshot(project)
    result = _cli(project, "csv", bad)
    assert result.exit_code == 2, result.output
    assert expect in result.output
    assert str(bad) in result.output
    assert "Traceback" not in result.output
    assert snapshot(project) == before


def test_cli_import_and_dry_run(project, tmp_path):
    file = write_csv(tmp_path / "x.csv")
    before = snapshot(project)
    result = _cli(project, "csv", file, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would import 3 excerpt(s)" in result.output
    assert snapshot(project) == before
    result = _cli(project, "csv", file)
    assert result.exit_code == 0, result.output
    assert "narratives/excerpts/N01.yaml" in result.output


@settings(max_examples=int(os.environ.get("FUZZ", 60)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400) | st.text(alphabet=',;"\n\r\tabc>é\x00\ufeff', max_size=200).map(str.encode))
def test_fuzzed_csv_gives_only_clean_errors(tmp_path, data):
    file = tmp_path / "fuzz.csv"
    file.write_bytes(b"excerpt_id,source_id,text,codes\n" + data)
    try:
        import_csv(file)
    except ImportError_ as exc:
        assert str(file) in str(exc)


def test_cli_encoding_and_sheet_options(tmp_path):
    root = empty_project(tmp_path / "p")
    latin = write_csv(tmp_path / "latin.csv", [["A1", "S1", "Café crème", "Food"]], HEADER[:4], encoding="cp1252")
    assert _cli(root, "csv", latin).exit_code == 2
    result = _cli(root, "csv", latin, "--encoding", "cp1252")
    assert result.exit_code == 0, result.output
    book = openpyxl.Workbook()
    book.active.title = "notes"
    ws = book.create_sheet("quotes")
    ws.append(HEADER[:4])
    ws.append(["B1", "S2", "From the second sheet", "Food"])
    book.save(tmp_path / "two.xlsx")
    result = _cli(root, "csv", tmp_path / "two.xlsx", "--sheet", "quotes")
    assert result.exit_code == 0, result.output
    p = loaded(root)
    assert p.excerpts["A1"].text == "Café crème" and p.excerpts["B1"].text == "From the second sheet"


def test_excerpts_in_sub_folders_are_updated_in_place(project, tmp_path):
    folder = project / "narratives" / "excerpts" / "council"
    folder.mkdir()
    (project / "narratives" / "excerpts" / "S01.yaml").rename(folder / "S01.yaml")
    rows = [["S01-01", "S01", "A new version of the first excerpt.", "turning-off-targets"]]
    summary = quiet_import(project, "csv", write_csv(tmp_path / "x.csv", rows, HEADER[:4]))
    assert summary.report.excerpts_updated == [
        "S01-01: text, codes +turning-off-targets -turning-off-targets/time-to-listen "
        "-working-together/shared-records"]
    assert summary.report.files_written == ["narratives/excerpts/council/S01.yaml"]
    assert loaded(project).excerpts["S01-01"].text == "A new version of the first excerpt."


def test_adding_to_a_hand_written_file_keeps_its_excerpts(project, tmp_path):
    before = {k: v.text for k, v in loaded(project).excerpts.items()}
    rows = [["S01-09", "S01", "One more from S01.", "working-together"]]
    summary = quiet_import(project, "csv", write_csv(tmp_path / "x.csv", rows, HEADER[:4]))
    assert summary.report.files_written == ["narratives/excerpts/S01.yaml"]
    after = loaded(project).excerpts
    assert {k: after[k].text for k in before} == before
    assert after["S01-09"].source_id == "S01"
    text = (project / "narratives" / "excerpts" / "S01.yaml").read_text()
    assert text.endswith("  - id: S01-09\n    codes: [working-together]\n    text: One more from S01.\n")


@settings(max_examples=int(os.environ.get("FUZZ", 40)), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=80),
       memo=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
       code=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20))
def test_any_text_survives_the_yaml_round_trip(tmp_path_factory, text, memo, code):
    """Whatever an interview says, the written YAML reads back to the same words."""
    from storygen.importers.bundle import clean_text

    if not clean_text(text) or not code.strip(" ;>/"):
        return
    root = empty_project(tmp_path_factory.mktemp("p"))
    file = write_csv(root / "x.csv", [["E1", "S1", text, code, memo]], HEADER[:4] + ["memo"])
    quiet_import(root, "csv", file)
    ex = loaded(root).excerpts["E1"]
    assert ex.text == clean_text(text)
    assert ex.memo == clean_text(memo)
    before = snapshot(root)
    quiet_import(root, "csv", file)
    assert snapshot(root) == before


def test_existing_source_is_filled_in_not_overwritten(project, tmp_path):
    rows = [["S01-09", "S01", "Extra.", "working-together", "community", "health"]]
    header = HEADER[:4] + ["role", "sector", "attr_age_band"]
    rows[0].append("40s")
    summary = quiet_import(project, "csv", write_csv(tmp_path / "x.csv", rows, header))
    assert summary.report.sources_updated == ["S01: attribute age_band"]
    assert summary.report.kept_local == ["source S01: role is 'staff' here, 'community' in the export",
                                         "source S01: sector is 'council' here, 'health' in the export"]
    src = loaded(project).sources["S01"]
    assert (src.role, src.sector, src.attributes) == ("staff", "council", {"age_band": "40s"})


def test_privacy_guard_runs_on_what_was_imported(project, tmp_path):
    privacy = pytest.importorskip("storygen.privacy")
    if not hasattr(privacy, "check_excerpts"):
        pytest.skip("the privacy guard is not in this checkout")
    rows = [["S01-09", "S01", "Ring me on 07700 900123 any time.", "working-together"]]
    summary = quiet_import(project, "csv", write_csv(tmp_path / "x.csv", rows, HEADER[:4]))
    assert any("07700 900123" in f.format() for f in summary.findings), summary.output
    assert "privacy guard:" in summary.output and "S01-09" in summary.output


def test_a_write_that_fails_half_way_changes_nothing(tmp_path):
    """`excerpts` is a file here, so writing the excerpt file fails after the codebook was staged."""
    root = empty_project(tmp_path / "p")
    (root / "narratives").mkdir()
    (root / "narratives" / "excerpts").write_text("not a folder")
    before = snapshot(root)
    result = _cli(root, "csv", write_csv(tmp_path / "x.csv"))
    assert result.exit_code == 2, result.output
    assert "could not write the project files" in result.output and "nothing was changed" in result.output
    assert snapshot(root) == before
    assert not any(p.name.startswith(".storygen-import-") for p in root.iterdir())


def test_fuzzed_xlsx_gives_only_clean_errors(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(HEADER[:4])
    book.active.append(["A1", "S1", "Text", "Code"])
    book.save(tmp_path / "good.xlsx")
    good = (tmp_path / "good.xlsx").read_bytes()

    @settings(max_examples=int(os.environ.get("FUZZ", 40)), deadline=None)
    @given(st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)), min_size=1, max_size=8))
    def run(changes):
        raw = bytearray(good)
        for at, value in changes:
            raw[at] = value
        path = tmp_path / "fuzz.xlsx"
        path.write_bytes(bytes(raw))
        try:
            import_csv(path)
        except ImportError_ as exc:
            assert str(path) in str(exc)

    run()


def test_unicode_line_separators_in_memos_and_text_import_cleanly(tmp_path):
    """NEL and U+2028/2029 are line breaks to YAML; found by the round-trip property test."""
    root = empty_project(tmp_path / "p")
    file = write_csv(root / "x.csv", [["E1", "S1", "One\u2028two", "a-code", "0\x850"]], HEADER[:4] + ["memo"])
    quiet_import(root, "csv", file)
    ex = loaded(root).excerpts["E1"]
    assert ex.text == "One\ntwo" and ex.memo == "0\n0"


def test_importing_into_a_file_with_a_duplicate_key_names_the_line(project, tmp_path):
    """The importers read the project's files with the project's own YAML reader: a key
    written twice is an error with both lines, never a silent overwrite."""
    sources = project / "narratives" / "sources.yaml"
    sources.write_text(sources.read_text() + "S01: {role: staff, sector: health}\n")
    before = snapshot(project)
    result = CliRunner().invoke(main, ["import", "--project", str(project), "csv", str(write_csv(tmp_path / "x.csv"))])
    assert result.exit_code == 2
    assert "sources.yaml:8" in result.output and "`S01` appears twice (first on line 1)" in result.output
    assert snapshot(project) == before
