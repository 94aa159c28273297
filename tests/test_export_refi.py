"""`storygen export refi`: schema-valid, deterministic, and import gives the project back."""
from __future__ import annotations

import dataclasses
import zipfile

import pytest
import xmlschema
from click.testing import CliRunner

from importkit import REFI, empty_project, loaded, quiet_import, snapshot
from storygen.cli import main
from storygen.errors import ImportError_
from storygen.importers.export_refi import export_refi, guid


@pytest.fixture(scope="module")
def schema():
    xsd = REFI / "Project.xsd"
    if not xsd.is_file():
        pytest.skip(f"REFI-QDA schema {xsd} is absent (expected in ../shared/fixtures)")
    return xmlschema.XMLSchema(str(xsd))


def _plain(mapping):
    return {k: dataclasses.replace(v, origin=None) for k, v in mapping.items()}


def _with_unicode_excerpt(project):
    """Give S01 an excerpt with non-BMP characters, CRLF-free lines, a memo and flags."""
    path = project / "narratives" / "excerpts" / "S01.yaml"
    path.write_text(path.read_text(encoding="utf-8") + (
        "  - id: S01-09\n    codes: [working-together]\n    featured: yes\n    singular: yes\n"
        "    memo: |\n      Two lines\n      of memo.\n    text: |\n      Ünïcode 🤣 and 𝄞 first line\n"
        "      second line — “quoted”\n"), encoding="utf-8")
    sources = project / "narratives" / "sources.yaml"
    sources.write_text(sources.read_text().replace(
        "S01: {role: staff,", "S01: {role: staff, attributes: {age_band: 40s, region: North of England},"))


def test_export_validates_and_is_deterministic(project, tmp_path, schema):
    _with_unicode_excerpt(project)
    a, b = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    result = CliRunner().invoke(main, ["export", "refi", "--project", str(project), str(a)])
    assert result.exit_code == 0, result.output
    export_refi(project, b)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        qde = zf.read("project.qde").decode("utf-8")
        schema.validate(qde)
        s01 = zf.read(f"sources/{guid('source', 'S01')}.txt").decode("utf-8")
    assert names[0] == "project.qde" and all(n.startswith("sources/") for n in names[1:])
    # code-point offsets: the selection for S01-09 slices exactly its text out of the source
    import re
    m = re.search(r'name="S01-09" startPosition="(\d+)" endPosition="(\d+)"', qde)
    assert s01[int(m.group(1)):int(m.group(2))] == "Ünïcode 🤣 and 𝄞 first line\nsecond line — “quoted”"
    assert 'name="Time to listen"' in qde   # the story as a set


def test_round_trip_into_the_same_project_changes_nothing(project, tmp_path):
    _with_unicode_excerpt(project)
    out = tmp_path / "p.qdpx"
    export_refi(project, out)
    before = snapshot(project)
    summary = quiet_import(project, "refi", out)
    assert summary.report.files_written == [] and summary.report.kept_local == []
    assert snapshot(project) == before


def test_round_trip_into_an_empty_project_gives_the_same_project(project, tmp_path):
    _with_unicode_excerpt(project)
    out = tmp_path / "p.qdpx"
    export_refi(project, out)
    fresh = empty_project(tmp_path / "fresh")
    quiet_import(fresh, "refi", out)
    a, b = loaded(project), loaded(fresh)
    assert _plain(a.codes) == _plain(b.codes)
    assert _plain(a.sources) == _plain(b.sources)
    assert _plain(a.excerpts) == _plain(b.excerpts)
    assert b.excerpts["S01-09"].featured and b.excerpts["S01-09"].singular
    assert b.excerpts["S01-09"].memo == "Two lines\nof memo."


def test_story_set_lists_themes_and_quoted_sources(project, tmp_path):
    out = tmp_path / "p.qdpx"
    export_refi(project, out)
    qde = zipfile.ZipFile(out).read("project.qde").decode()
    story = qde[qde.index("<Set "):qde.index("</Set>")]
    assert f'<MemberCode targetGUID="{guid("code", "turning-off-targets")}"' in story
    for sid in ("S01", "S02", "S03"):
        assert f'<MemberSource targetGUID="{guid("source", sid)}"' in story


def test_export_refuses_the_published_folder(project):
    with pytest.raises(ImportError_, match="must not be written into the published site folder"):
        export_refi(project, project / "build" / "site" / "x.qdpx")


def test_sample_project_round_trips_and_validates(tmp_path, schema):
    """The repository's own sample: its code ids are not slugs of their names, and still survive."""
    import shutil

    from importkit import REPO

    if not (REPO / "narratives" / "codebook.yaml").is_file():
        pytest.skip("the sample project is not in this checkout")
    sample = tmp_path / "sample"
    sample.mkdir()
    for name in ("storygen.toml", "narratives", "assets", "templates"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, sample / name)
        elif src.is_file():
            shutil.copy(src, sample / name)
    out = tmp_path / "sample.qdpx"
    export_refi(sample, out)
    schema.validate(zipfile.ZipFile(out).read("project.qde").decode("utf-8"))
    fresh = empty_project(tmp_path / "fresh")
    quiet_import(fresh, "refi", out)
    a, b = loaded(sample), loaded(fresh)
    assert _plain(a.codes) == _plain(b.codes)
    assert _plain(a.sources) == _plain(b.sources)
    assert _plain(a.excerpts) == _plain(b.excerpts)
    before = snapshot(sample)
    assert quiet_import(sample, "refi", out).report.files_written == []
    assert snapshot(sample) == before
