"""Hostile and careless project files (issue 16, items 6, 9, 10 and 11): YAML bombs, huge and
strange files, links and paths out of the project. Each case is a real file on disk run through
the real CLI: exit code, a message naming the file (and line), no traceback, and the project and
its previous build/ byte-identical afterwards."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hostilekit import Snapshot, built_template, cli, project, refused, set_option  # noqa: F401

EXCERPTS = "narratives/excerpts/S01.yaml"
STORY = "narratives/stories/time-to-listen.md"
ALIAS = "anchors (`&name`) and aliases (`*name`) are not allowed"


def _refused(project: Path, *needles: str, commands=(("check",), ("build", "--only", "site")),
             code: int = 2) -> list:
    snap = Snapshot(project)
    results = []
    for command in commands:
        result = cli(project, *command)
        refused(result, code, *needles)
        results.append(result)
    assert snap.unchanged()
    return results


# --- item 6: YAML that expands or nests without end ----------------------------------------------

LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9 if prev else ['lol'] * 9)}]\n"
    for prev, name in zip([""] + list("abcdefgh"), "abcdefghi"))


def test_billion_laughs_refused_quickly(project):
    """503 bytes that expand to 9**9 strings took every build to gigabytes of memory."""
    (project / EXCERPTS).write_text(LAUGHS)
    assert len(LAUGHS.encode()) < 600
    start = time.perf_counter()
    _refused(project, f"{EXCERPTS}:1", "YAML alias", ALIAS)
    assert time.perf_counter() - start < 30        # two commands; it used to take minutes, then fail


def test_self_referencing_alias_refused(project):
    """`excerpts: &a [*a]` ended in RecursionError."""
    (project / EXCERPTS).write_text("source: S01\nexcerpts: &a [*a]\n")
    _refused(project, f"{EXCERPTS}:2", "YAML alias", ALIAS)


@pytest.mark.parametrize("file, text, line", [
    ("narratives/codebook.yaml", "base: &t {name: A, colour: '#112233', codes: {}}\nother: *t\n", 1),
    ("narratives/sources.yaml", "S01: &s {role: staff, consent: {composite: yes, web: yes}}\nS02: *s\n", 1),
])
def test_aliases_refused_in_every_yaml_file(project, file, text, line):
    (project / file).write_text(text)
    _refused(project, f"{file}:{line}", ALIAS)


def test_alias_in_front_matter_names_the_story_line(project):
    path = project / STORY
    text = path.read_text().replace("themes: [turning-off-targets, working-together]",
                                    "themes: &t [turning-off-targets, working-together]\nalso: *t")
    path.write_text(text)
    line = text.split("\n").index("themes: &t [turning-off-targets, working-together]") + 1
    _refused(project, f"{STORY}:{line}", ALIAS)


def test_repeated_plain_values_are_fine(project):
    """An anchored plain value repeated costs nothing; only lists and mappings are refused."""
    path = project / EXCERPTS
    path.write_text(path.read_text().replace("source: S01", "source: &s S01", 1))
    result = cli(project, "check")
    assert result.exit_code == 0, result.output


def test_deep_flow_nesting_refused(project):
    (project / EXCERPTS).write_text("source: S01\nexcerpts: " + "[" * 5000 + "]" * 5000 + "\n")
    _refused(project, f"{EXCERPTS}:2", "nesting depth")


def test_moderate_nesting_past_the_limit_refused(project):
    (project / EXCERPTS).write_text("source: S01\nexcerpts: " + "[" * 100 + "]" * 100 + "\n")
    _refused(project, f"{EXCERPTS}:2", "nested more than 40 levels")


def test_deep_block_nesting_refused(project):
    (project / EXCERPTS).write_text("source: S01\nexcerpts:\n" + "".join("  " * i + "-\n" for i in range(3000)))
    _refused(project, EXCERPTS, "nest")


def test_huge_file_refused_without_reading_it(project):
    """A 60 MB excerpts file (sparse: no disk used) is refused by its size."""
    huge = project / "narratives/excerpts/S99.yaml"
    with open(huge, "wb") as fh:
        fh.truncate(60 * 1024 * 1024)
    _refused(project, "narratives/excerpts/S99.yaml", "60 MB", "up to 50 MB", "split it")


def test_named_pipe_does_not_hang(project):
    os.mkfifo(project / "narratives/excerpts/S99.yaml")
    _refused(project, "narratives/excerpts/S99.yaml", "not a plain file")


@pytest.mark.parametrize("text, needle", [
    ("source: S01\nexcerpts:\n\t- id: S01-01\n", "YAML syntax error"),
    ("source: S01\nsource: S02\n", "`source` appears twice"),
    ("source: S01\nexcerpts: [\n", "YAML syntax error"),
    ("source: S01\nexcerpts:\n  - id: x\x00y\n", "S01.yaml:3: YAML syntax error: character"),
    ("? [a, b]\n: c\n", "a key must be plain text"),
    ("- - - - 1\n", "excerpt"),
])
def test_malformed_yaml_names_file_and_line(project, text, needle):
    (project / EXCERPTS).write_text(text)
    _refused(project, EXCERPTS, needle)


def test_yaml_not_utf8(project):
    (project / EXCERPTS).write_bytes("source: S01\nexcerpts:\n  - text: caf\xe9\n".encode("latin-1"))
    _refused(project, f"{EXCERPTS}:3", "not UTF-8", "Save As")


# --- item 10: links out of the project --------------------------------------------------------

SECRET = "root:TOP-SECRET-HASH:19000:0:99999:7:::"


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "outside" / "shadow"
    path.parent.mkdir()
    path.write_text(SECRET + "\n")
    return path


@pytest.mark.parametrize("file", [
    "narratives/excerpts/S99.yaml", "narratives/excerpts/S01.yaml", "narratives/sources.yaml",
    "narratives/codebook.yaml", STORY, "narratives/stories/new-story.md",
])
def test_link_out_of_the_project_refused_without_quoting_it(project, secret, file):
    path = project / file
    if path.exists():
        path.unlink()
    path.symlink_to(secret)
    for result in _refused(project, file, "a link to a file outside the project"):
        assert "TOP-SECRET" not in result.output


def test_linked_folder_of_excerpts_out_of_the_project_is_refused_unread(project, secret):
    """A linked folder is named and refused (a search skips it, so its excerpts would quietly go
    missing); nothing in it is opened, so a broken file out there is never quoted."""
    (secret.parent / "S99.yaml").write_text(f"# {SECRET}\nsource: S01\nexcerpts: [\n")
    (project / "narratives/excerpts/shared").symlink_to(secret.parent, target_is_directory=True)
    for command in ("check", "build"):
        result = cli(project, command)
        refused(result, 2, "narratives/excerpts/shared", "a link to a folder outside the project")
        assert "TOP-SECRET" not in result.output


def test_linked_folder_inside_the_project_is_named_not_skipped(project):
    (project / "narratives/more").mkdir()
    (project / "narratives/excerpts/more").symlink_to("../more", target_is_directory=True)
    refused(cli(project, "check"), 2, "narratives/excerpts/more", "a link to a folder elsewhere in the project",
            "move or copy the files")


@pytest.mark.parametrize("target, needle", [
    ("no-such-file.yaml", "broken or looping link"),
    ("S99.yaml", "broken or looping link"),              # links to itself
])
def test_broken_and_looping_links_refused(project, target, needle):
    (project / "narratives/excerpts/S99.yaml").symlink_to(target)
    _refused(project, "narratives/excerpts/S99.yaml", needle)


def test_link_inside_the_project_is_followed(project):
    """A link that stays inside the project is the project's own file: read as usual."""
    real = project / "narratives/S01-kept.yaml.txt"
    (project / EXCERPTS).rename(real)
    (project / EXCERPTS).symlink_to("../S01-kept.yaml.txt")
    result = cli(project, "check")
    assert result.exit_code == 0, result.output


