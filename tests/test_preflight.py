"""`storygen check` reports every problem `storygen build` would stop on while rendering —
the video theme, pictures, per-format length caps, the piper voice model — with the file and
the fix, and `build` stops on the same before it renders or writes anything."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from PIL import Image

from projectkit import edit, write_project
from storygen.cli import main

IMAGES = "media: [site, video]\nimages:\n  - image: photos/table.jpg\n    alt: A kitchen table.\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / "cache"))
    root = write_project(tmp_path / "proj")
    (root / "assets" / "photos").mkdir()
    Image.new("RGB", (1920, 1280), (40, 90, 120)).save(root / "assets" / "photos" / "table.jpg")
    edit(root / "narratives" / "stories" / "time-to-listen.md", "media: [site, video]\n", IMAGES)
    return root


def theme(root, text: str) -> None:
    (root / "templates" / "video").mkdir(parents=True, exist_ok=True)
    (root / "templates" / "video" / "theme.toml").write_text(text, encoding="utf-8")


def settings(root, text: str) -> None:
    with (root / "storygen.toml").open("a", encoding="utf-8") as fh:
        fh.write(text)


def expect(root, *needles) -> str:
    """check exits 2 naming the problem; build stops with the same before writing anything."""
    checked = run("check", "--project", root)
    assert checked.exit_code == 2, checked.output
    for needle in needles:
        assert needle in checked.output, (needle, checked.output)
    built = run("build", "--project", root)
    assert built.exit_code == 2, built.output
    assert all(needle in built.output for needle in needles)
    assert not (root / "build" / "video").exists() and not (root / "build" / "site").exists()
    return checked.output


def test_the_project_passes_as_written(project):
    result = run("check", "--project", project)
    assert result.exit_code == 0, result.output
    assert "ok: 1 story ready to publish" in result.output


def test_video_theme_that_is_not_toml(project):
    theme(project, 'background = "#102030\n')
    expect(project, "templates/video/theme.toml", "cannot read the video theme", "fix the TOML")


def test_video_theme_with_an_unknown_key(project):
    theme(project, 'backgorund = "#102030"\n')
    expect(project, "unknown theme key `backgorund`", "known keys:")


def test_video_theme_with_a_colour_that_is_none(project):
    theme(project, 'accent = "sunshine"\n')
    expect(project, "theme colour `accent` = 'sunshine' is not a colour", "#rrggbb")


def test_video_theme_with_a_font_that_will_not_load(project):
    (project / "fonts").mkdir()
    (project / "fonts" / "Brand.ttf").write_bytes(b"not a font")
    theme(project, 'font = "fonts/Brand.ttf"\n')
    expect(project, "Brand.ttf", "cannot load font")


def test_missing_picture(project):
    (project / "assets" / "photos" / "table.jpg").unlink()
    output = expect(project, "photos/table.jpg", "not found")
    assert "narratives/stories/time-to-listen.md" in output
    # the site and the video both need the picture; the fault is the project's, said once
    assert output.count("not found") == 1, output
    assert str(project) not in output            # project-relative, as every other error


def test_picture_that_is_not_a_picture(project):
    (project / "assets" / "photos" / "table.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    expect(project, "table.jpg", "cannot")


def test_picture_too_small_for_the_video_frame(project):
    Image.new("RGB", (640, 360), (40, 90, 120)).save(project / "assets" / "photos" / "table.jpg")
    expect(project, "table.jpg", "smaller than the 1920×1080 video frame")


def test_story_longer_than_its_formats_cap(project):
    settings(project, '\n[video]\ncaps = { "16:9" = 5 }\n')
    expect(project, "time-to-listen", "over the 5 s cap for 16:9 videos", "video.caps")


def test_piper_voice_model_that_is_not_there(project):
    settings(project, '\n[video]\nvoice = "piper"\nvoice_model = "voices/en_GB.onnx"\n')
    expect(project, "en_GB.onnx", "piper voice model not found", "video.voice_model")


def test_every_problem_is_listed_not_just_the_first(project):
    theme(project, 'accent = "sunshine"\n')
    (project / "assets" / "photos" / "table.jpg").unlink()
    output = run("check", "--project", project).output
    assert "is not a colour" in output and "photos/table.jpg" in output


def test_a_site_only_build_does_not_depend_on_the_video_theme(project, tmp_path):
    theme(project, 'accent = "sunshine"\n')
    result = run("build", "--project", project, "--only", "site")
    assert result.exit_code == 0, result.output


def test_template_override_with_a_syntax_error(project):
    assert run("check", "--project", project).exit_code == 0        # templates compiled and remembered
    override = project / "templates" / "story.html"
    override.parent.mkdir(exist_ok=True)
    override.write_text('{% extends "!default/story.html" %}\n{% block notes %}{{ super() }\n{% endblock %}\n',
                        encoding="utf-8")
    expect(project, "story.html:2", "template syntax error", "fix the Jinja2 syntax")
