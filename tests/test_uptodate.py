"""The no-change rebuild (storygen.uptodate): skipped only when nothing that reaches the output changed."""
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from projectkit import edit, write_project
from storygen.cli import main

UP_TO_DATE = "is already up to date"


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env=env)


def build(root, *extra, env=None):
    result = run("build", "--project", root, "--only", "site", *extra, env=env)
    assert result.exit_code == 0, result.output
    return result


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("u")
    root = write_project(base / "proj")
    # A warning the skipped build must print again (R8: an absolute date).
    edit(root / "narratives/stories/time-to-listen.md", "for years.", "since 3 March 2024.")
    (root / "templates").mkdir()
    (root / "assets" / "note.txt").write_text("an asset\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORYGEN_CACHE_DIR", str(base / "cache"))
        first = build(root)
        assert UP_TO_DATE not in first.output
        yield root, first.output


@pytest.fixture
def project(built, monkeypatch, tmp_path):
    """The built project; every file a test changes is put back afterwards."""
    root, _ = built
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(root.parent / "cache"))
    saved = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and "build" not in p.parts}
    yield root
    for p in root.rglob("*"):
        if p.is_file() and "build" not in p.parts and p not in saved:
            p.unlink()
    for p, data in saved.items():
        p.write_bytes(data)
    build(root)                      # leave build/ matching the inputs for the next test


def test_no_change_skips_and_leaves_build_byte_identical(built, project):
    _, first_output = built
    before = tree_digest(project / "build")
    again = build(project)
    assert UP_TO_DATE in again.output and "built 1 story" not in again.output
    assert tree_digest(project / "build") == before
    # The previous build's warnings are printed again.
    warnings = [line for line in first_output.splitlines() if "R8" in line]
    assert warnings and all(line in again.output for line in warnings)


def test_force_rebuilds(project):
    build(project)
    assert UP_TO_DATE not in build(project, "--force").output


CHANGES = {
    "excerpt": lambda root: edit(root / "narratives/excerpts/S02.yaml", "      We", "      Then we"),
    "private deny-list": lambda root: (root / "narratives/private").mkdir(exist_ok=True) or
    (root / "narratives/private/deny.yaml").write_text("- Quexley Ward\n"),
    "template": lambda root: (root / "templates/base.html").write_text(
        '{% extends "!theme/base.html" %}\n'),
    "asset": lambda root: (root / "assets/note.txt").write_text("a changed asset\n"),
    "config": lambda root: edit(root / "storygen.toml", 'title = "Test stories"', 'title = "Our stories"'),
    "new file": lambda root: (root / "narratives/excerpts/S09.yaml").write_text("source: S09\nexcerpts: []\n"),
    "story": lambda root: edit(root / "narratives/stories/time-to-listen.md", "Robin has", "Robin had"),
}


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_any_input_change_rebuilds(project, kind):
    CHANGES[kind](project)
    result = run("build", "--project", project, "--only", "site")
    assert UP_TO_DATE not in result.output, kind
    assert "built 1 story" in result.output or result.exit_code != 0


@pytest.mark.parametrize("option", [["--drafts"], ["--story", "time-to-listen"], ["--quality", "draft"],
                                    ["--no-burn-captions"]])
def test_a_different_option_rebuilds(project, option):
    assert UP_TO_DATE not in build(project, *option).output


def test_environment_change_rebuilds(project):
    assert UP_TO_DATE not in build(project, env={"SOURCE_DATE_EPOCH": "1700000000"}).output
    assert UP_TO_DATE in build(project, env={"SOURCE_DATE_EPOCH": "1700000000"}).output
    assert UP_TO_DATE not in build(project, env={"STORYGEN_JOBS": "1"}).output


@pytest.mark.parametrize("damage", ["delete a page", "alter a page", "delete the site", "delete the stamp",
                                    "delete the cache"])
def test_changed_output_rebuilds(project, damage):
    site = project / "build" / "site"
    page = site / "index.html"
    if damage == "delete a page":
        page.unlink()
    elif damage == "alter a page":
        page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>added</p></body>"))
    elif damage == "delete the site":
        import shutil
        shutil.rmtree(site)
    elif damage == "delete the stamp":
        (project / "build" / "private" / "build-stamp.json").unlink()
    else:
        import shutil
        # The previous publish's old output may still be being deleted under cache/trash/.
        shutil.rmtree(project.parent / "cache", ignore_errors=True)
        assert not (project.parent / "cache" / "uptodate").exists()
    result = build(project)
    assert UP_TO_DATE not in result.output
    assert page.is_file() and b"<p>added</p>" not in page.read_bytes()


def test_stamp_outside_the_published_site(project):
    assert (project / "build" / "private" / "build-stamp.json").is_file()
    assert not [p for p in (project / "build" / "site").rglob("*stamp*")]
    # The cache copy holds hashes only, never the warnings' quoted text.
    cached = list((project.parent / "cache" / "uptodate").glob("*.json"))
    assert cached and all("March" not in p.read_text() for p in cached)


def test_check_is_unaffected(project):
    result = run("check", "--project", project)
    assert result.exit_code == 0 and UP_TO_DATE not in result.output


def test_the_other_output_folder_is_not_an_input(project):
    """Building into --out elsewhere in the project does not read build/ as input, and vice versa."""
    preview = project / "preview"
    assert UP_TO_DATE not in build(project, "--out", preview).output
    assert UP_TO_DATE not in build(project, "--force").output         # build/ changes
    assert UP_TO_DATE in build(project, "--out", preview).output
    assert UP_TO_DATE in build(project).output


def test_a_file_in_a_symlinked_folder_is_an_input(project, tmp_path):
    shared = tmp_path / "shared-assets"
    shared.mkdir()
    (shared / "logo.txt").write_text("one\n")
    (project / "assets" / "shared").symlink_to(shared, target_is_directory=True)
    (project / "assets" / "loop").symlink_to(project / "assets", target_is_directory=True)   # a loop ends
    try:
        assert UP_TO_DATE not in build(project).output
        assert UP_TO_DATE in build(project).output
        (shared / "logo.txt").write_text("two\n")
        assert UP_TO_DATE not in build(project).output
    finally:
        (project / "assets" / "shared").unlink()
        (project / "assets" / "loop").unlink()


def test_a_font_named_by_the_video_theme_is_an_input(project, tmp_path):
    # Inside the project: a theme may not name a font outside it (issue 16, item 9).
    font = project / "templates" / "video" / "fonts" / "Brand.ttf"
    font.parent.mkdir(parents=True)
    font.write_bytes(b"first")
    (project / "templates" / "video" / "theme.toml").write_text('font = "templates/video/fonts/Brand.ttf"\n')
    build(project, "--force")
    assert UP_TO_DATE in build(project).output
    font.write_bytes(b"second")
    assert UP_TO_DATE not in build(project).output
