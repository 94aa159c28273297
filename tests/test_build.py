"""End-to-end builds of small real projects: outputs, privacy of provenance, atomic publish."""
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from projectkit import edit, write_project
from storygen.cli import main

pytestmark = pytest.mark.slow


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("b") / "proj")
    result = run("build", "--project", root, "--quality", "draft")
    assert result.exit_code == 0, result.output
    return root


def test_build_writes_site_video_and_private_provenance(built):
    out = built / "build"
    assert (out / "site" / "index.html").is_file()
    assert (out / "site" / "time-to-listen" / "index.html").is_file() or \
        (out / "site" / "time-to-listen.html").is_file() or any((out / "site").rglob("time-to-listen*"))
    assert (out / "video" / "time-to-listen-16x9.mp4").stat().st_size > 1000
    assert (out / "video" / "time-to-listen-16x9.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    provenance = json.loads((out / "private" / "provenance.json").read_text())
    segments = provenance["time-to-listen"]["segments"]
    assert {s["source"] for s in segments if s["kind"] == "excerpt"} == {"S01", "S02", "S03"}
    assert not list((out / "site").rglob("provenance*"))
    # No staging or trash folders left behind
    assert not [p.name for p in built.iterdir() if p.name.startswith(".build-")]


def test_no_private_value_in_any_published_file(built):
    """Source ids and excerpt ids are provenance: they must appear in no published byte."""
    secrets = [f"S0{i}".encode() for i in range(1, 8)] + [b"S01-01", b"S02-01", b"S03-01"]
    for part in ("site", "video"):
        for path in (built / "build" / part).rglob("*"):
            assert not any(s in path.name.encode() for s in secrets), path
            if path.is_file():
                data = path.read_bytes()
                for secret in secrets:
                    # a bare id like S01 may occur inside binary media by chance; text files must be clean
                    if path.suffix in {".html", ".xml", ".json", ".vtt", ".srt", ".txt", ".css", ".js"}:
                        assert secret not in data, (path, secret)


def test_failed_check_leaves_previous_build_untouched(built):
    before = tree_digest(built / "build")
    story = built / "narratives/stories/time-to-listen.md"
    original = story.read_text()
    try:
        edit(story, '{{ excerpt("S03-01") }}', '{{ excerpt("S04-01") }}')   # S04 has no video consent
        result = run("build", "--project", built, "--quality", "draft")
        assert result.exit_code == 1 and "C12" in result.output
        assert tree_digest(built / "build") == before
    finally:
        story.write_text(original)


def test_failed_render_leaves_previous_build_untouched(built):
    before = tree_digest(built / "build")
    story = built / "narratives/stories/time-to-listen.md"
    original = story.read_text()
    try:
        edit(story, "media: [site, video]", "media: [site, video]\nimages:\n  - image: missing.jpg\n    alt: A table.")
        result = run("build", "--project", built, "--quality", "draft")
        assert result.exit_code == 2 and "missing.jpg" in result.output
        assert tree_digest(built / "build") == before
        assert not [p.name for p in built.iterdir() if p.name.startswith(".build-")]
    finally:
        story.write_text(original)


def test_bad_input_leaves_previous_build_untouched(built):
    before = tree_digest(built / "build")
    codebook = built / "narratives/codebook.yaml"
    original = codebook.read_text()
    try:
        codebook.write_text(original + "broken: [\n")
        result = run("build", "--project", built)
        assert result.exit_code == 2 and "codebook.yaml:" in result.output
        assert tree_digest(built / "build") == before
    finally:
        codebook.write_text(original)


def test_only_site_keeps_videos(built, tmp_path):
    video_before = tree_digest(built / "build" / "video")
    result = run("build", "--project", built, "--only", "site")
    assert result.exit_code == 0, result.output
    assert tree_digest(built / "build" / "video") == video_before


def test_site_build_is_reproducible(built, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        assert run("build", "--project", built, "--only", "site", "--out", out).exit_code == 0
    assert tree_digest(first / "site") == tree_digest(second / "site")


def test_id_printed_by_a_template_override_stops_the_build(built):
    """With the guard on, the output scan is what finds a provenance id a careless override prints."""
    before = tree_digest(built / "build")
    override = built / "templates" / "about.html"
    override.parent.mkdir(exist_ok=True)
    override.write_text('{% extends "!default/about.html" %}{% block content %}S02-01 {{ super() }}{% endblock %}',
                        encoding="utf-8")
    try:
        result = run("build", "--project", built, "--only", "site")
        assert result.exit_code == 1, result.output
        assert "R5" in result.output and "about/index.html" in result.output and "S02-01" in result.output
        assert tree_digest(built / "build") == before
    finally:
        override.unlink()
