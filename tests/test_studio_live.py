"""The composer's live panels against the real server: the story as typed (never saved) is
composed and checked with the workspace's loaded project; nothing is written; the CSRF token
is required; excerpt text is escaped. And the segment view's split of a body, byte for byte."""
from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import edit, write_project  # noqa: E402
from studiokit import Client, running  # noqa: E402
from test_studio_composer import hidden  # noqa: E402

from storygen.studio import segments  # noqa: E402


def form(csrf: str | None, body: str, *, themes=("turning-off-targets",), media=("site",), **extra) -> list:
    fields = [("slug", "three-voices"), ("title", "Three voices"), ("persona_name", "Alex"), ("voice", "first"),
              ("body", body)] + [("themes", t) for t in themes] + [("media", m) for m in media]
    if csrf is not None:
        fields.append(("csrf", csrf))
    return fields + list(extra.items())


def post(client, path: str, fields: list, **headers):
    sent = {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://{client.host}", **headers}
    return client.request("POST", path, urlencode(fields).encode(), sent)


def snapshot(root: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def calls(*ids: str) -> str:
    return "".join(f'{{{{ excerpt("{i}") }}}}\n\n' for i in ids)


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "proj")


def test_unsaved_edits_change_the_panel_and_nothing_is_written(project):
    with running(project) as studio:
        client = Client(studio)
        csrf = hidden(client.get("/compose")[2], "csrf")
        before = snapshot(project)
        status, headers, panel = post(client, "/compose/live", form(csrf, calls("S01-03", "S02-03")))
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert "C4 — add excerpts from 1 more source(s)" in panel
        assert "3 problems stop this story: C4, C5." in panel     # two sources: each over the share
        panel = post(client, "/compose/live", form(csrf, calls("S01-03", "S02-03", "S03-03")))[2]
        assert "Every rule passes and the privacy guard finds nothing to stop this story." in panel
        assert 'class="bad"' not in panel
        # Bridge text: a long paragraph of the team's own words breaks C3; cut, it passes again.
        long = "We " + "really " * 200 + "listened.\n\n"
        panel = post(client, "/compose/live", form(csrf, long + calls("S01-03", "S02-03", "S03-03")))[2]
        assert "C3 — too much of the story is your own words" in panel and "C3 block" in panel
        # Ticking video: S04 gave no video consent, and the panel says so, medium by medium.
        panel = post(client, "/compose/live", form(csrf, calls("S01-03", "S02-03", "S04-03"),
                                                   media=("site", "video")))[2]
        assert "S04 did not consent" in panel and "C12 block" in panel and "Video 16:9" in panel
        assert snapshot(project) == before                  # not the story, not a cache file


def test_reuse_and_queries_show_against_the_other_stories(project):
    with running(project) as studio:
        client = Client(studio)
        csrf = hidden(client.get("/compose")[2], "csrf")
        body = calls("S01-01", "S05-03") + '{{ excerpts(codes=["turning-off-targets"], role="community", count=2) }}\n'
        panel = post(client, "/compose/live", form(csrf, body))[2]
        assert "S01-01 (also in time-to-listen)" in panel and "C10 — choose other excerpts" in panel
        assert "excerpts(codes=[&#39;turning-off-targets&#39;], role=&#39;community&#39;, count=2)" in panel
        # The query picks usable community excerpts not already taken; S05-03 is this story's own.
        assert 'href="/excerpts/S05-01"' in panel and 'href="/excerpts/S06-01"' in panel
        # An existing story: the panel follows its unsaved body, not its file.
        page = client.get("/stories/time-to-listen/edit")[2]
        assert "Rules and privacy for the story as typed" in page and "Every rule passes" in page
        panel = post(client, "/stories/time-to-listen/live",
                     form(csrf, "## Before\n\n" + calls("S01-01"), themes=("turning-off-targets",)))[2]
        assert "C4 block" in panel and "(line " in panel


def test_a_body_that_cannot_be_read_says_why(project):
    with running(project) as studio:
        client = Client(studio)
        csrf = hidden(client.get("/compose")[2], "csrf")
        panel = post(client, "/compose/live", form(csrf, "{{ excerpt(\"S01-99\") }}\n"))[2]
        assert "The body cannot be read yet" in panel and "does not exist" in panel
        panel = post(client, "/compose/live", form(csrf, "{{ excerpt(\n"))[2]
        assert "template error in the story body" in panel


def test_the_panel_refuses_without_the_csrf_token_or_the_cookie(project):
    with running(project) as studio:
        client = Client(studio)
        assert post(client, "/compose/live", form(None, calls("S01-03")))[0] == 403
        assert post(client, "/compose/live", form("wrong", calls("S01-03")))[0] == 403
        assert post(client, "/compose/segments", form(None, calls("S01-03")))[0] == 403
        csrf = hidden(client.get("/compose")[2], "csrf")
        assert post(client, "/compose/live", form(csrf, calls("S01-03")),
                    Origin="https://evil.example")[0] == 403
        stranger = Client(studio, login=False)
        assert post(stranger, "/compose/live", form(csrf, calls("S01-03")))[0] == 403


HOSTILE = "<script>alert(1)</script> {{ 7*7 }} \u202eevil\u202c"


def test_hostile_excerpt_text_is_escaped_in_both_fragments(project):
    path = project / "narratives" / "excerpts" / "S05.yaml"
    text = path.read_text()
    start = text.index("  - id: S05-01")
    edit(path, text[start:text.index("  - id: S05-02")],
         f"  - id: S05-01\n    codes: [turning-off-targets]\n    text: {HOSTILE!r}\n".replace("'", '"')
         .replace("\u202e", "\\u202e").replace("\u202c", "\\u202c"))
    with running(project) as studio:
        client = Client(studio)
        csrf = hidden(client.get("/compose")[2], "csrf")
        body = '{{ excerpts(codes=["turning-off-targets"], role="community", count=1) }}\n\n' + calls("S05-01")
        for path in ("/compose/live", "/compose/segments"):
            status, _, fragment = post(client, path, form(csrf, body))
            assert status == 200
            assert "<script>alert" not in fragment and "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
            assert "<bdi>" in fragment


def test_the_segment_fragment_lists_the_body_in_order(project):
    with running(project) as studio:
        client = Client(studio)
        csrf = hidden(client.get("/compose")[2], "csrf")
        body = ("## Before\n\nRobin waited.\n\n" + calls("S01-01") +
                '{{ excerpts(codes=["working-together"], count=1) }}\n\n{# a note #}\n')
        fragment = post(client, "/compose/segments", form(csrf, body))[2]
        kinds = [k for k in ("Heading", "Your words", "Excerpt S01-01", "Excerpts by query", "Note (not published)")]
        positions = [fragment.index(k) for k in kinds]
        assert positions == sorted(positions)
        assert fragment.count("Move up") == 5 and fragment.count('draggable="true"') == 5


# --- the segment split: body -> segments -> body, byte for byte ----------------------------------

PIECES = st.sampled_from(["\n", "\n\n", "\n \n", "  ", "\t", "## Heading", "# One", "Bridge text.", "{{ excerpt(\"S01-01\") }}",
                          "{{ excerpts(codes=[\"a\"], count=2) }}", "{# note #}", "{% if x %}", "é", "\r\n", "\u202e"])
BODIES = st.lists(PIECES, max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(BODIES)
def test_split_then_join_gives_back_the_same_bytes(body):
    parts = segments.split(body)
    assert segments.join(parts) == body
    assert all(s.raw.strip() for s in parts.segments)


@settings(max_examples=300, deadline=None)
@given(BODIES, st.randoms(use_true_random=False))
def test_a_reordered_body_splits_into_the_same_segments_reordered(body, rnd):
    parts = segments.split(body)
    order = list(range(len(parts.segments)))
    rnd.shuffle(order)
    moved = segments.join(parts, order)
    again = segments.split(moved)
    assert [s.raw for s in again.segments] == [parts.segments[i].raw for i in order]
    assert segments.join(again, [order.index(i) for i in range(len(order))]) == body


def test_segment_kinds():
    parts = segments.split('## Before\n\nText\n\n{{ excerpt("S01-01") }}\n\n{{ excerpts(codes="a") }}\n\n{# n #}\n')
    assert [(s.kind, s.excerpt_id) for s in parts.segments] == [
        ("heading", ""), ("bridge", ""), ("excerpt", "S01-01"), ("query", ""), ("note", "")]


def test_an_unchanged_story_assesses_exactly_as_check_composes_and_judges_it(project):
    """The panel's allocation (live.Basis) stands in for compose_all's: for every story, unchanged,
    the panel's composite and rule findings are the ones `storygen check --drafts` makes."""
    from storygen.compose.rules import check_one
    from storygen.studio import live
    from storygen.studio.workspace import Workspace

    (project / "narratives" / "stories" / "a-draft.md").write_text(
        "---\ntitle: A draft\npersona:\n  name: Sam\nthemes: [working-together]\n---\n"
        '{{ excerpts(codes=["working-together"], role="staff", count=3) }}\n\n{{ excerpt("S05-02") }}\n')
    (project / "narratives" / "stories" / "z-draft.md").write_text(
        "---\ntitle: Z draft\npersona:\n  name: Kim\nthemes: [working-together]\n---\n"
        '{{ excerpts(codes=["working-together"], count=4) }}\n')
    workspace = Workspace(project)
    state = workspace.state()
    for story in state.project.stories:
        values = {"title": story.title, "summary": story.summary, "voice": story.voice,
                  "persona": {"name": story.persona.name, "role": story.persona.role,
                              "setting": story.persona.setting},
                  "themes": list(story.themes), "media": list(story.media), "body": story.body}
        found = live.assess(workspace, state, live.unsaved_story(state.project, story.slug, values))
        saved = state.composites[story.slug]
        assert found.composite.segments == saved.segments, story.slug
        rules = [f for f in state.findings[story.slug] if f.rule.startswith("C")]
        assert sorted(f.rule for f in found.rules) == sorted(f.rule for f in rules), story.slug
        assert [f.message for f in found.rules if f.rule != "C10"] == \
            [f.message for f in check_one(state.project, saved)]
