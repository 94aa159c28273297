"""A new story started from `storygen draft` in the studio's composer, against the real server:
the form holds what `storygen draft --dry-run` would write, asking writes nothing, saving it
gives a story `storygen check --drafts` passes, and a theme the data cannot carry is refused
with the rule that stops it."""
from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from draftkit import pool_project, source  # noqa: E402
from projectkit import write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402

from storygen.build import check  # noqa: E402
from storygen.compose.draft import make_draft  # noqa: E402
from storygen.compose.draft.request import checked  # noqa: E402
from storygen.options import BuildOptions  # noqa: E402
from storygen.project import load_project, split_front_matter  # noqa: E402


def field(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}"[^>]* value="([^"]*)"', page).group(1))


def body_of(page: str) -> str:
    return html.unescape(re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def ticked(page: str, name: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf'name="{name}" value="([^"]*)" checked', page)]


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "narratives").rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "proj")


def test_the_composer_offers_a_draft_on_any_theme(project):
    with running(project) as studio:
        page = Client(studio).get("/compose")[2]
    assert 'action="/compose/draft"' in page
    assert re.findall(r'<option value="([^"]+)"', page.split('id="draft-theme"')[1].split("</select>")[0]) == \
        ["turning-off-targets", "working-together"]


def test_a_draft_fills_the_form_writes_nothing_and_saves_as_a_passing_story(project):
    before = files(project)
    expected = make_draft(load_project(project), checked(load_project(project), theme="turning-off-targets"),
                          dry_run=True)
    with running(project) as studio:
        client = Client(studio)
        status, _, page = client.get("/compose/draft?theme=turning-off-targets")
        assert status == 200, page
        assert files(project) == before                          # asking for a draft changes no file
        assert "is filled in below; it is not saved yet" in page
        body = body_of(page)
        assert body == split_front_matter(expected.text, Path("x.md"))[1]
        assert field(page, "title") == expected.title and field(page, "slug") == expected.slug
        assert field(page, "persona_name") == expected.persona.name
        form = [("csrf", field(page, "csrf")), ("slug", field(page, "slug")), ("title", field(page, "title")),
                ("summary", field(page, "summary")), ("persona_name", field(page, "persona_name")),
                ("persona_role", field(page, "persona_role")), ("persona_setting", field(page, "persona_setting")),
                ("voice", "first"), ("body", body)]
        form += [("themes", t) for t in ticked(page, "themes")] + [("media", m) for m in ticked(page, "media")]
        status, headers, _ = client.request("POST", "/compose", urlencode(form).encode(),
                                            {"Content-Type": "application/x-www-form-urlencoded",
                                             "Origin": f"http://{client.host}"})
        assert status == 303, headers
    saved = project / "narratives" / "stories" / f"{expected.slug}.md"
    assert split_front_matter(saved.read_text(encoding="utf-8"), saved)[1] == body
    result = check(project, options=BuildOptions(drafts=True))
    assert not result.blocking, [f.message for f in result.blocking]
    composite = next(c for c in result.composites if c.story.slug == expected.slug)
    assert {s.excerpt_id for s in composite.excerpt_segments} == {c.id for c in expected.selection.chosen}


def test_a_theme_the_data_cannot_carry_is_refused_with_its_rule(tmp_path):
    sources = {"S0": source(), "S1": source(withdrawn=True), "S2": source()}
    excerpts = [{"id": f"S{i}-1", "source": f"S{i}", "words": 50} for i in range(3)]
    root = pool_project(tmp_path / "p", sources, excerpts)
    before = files(root)
    with running(root) as studio:
        client = Client(studio)
        status, _, page = client.get("/compose/draft?theme=care")
        assert status == 422
        assert "No draft" in page and "(C4)" in " ".join(html.unescape(page).split())
        status, _, page = client.get("/compose/draft?theme=%3Cscript%3Ecare")
        assert status == 422 and "there is no theme" in html.unescape(page) and "<script>care" not in page
    assert files(root) == before
