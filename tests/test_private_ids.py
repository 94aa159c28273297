"""One search for private ids (storygen/privacy/ids.py), whatever the build.

A private id planted in a published page is found with the privacy guard on,
with it off, and in `storygen serve`'s preview, by real builds of a real project
on disk; and each time it is `privacy.ids.search_bytes` that finds it. The
search is wrapped, not replaced: it does the work and the wrapper only notes
what it found. A second scanner (say, one the site renderer keeps again) would
either find the id without this function, or be seen by the source check below.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from projectkit import edit, write_project

from storygen.build import BuildOptions, build
from storygen.context import BuildContext
from storygen.errors import CheckFailed, RenderError
from storygen.privacy import ids
from storygen.privacy.ids import IdMemory, search_folders
from storygen.serve import Preview

PACKAGE = Path(__file__).resolve().parent.parent / "storygen"
PLANT = '{% extends "!default/about.html" %}{% block content %}S02-01{{ super() }}{% endblock %}'


@pytest.fixture
def found(monkeypatch):
    """Every private value `ids.search_bytes` found, in order (the real search runs)."""
    monkeypatch.setenv("STORYGEN_JOBS", "1")      # the output scan in this process, where the wrapper is
    spans: list[str] = []
    real = ids.search_bytes

    def noting(data, suffix, literals):
        result = real(data, suffix, literals)
        spans.extend(hit.span for hit in result[0])
        return result

    monkeypatch.setattr(ids, "search_bytes", noting)
    return spans


def _plant(root: Path) -> None:
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "about.html").write_text(PLANT, encoding="utf-8")


def test_a_planted_id_is_found_by_the_one_search_with_the_guard_on_off_and_in_serve(tmp_path, found, capsys):
    site = BuildOptions(only="site")

    # The guard on: the output scan's findings, nothing published (exit 1).
    on = write_project(tmp_path / "on")
    _plant(on)
    with pytest.raises(CheckFailed, match="nothing was published"):
        build(on, site)
    lines = capsys.readouterr().err
    assert "about/index.html: R5 BLOCK — “S02-01” — raw bytes: an excerpt id" in lines, lines
    assert "S02-01" in found and not (on / "build" / "site").exists()

    # The guard off: the same search, as the error it always was (exit 1).
    found.clear()
    off = write_project(tmp_path / "off", privacy=False)
    build(off, site)                                    # clean first: it passes
    assert found == []
    _plant(off)
    with pytest.raises(RenderError, match=r"private identifier 'S02-01' found in published file about/index\.html"):
        build(off, site)
    assert found == ["S02-01"]
    assert "S02-01" not in (off / "build" / "site" / "about" / "index.html").read_text(encoding="utf-8")

    # serve's preview (guard on, as the default): the rebuild is refused and says why.
    found.clear()
    said: list[str] = []
    preview = Preview(write_project(tmp_path / "serve"), echo=lambda line, err=False: said.append(line))
    try:
        assert preview.rebuild()
        _plant(preview.root)
        assert not preview.rebuild()
        assert found == ["S02-01"]
        assert "private identifier 'S02-01' found in published file about/index.html" in preview.error
        (preview.root / "templates" / "about.html").unlink()
        assert preview.rebuild() and preview.error is None
    finally:
        preview.stop()


def test_nothing_else_in_storygen_searches_for_private_ids():
    """The private values are read, and bytes searched for them, in privacy/ids.py alone."""
    readers, searchers = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(PACKAGE).as_posix()
        if re.search(r"(?<!def )provenance_ids\(", text):
            readers.append(rel)
        if ".find_bytes(" in text and rel != "privacy/literals.py":     # the matcher itself (Layered wraps Literals)
            searchers.append(rel)
    assert readers == ["privacy/ids.py"] and searchers == ["privacy/ids.py"]
    for output in ("site", "video", "report"):
        for path in (PACKAGE / output).rglob("*.py"):
            assert "privacy" not in re.findall(r"^from \.\.(\w+)", path.read_text(encoding="utf-8"), re.M), path


def _pages(folder: Path) -> Path:
    for rel, text in (("stories/a/index.html", "<p>We met S09-04 at the desk.</p>"),
                      ("stories/b/index.html", "<p>Nothing to see.</p>")):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


def test_unchanged_clean_files_are_searched_only_for_ids_added_since(tmp_path, monkeypatch):
    searched: list[set[str]] = []           # what each search of a file looked for
    real = ids.search_bytes
    monkeypatch.setattr(ids, "search_bytes",
                        lambda data, suffix, literals: (searched.append(set(literals.labels)), real(data, suffix, literals))[1])
    site, cache, store, memory = _pages(tmp_path / "site"), tmp_path / "cache", {}, IdMemory()

    search_folders([site], {"S01-01": "an excerpt id"}, memory, store, cache)          # clean: remembered
    assert searched == [{"s01-01"}] * 2
    searched.clear()
    search_folders([site], {"S01-01": "", "S02-02": ""}, memory, store, cache)       # one added, on no page
    assert searched == [{"s02-02"}] * 2
    searched.clear()
    search_folders([site], {"S01-01": "", "S02-02": ""}, memory, store, cache)       # nothing added: not read again
    assert searched == []
    # Another process (a fresh memory) starts from the disk copy: still only the added id, and found.
    with pytest.raises(RenderError, match="'S09-04' found in published file stories/a/index.html"):
        search_folders([site], {"S01-01": "", "S02-02": "", "S09-04": ""}, IdMemory(), {}, cache)
    assert searched == [{"s09-04"}]
    with pytest.raises(RenderError, match="S09-04"):               # and again: a failure is never remembered
        search_folders([site], {"S09-04": ""}, memory, store, cache)
    # A changed file is searched for every id.
    searched.clear()
    edit(site / "stories" / "a" / "index.html", "S09-04", "someone")
    search_folders([site], {"S01-01": "", "S02-02": "", "S09-04": ""}, memory, store, cache)
    assert sorted(map(len, searched)) == [1, 3]


def test_a_name_found_clean_is_searched_again_for_an_id_added_since(tmp_path):
    """File and folder names found clean are remembered (memory only) like files: a later id
    that one of them spells is still found, and a changed name is searched for every id."""
    site, cache, store, memory = _pages(tmp_path / "site"), tmp_path / "cache", {}, IdMemory()
    search_folders([site], {"S01-01": "an excerpt id"}, memory, store, cache)
    assert {"stories", "a", "b", "index.html"} <= memory.names
    with pytest.raises(RenderError, match="reached the published file name 'stories/b'"):
        search_folders([site], {"S01-01": "", "b": "a source id"}, memory, store, cache)
    (site / "stories" / "S01-01").mkdir()
    with pytest.raises(RenderError, match="reached the published file name 'stories/S01-01'"):
        search_folders([site], {"S01-01": ""}, memory, store, cache)
