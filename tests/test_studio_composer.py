"""The composer against the real server: a new story from a form and picked excerpts, checked
by the same loader and rules as `storygen check`; edits change only what changed; typed text
cannot add a key, pick a path or overwrite a story."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402

from storygen.build import check  # noqa: E402
from storygen.options import BuildOptions  # noqa: E402


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def new_story(client, csrf, **extra):
    form = [("csrf", csrf), ("slug", "three-voices"), ("title", "Three voices"),
            ("summary", "Staff on time to listen."), ("persona_name", "Alex"), ("persona_role", "adviser"),
            ("voice", "third"), ("themes", "turning-off-targets"), ("media", "site"),
            ("body", "## Time\r\n\r\nAlex had time, at last.\r\n")]
    form += [("add", e) for e in ("S04-03", "S05-03", "S06-03")]
    form = [(k, v) for k, v in form if k not in extra] + list(extra.items())
    from urllib.parse import urlencode
    return client.request("POST", "/compose", urlencode(form).encode(),
                          {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://{client.host}"})


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "proj")


def test_a_new_story_from_the_form_is_a_draft_the_cli_reads(project):
    with running(project) as studio:
        client = Client(studio)
        page = client.get("/compose")[2]
        status, headers, _ = new_story(client, hidden(page, "csrf"))
        assert status == 303 and headers["location"] == "/stories/three-voices?saved=1"
        page = client.get(headers["location"])[2]
        assert "Saved." in page and "Distinct sources" in page
    text = (project / "narratives" / "stories" / "three-voices.md").read_text()
    assert text == ('---\ntitle: Three voices\nsummary: Staff on time to listen.\npersona:\n  name: Alex\n'
                    '  role: adviser\nvoice: third\nthemes: [turning-off-targets]\nstatus: draft\nmedia: [site]\n'
                    '---\n## Time\n\nAlex had time, at last.\n\n{{ excerpt("S04-03") }}\n\n'
                    '{{ excerpt("S05-03") }}\n\n{{ excerpt("S06-03") }}\n')
    result = check(project, options=BuildOptions(drafts=True))
    composite = next(c for c in result.composites if c.story.slug == "three-voices")
    assert composite.stats.sources == ("S04", "S05", "S06")


def test_the_composer_offers_only_usable_excerpts_of_the_ticked_themes(project):
    with running(project) as studio:
        page = Client(studio).get("/stories/time-to-listen/edit")[2]
    offered = re.findall(r'name="add" value="([^"]+)"', page)
    assert offered and not any(e.startswith("S07") for e in offered)        # S07 withdrew


@pytest.mark.parametrize("extra,message", [
    ({"slug": "../../escape"}, "must be lower-case words joined by hyphens"),
    ({"slug": "time-to-listen"}, "already exists"),
    ({"title": ""}, "a story needs a title"),
])
def test_a_bad_new_story_is_refused_and_nothing_is_written(project, extra, message):
    before = sorted(p.name for p in (project / "narratives" / "stories").iterdir())
    original = (project / "narratives" / "stories" / "time-to-listen.md").read_bytes()
    with running(project) as studio:
        client = Client(studio)
        status, _, page = new_story(client, studio.studio.keys.csrf, **extra)
        assert status in (409, 422) and message in page
        assert 'value="Three voices"' in page or extra.get("title") == ""       # what was typed is kept
    assert sorted(p.name for p in (project / "narratives" / "stories").iterdir()) == before
    assert (project / "narratives" / "stories" / "time-to-listen.md").read_bytes() == original
    assert not (project.parent / "escape.md").exists()


def test_typed_text_cannot_add_a_key_to_the_front_matter(project):
    with running(project) as studio:
        client = Client(studio)
        status, _, _ = new_story(client, studio.studio.keys.csrf,
                                 title="Evil\nstatus: approved", summary="x: y # z\n---\n<script>")
        assert status == 303
    story = check(project, options=BuildOptions(drafts=True)).project.story("three-voices")
    assert story.status == "draft" and story.title == "Evil status: approved"
    assert story.summary == "x: y # z --- <script>"


def test_an_edit_changes_only_the_lines_that_changed(project):
    path = project / "narratives" / "stories" / "time-to-listen.md"
    before = path.read_text()
    with running(project) as studio:
        client = Client(studio)
        page = client.get("/stories/time-to-listen/edit")[2]
        form = {"csrf": hidden(page, "csrf"), "digest": hidden(page, "digest"), "title": "Time to listen, at last",
                "summary": "What changed when the targets went.", "persona_name": "Robin",
                "persona_role": "support worker", "persona_setting": "a council in the north of England",
                "voice": "first", "body": before.split("---\n", 2)[2].replace("\n", "\r\n")}
        from urllib.parse import urlencode
        body = urlencode(list(form.items()) + [("themes", "turning-off-targets"), ("themes", "working-together"),
                                               ("media", "site"), ("media", "video")]).encode()
        status, headers, _ = client.request("POST", "/stories/time-to-listen/edit", body,
                                            {"Content-Type": "application/x-www-form-urlencoded",
                                             "Origin": f"http://{client.host}"})
        assert status == 303, _
    assert path.read_text() == before.replace("title: Time to listen\n", "title: Time to listen, at last\n")