def test_video_theme_link_out_refused(project, secret):
    (project / "templates/video").mkdir(parents=True)
    (project / "templates/video/theme.toml").symlink_to(secret)
    results = _refused(project, "templates/video/theme.toml", "outside the project",
                       commands=(("build", "--only", "video"),))
    assert "TOP-SECRET" not in results[0].output


# --- item 9: every file a setting names stays inside the project ------------------------------

@pytest.mark.parametrize("table, setting, needle", [
    ("video", 'music = "/etc/passwd"', "`video.music` is '/etc/passwd', which lies outside the project's assets/"),
    ("video", 'music = "../storygen.toml"', "`video.music` is '../storygen.toml'"),
    ("video", 'music = "music/../../../etc/passwd"', "lies outside the project's assets/ folder"),
    ("video", 'music = "~/bed.mp3"', None),
    ("video", 'voice_model = "/opt/voices/en.onnx"', "`video.voice_model` is '/opt/voices/en.onnx'"),
    ("video", 'voice_model = "../voices/en.onnx"', "lies outside the project folder"),
    ("report", 'logo = "/etc/passwd"', "`report.logo` is '/etc/passwd'"),
])
def test_setting_paths_confined(project, table, setting, needle):
    line = set_option(project, table, setting)
    if needle is None:              # `~` is not expanded: a folder named ~ under assets/, missing
        result = cli(project, "check")
        assert "Traceback" not in result.output and "/root" not in result.output
        return
    if table == "report":           # a logo needs alt text; inserted above it, so it moves down a line
        set_option(project, table, 'logo_alt = "Our logo"')
        line += 1
    _refused(project, f"storygen.toml:{line}", needle, "fix: copy the file into")


