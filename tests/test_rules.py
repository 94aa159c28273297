"""Each integrity rule: seed a violation, see `storygen check` refuse with a precise message (exit 1)."""
from pathlib import Path

import pytest
from click.testing import CliRunner

from projectkit import STORY, edit, write_project
from storygen.build import check
from storygen.cli import main

STORY_FILE = Path("narratives/stories/time-to-listen.md")


def run_check(root: Path, *extra):
    return CliRunner().invoke(main, ["check", "--project", str(root), *extra], catch_exceptions=False)


@pytest.fixture
def proj(tmp_path):
    return write_project(tmp_path / "p", privacy=False)


def test_valid_project_passes(proj):
    result = run_check(proj)
    assert result.exit_code == 0, result.output
    assert "1 story ready" in result.output


def test_statistics(proj):
    composite = check(proj).composites[0]
    stats = composite.stats
    assert stats.sources == ("S01", "S02", "S03")
    assert stats.quoted_words == sum(stats.source_words.values()) == 240
    assert stats.bridge_words == 11                # "Before", the bridge sentence, "After"
    assert stats.total_words == 251 and abs(stats.bridge_share - 11 / 251) < 1e-9
    assert stats.theme_sources == {"turning-off-targets": ("S01", "S02", "S03"),
                                   "working-together": ("S01", "S02", "S03")}
    assert stats.duration_seconds == pytest.approx(251 / 150 * 60, abs=0.1)
    kinds = [s.kind for s in composite.segments]
    assert kinds == ["heading", "bridge", "excerpt", "excerpt", "heading", "excerpt", "excerpt", "excerpt"]
    # queries: featured first then natural id order, skipping excerpts already used in the story
    assert [s.excerpt_id for s in composite.excerpt_segments] == ["S01-01", "S02-01", "S03-01", "S01-02", "S02-02"]
    assert composite.excerpt_segments[0].text_hash == composite.excerpt_segments[0].text_hash


def test_c4_minimum_sources(proj):
    edit(proj / STORY_FILE, '{{ excerpt("S03-01") }}', "")
    edit(proj / STORY_FILE, 'role="staff", count=2', 'role="staff", sector="health", count=1')
    result = run_check(proj)
    assert result.exit_code == 1
    assert "[time-to-listen] C4 BLOCK" in result.output and "draws on 2 source(s) (S01, S02)" in result.output
    assert "needs at least 3" in result.output


def test_c5_dominance(proj):
    edit(proj / STORY_FILE, 'role="staff", count=2', 'role="staff", sector="council", count=2')
    result = run_check(proj)
    assert result.exit_code == 1
    assert "C5 BLOCK" in result.output and "source S01 supplies 50 % of the quoted words (96 of 192)" in result.output


def test_c3_bridge_share(proj):
    edit(proj / STORY_FILE, "for years.", "for years. " + "She walks to work past the market every morning. " * 8)
    result = run_check(proj)
    assert result.exit_code == 1 and "C3 BLOCK" in result.output and "bridge text is 26 % of the words (83 of 323)" in result.output


def test_c12_consent_per_medium(proj):
    edit(proj / STORY_FILE, '{{ excerpt("S03-01") }}', '{{ excerpt("S03-01") }}\n\n{{ excerpt("S04-01") }}')
    result = run_check(proj)
    assert result.exit_code == 1
    assert "C12 BLOCK" in result.output and "S04, who has not consented to video" in result.output
    assert "time-to-listen.md:27:" in result.output
    edit(proj / STORY_FILE, "media: [site, video]", "media: [site]")
    assert run_check(proj).exit_code == 0


def test_c12_withdrawn(proj):
    edit(proj / STORY_FILE, "media: [site, video]", "media: [site, video]\nmixed_roles: yes")
    edit(proj / STORY_FILE, '{{ excerpt("S03-01") }}', '{{ excerpt("S03-01") }}\n\n{{ excerpt("S07-01") }}')
    result = run_check(proj)
    assert result.exit_code == 1 and "S07, who has withdrawn" in result.output


def test_queries_never_pick_ineligible_excerpts(proj):
    edit(proj / STORY_FILE, 'role="staff", count=2', 'count=30')
    edit(proj / STORY_FILE, "media: [site, video]", "media: [site, video]\nmixed_roles: yes")
    ids = {s.excerpt_id for s in check(proj).composites[0].excerpt_segments}
    assert not any(i.startswith(("S04", "S07")) for i in ids)   # no video consent; withdrawn
    assert "S05-01" in ids


