"""The studio's excerpt library: filters, search, sort, what each excerpt may be used for,
and hostile excerpt text reaching the page only as escaped text."""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import edit, write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402

from storygen.studio.library import Library, Query  # noqa: E402
from storygen.studio.workspace import Workspace  # noqa: E402

HOSTILE = ("<script>alert('x')</script> {{ 7 * 7 }} {% raw %} \u202egnp.exe\u202c "
           "<img src=x onerror=alert(1)> &amp; " + "long" * 25_000)


def ids(page: str) -> list[str]:
    return re.findall(r'<a href="/excerpts/([^"]+)">', page)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("library") / "proj")
    with (root / "narratives" / "excerpts" / "S06.yaml").open("a") as f:
        f.write("  - id: S06-09\n    codes: [working-together]\n    memo: 'memo with <b>tags</b>'\n"
                f"    text: {HOSTILE!r}\n".replace("'", '"', 0))
    return root


@pytest.fixture(scope="module")
def studio(root):
    with running(root) as studio:
        yield studio


@pytest.fixture(scope="module")
def library(root) -> Library:
    return Workspace(root).state().library


def test_filter_by_theme_and_role(library):
    found = library.search(Query(theme="working-together", role="community")).rows
    assert [r.id for r in found] == ["S05-01", "S05-02", "S06-01", "S06-02", "S06-09", "S07-01", "S07-02"]


def test_sub_theme_matches_only_its_own_code(library):
    found = library.search(Query(theme="working-together/shared-records")).rows
    assert [r.id for r in found] == [f"S0{n}-01" for n in range(1, 8)]


def test_usable_for_follows_consent_and_withdrawal(library):
    video = {r.id for r in library.search(Query(usable="video")).rows}
    site = {r.id for r in library.search(Query(usable="site")).rows}
    assert "S04-01" in site and "S04-01" not in video         # S04 consented to web, not video
    assert not any(i.startswith("S07") for i in site)          # S07 withdrew
    assert library.by_id["S07-01"].usable == () and library.by_id["S07-01"].withdrawn


def test_quoted_by_names_the_stories_that_use_an_excerpt(library):
    assert library.by_id["S01-01"].quoted_by == ("time-to-listen",)
    assert library.by_id["S06-03"].quoted_by == ()


def test_search_needs_every_word_and_ignores_case(library):
    assert [r.id for r in library.search(Query(q="S06-09")).rows] == ["S06-09"]
    assert [r.id for r in library.search(Query(q="SCRIPT alert")).rows] == ["S06-09"]
    assert library.search(Query(q="script nowhere-at-all")).total == 0


def test_sort_by_words_puts_the_longest_first(library):
    rows = library.search(Query(sort="words")).rows
    assert rows[-1].id == "S06-09"          # one 100 kB "word" and a dozen more: the shortest
    assert [r.words for r in rows] == sorted((r.words for r in rows), reverse=True)


def test_library_page_filters_through_the_form(studio):
    status, _, page = Client(studio).get("/library?theme=working-together&role=community&usable=site&q=")
    assert status == 200
    assert ids(page) == ["S05-01", "S05-02", "S06-01", "S06-02", "S06-09"]
    assert "5 excerpts found" in page
    assert '<option value="community" selected>' in page


def test_hostile_excerpt_text_is_escaped_everywhere(studio):
    client = Client(studio)
    for path in ("/library?q=S06-09", "/excerpts/S06-09"):
        status, _, page = client.get(path)
        assert status == 200
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>tags" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
        assert "{{ 7 * 7 }}" in page                           # Jinja syntax shown, never run
        assert "49" not in re.sub(r'value="[0-9a-f]{64}"', "", page)   # (file digests may hold "49")
        assert "<bdi>" in page                                 # bidi controls isolated
        assert "long" * 25_000 in page


def test_unknown_excerpt_is_a_plain_404(studio):
    status, _, page = Client(studio).get("/excerpts/" + quote("<nope>"))
    assert status == 404 and "&lt;nope&gt;" not in page and "<nope>" not in page


def test_outside_edit_is_seen_and_a_broken_file_is_named(tmp_path):
    root = write_project(tmp_path / "proj")
    with running(root) as studio:
        client = Client(studio)
        assert "S01-03" in ids(client.get("/library?source=S01")[2])
        edit(root / "narratives" / "excerpts" / "S01.yaml", "- id: S01-03", "- id: S01-33")
        assert "S01-33" in ids(client.get("/library?source=S01")[2])
        edit(root / "narratives" / "excerpts" / "S01.yaml", "codes: [working-together]", "codes: [no-such-code]")
        status, _, page = client.get("/library")
        assert status == 500
        assert "narratives/excerpts/S01.yaml:" in page and "no-such-code" in page