def test_music_linked_out_of_assets_refused(project, secret):
    (project / "assets/music").mkdir()
    (project / "assets/music/bed.mp3").symlink_to(secret)
    line = set_option(project, "video", 'music = "music/bed.mp3"')
    for result in _refused(project, f"storygen.toml:{line}", "`video.music`", "outside the project's assets/"):
        assert "TOP-SECRET" not in result.output


@pytest.mark.parametrize("font", ["/etc/passwd", "../x.ttf", "assets/../../x.ttf"])
def test_video_theme_font_confined(project, font):
    (project / "templates/video").mkdir(parents=True)
    (project / "templates/video/theme.toml").write_text(f'font = "{font}"\n')
    _refused(project, "templates/video/theme.toml", f"theme key `font` = '{font}' lies outside the project",
             commands=(("build", "--only", "video"),))


def test_story_image_outside_assets_refused(project, secret):
    path = project / STORY
    text = path.read_text().replace("media: [site, video]",
                                    f"media: [site, video]\nimages:\n  - image: {secret}\n    alt: A view")
    path.write_text(text)
    for result in _refused(project, STORY, "points outside the project's assets/ folder"):
        assert "TOP-SECRET" not in result.output


# --- item 11: names are matched whole ----------------------------------------------------------

@pytest.mark.parametrize("name", ["x\n.md", "Time-To-Listen.md", "two words.md", "-x-.md", "x--y.md"])
def test_story_file_names_matched_whole(project, name):
    (project / "narratives/stories" / name).write_text((project / STORY).read_text())
    _refused(project, "must be lower-case words joined by hyphens")
    assert not any("\n" in p.name for p in (project / "build").rglob("*"))


@pytest.mark.parametrize("written", ['"S01-01\\nX"', '"S01/../01"', '"../S01-01"', '"S01 01"'])
def test_excerpt_ids_matched_whole(project, written):
    path = project / EXCERPTS
    path.write_text(path.read_text().replace("  - id: S01-01", f"  - id: {written}", 1))
    _refused(project, EXCERPTS)
