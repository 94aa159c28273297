"""Hostile and careless project files (issue 16, item 6 and the readers' share of 8): YAML
bombs, endless nesting, huge and odd files are refused with the file and line, quickly, and
nothing is written."""
from __future__ import annotations

import os
import time

import pytest
from hostilekit import Snapshot, built_template, cli, project, refused  # noqa: F401

from storygen.paths import MAX_TEXT_BYTES as MAX_FILE_BYTES

EXCERPTS = "narratives/excerpts/S01.yaml"

# 503 bytes that expand to 10**9 strings once aliases are followed.
BILLION_LAUGHS = "\n".join(
    ['source: S01', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f'{chr(98 + i)}: &{chr(98 + i)} [{",".join(["*" + chr(97 + i)] * 9)}]' for i in range(8)]
    + ['excerpts: *i']) + "\n"


def _refused_file(project, rel: str, content: str | bytes, code: int, *needles: str, seconds: float = 20):
    path = project / rel
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    snap = Snapshot(project)
    for command in (["check"], ["build", "--only", "site"]):
        started = time.monotonic()
        result = cli(project, *command)
        assert time.monotonic() - started < seconds, f"{command} took too long"
        refused(result, code, *needles)
    assert snap.unchanged()


def test_billion_laughs_refused_quickly(project):
    assert len(BILLION_LAUGHS) < 600
    # named on the line of the first anchored list the aliases repeat
    _refused_file(project, EXCERPTS, BILLION_LAUGHS, 2, f"{EXCERPTS}:2", "YAML alias", "anchors", "fix:", seconds=10)


def test_self_referencing_alias_refused(project):
    _refused_file(project, EXCERPTS, "source: S01\nexcerpts: &a [*a]\n", 2, f"{EXCERPTS}:2", "YAML alias", "fix:")


def test_alias_of_a_mapping_in_story_front_matter_refused(project):
    story = project / "narratives/stories/time-to-listen.md"
    text = story.read_text().replace("persona:\n", "persona: &p\n", 1).replace(
        "voice: first", "voice: first\nnarrator: *p", 1)
    _refused_file(project, "narratives/stories/time-to-listen.md", text, 2,
                  "time-to-listen.md:4", "YAML alias", "fix:")


def test_alias_of_a_list_in_codebook_refused(project):
    _refused_file(project, "narratives/codebook.yaml",
                  "t:\n  name: T\n  tags: &t [a, b]\n  more: *t\n", 2, "codebook.yaml:3", "YAML alias")


def test_text_starting_with_star_must_be_quoted_but_quoted_works(project):
    path = project / EXCERPTS
    text = path.read_text()
    path.write_text(text.replace("source: S01", 'source: S01\nnote: "*important* & urgent"', 1))
    result = cli(project, "check")
    # the quoted text is not an alias: whatever check says, it is not the alias refusal
    assert "anchors" not in result.output


def test_deep_nesting_yaml_refused(project):
    _refused_file(project, EXCERPTS, "source: S01\nexcerpts: " + "[" * 5000 + "]" * 5000 + "\n", 2,
                  EXCERPTS, "nesting depth", "fix:")


def test_deep_nesting_block_yaml_refused(project):
    body = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x: y\n"
    _refused_file(project, "narratives/sources.yaml", body, 2, "sources.yaml:41", "nested more than", "fix:")


def test_deep_nesting_toml_refused(project):
    _refused_file(project, "storygen.toml", "x = " + "[" * 3000 + "]" * 3000 + "\n", 2,
                  "storygen.toml", "nested too deeply", "fix:")


def test_huge_excerpts_file_refused_without_reading(project):
    path = project / EXCERPTS
    with open(path, "r+b") as handle:  # a sparse file: huge on paper, nothing to read
        handle.truncate(MAX_FILE_BYTES + 1)
    snap = Snapshot(project)
    for command in (["check"], ["build", "--only", "site"]):
        refused(cli(project, *command), 2, EXCERPTS, "50 MB", "fix:")
    assert snap.unchanged()


def test_named_pipe_does_not_hang(project):
    path = project / EXCERPTS
    path.unlink()
    os.mkfifo(path)
    snap = Snapshot(project)
    for command in (["check"], ["build", "--only", "site"]):
        refused(cli(project, *command), 2, EXCERPTS, "not a plain file", "fix:")
    assert snap.unchanged()


def test_binary_garbage_excerpts_refused(project):
    _refused_file(project, EXCERPTS, b"source: S01\nexcerpts:\n  - \xff\xfe\x00\x01\n", 2,
                  f"{EXCERPTS}:3", "not UTF-8", "fix:")


def test_toml_binary_garbage_refused(project):
    _refused_file(project, "storygen.toml", b'[site]\ntitle = "\xff"\n', 2, "storygen.toml:2", "UTF-8", "fix:")


def test_deep_nesting_video_theme_refused(project):
    """Read by `check` (the story has video among its media); a site-only build never reads it."""
    (project / "templates" / "video").mkdir(parents=True, exist_ok=True)
    (project / "templates/video/theme.toml").write_text("fps = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n")
    snap = Snapshot(project)
    refused(cli(project, "check"), 2, "templates/video/theme.toml", "nested too deeply", "fix:")
    assert snap.unchanged()


@pytest.mark.parametrize("content, needle", [
    ("source: S01\nexcerpts:\n  - {id: S01-01, codes: [time-to-listen], text: ok}\n  - [\n", "YAML syntax error"),
    ("source: S01\n\tbad: tab\n", "YAML syntax error"),
    ("? [a, b]\n: c\n", "plain text"),
    ("source: S01\nsource: S02\n", "appears twice"),
])
def test_malformed_yaml_named_with_line(project, content, needle):
    _refused_file(project, EXCERPTS, content, 2, EXCERPTS + ":", needle)