def test_c9_singular(proj):
    edit(proj / "narratives/excerpts/S02.yaml", "  - id: S02-01\n", "  - id: S02-01\n    singular: yes\n")
    result = run_check(proj)
    assert result.exit_code == 1 and "C9 BLOCK" in result.output and "S02-01" in result.output


def test_c10_reuse_across_published_stories(proj):
    second = STORY.replace("Time to listen", "Second story")
    (proj / "narratives/stories/second-story.md").write_text(second)
    result = run_check(proj)
    assert result.exit_code == 1 and "C10 BLOCK" in result.output
    assert "excerpt S01-01 is used by more than one published story (second-story, time-to-listen)" in result.output


def test_c10_queries_share_out_excerpts(proj):
    second = STORY.replace("Time to listen", "Second").replace('{{ excerpt("S01-01") }}', "") \
        .replace('{{ excerpt("S02-01") }}', "").replace('{{ excerpt("S03-01") }}', "") \
        .replace("count=2", "count=4").replace("themes: [turning-off-targets, working-together]",
                                               "themes: [working-together]")
    (proj / "narratives/stories/second.md").write_text(second)
    result = run_check(proj)
    assert result.exit_code == 0, result.output


def test_c11_theme_support(proj):
    edit(proj / "narratives/codebook.yaml", "working-together:", "recalculating-risk:\n  name: Risk\nworking-together:")
    edit(proj / "narratives/excerpts/S01.yaml", "codes: [turning-off-targets]", "codes: [recalculating-risk]")
    edit(proj / STORY_FILE, "themes: [turning-off-targets, working-together]",
         "themes: [turning-off-targets, recalculating-risk]")
    edit(proj / STORY_FILE, 'codes=["working-together"], role="staff", count=2', 'codes=["recalculating-risk"], role="staff", count=2')
    result = run_check(proj)
    assert result.exit_code == 1
    assert "C11 BLOCK" in result.output and "claims theme `recalculating-risk` but only 1 source(s) back it (S01)" in result.output


def test_c6_roles_not_mixed(proj):
    edit(proj / STORY_FILE, '{{ excerpt("S03-01") }}', '{{ excerpt("S05-01") }}')
    result = run_check(proj)
    assert result.exit_code == 1 and "C6 BLOCK" in result.output and "community, staff" in result.output


def test_c13_only_approved_are_published(proj):
    edit(proj / STORY_FILE, "status: approved", "status: reviewed")
    result = run_check(proj)
    assert result.exit_code == 0 and "0 stories ready" in result.output
    assert check(proj).composites == []
    assert [c.story.slug for c in check(proj, drafts=True).composites] == ["time-to-listen"]


def test_c13_approval_needs_reviewer(proj):
    edit(proj / STORY_FILE, "reviewer: Comms review panel\n", "")
    result = run_check(proj)
    assert result.exit_code == 1 and "C13 BLOCK" in result.output and "no reviewer" in result.output


def test_drafts_are_checked_with_drafts_flag(proj):
    bad = STORY.replace("status: approved", "status: draft").replace('{{ excerpt("S03-01") }}', "") \
        .replace("count=2", "count=0")
    (proj / "narratives/stories/a-draft.md").write_text(bad.replace('"S01-01"', '"S01-03"').replace('"S02-01"', '"S02-03"'))
    assert run_check(proj).exit_code == 0
    result = run_check(proj, "--drafts")
    assert result.exit_code == 1 and "[a-draft] C4" in result.output


def test_excerpt_text_is_never_template_code(proj):
    edit(proj / "narratives/excerpts/S01.yaml", "  - id: S01-01\n    codes: [turning-off-targets/time-to-listen, working-together/shared-records]\n    text: |\n",
         "  - id: S01-01\n    codes: [turning-off-targets/time-to-listen, working-together/shared-records]\n    text: |\n"
         "      {{ 7*7 }} {% raw %} <script>alert(1)</script> \ue0000\ue001\n")
    segment = check(proj).composites[0].excerpt_segments[0]
    assert segment.text.startswith("{{ 7*7 }} {% raw %} <script>alert(1)</script>")
    assert len(check(proj).composites[0].excerpt_segments) == 5


def test_compiled_story_cache_follows_edits(proj):
    first = check(proj).composites[0]
    assert any((proj / ".storygen-cache" / "templates").iterdir())      # compiled bodies were cached
    edit(proj / STORY_FILE, "for years.", "for a long time.")
    edit(proj / STORY_FILE, '{{ excerpt("S03-01") }}', '{{ excerpt("S03-02") }}')
    second = check(proj).composites[0]
    assert "for a long time." in [s.text for s in second.segments if s.kind == "bridge"][0]
    assert "S03-02" in [s.excerpt_id for s in second.excerpt_segments]
    assert first.segments != second.segments
