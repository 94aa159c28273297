"""Hostile and careless output settings (issue 16, items 1, 2 and 9): no setting, however
mistyped, may replace a file storygen did not write, and a typo must not publish an empty site."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostilekit import Snapshot, built_template, cli, project, refused, set_option  # noqa: F401

from storygen.outdir import MARKER


# --- item 1: the output folder can never be the project's own material -------------------

@pytest.mark.parametrize("out, problem", [
    ("narratives", "is the project's narratives/ folder"),
    ("narratives/private", "lies inside the project's narratives/ folder"),
    ("templates", "is the project's templates/ folder"),
    ("assets", "is the project's assets/ folder"),
    ("assets/new-folder", "lies inside the project's assets/ folder"),
    (".", "is or contains the project folder"),
    ("..", "is or contains the project folder"),
    ("/", "is the root of the file system"),
    (".storygen-cache", "storygen's cache folder"),
])
def test_out_refuses_project_material(project, out, problem):
    (project / "templates").mkdir(exist_ok=True)
    snap = Snapshot(project)
    result = cli(project, "build", "--only", "site", "--out", out)
    refused(result, 2, f"--out {out!r}", problem, "fix:")
    assert snap.unchanged()


def test_configured_output_narratives_keeps_private_files(project):
    """The issue's case: [build] output = "narratives" replaced narratives/private/."""
    private = project / "narratives" / "private"
    private.mkdir()
    (private / "pseudonyms.yaml").write_text("Sarah Jones: Robin\n")
    (private / "deny.yaml").write_text("- Leeds\n")
    line = set_option(project, "build", 'output = "narratives"')
    snap = Snapshot(project)
    result = cli(project, "build", "--only", "site")
    refused(result, 2, f"storygen.toml:{line}", "`[build] output` 'narratives' is the project's narratives/ folder")
    assert snap.unchanged()
    assert (private / "deny.yaml").read_text() == "- Leeds\n"


def test_configured_output_dot_refused(project):
    line = set_option(project, "build", 'output = "."')
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site"), 2, f"storygen.toml:{line}", "is or contains the project folder")
    assert snap.unchanged()


def test_git_folder_refused(project):
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site", "--out", ".git"), 2, "the project's .git/ folder")
    assert snap.unchanged()


def test_home_folder_refused(project, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    snap, home_snap = Snapshot(project), Snapshot(home)
    refused(cli(project, "build", "--only", "site", "--out", str(home)), 2, "your home folder")
    refused(cli(project, "build", "--only", "site", "--out", str(tmp_path)), 2, "your home folder")
    assert snap.unchanged() and home_snap.unchanged()


def test_folder_with_other_files_refused(project, tmp_path):
    mine = tmp_path / "my-website"
    (mine / "site").mkdir(parents=True)
    (mine / "site" / "index.html").write_text("<p>my own page</p>")
    (mine / "notes.txt").write_text("do not delete")
    snap, mine_snap = Snapshot(project), Snapshot(mine)
    result = cli(project, "build", "--only", "site", "--out", str(mine))
    refused(result, 2, "already holds files storygen did not write", "notes.txt", "fix:")
    assert snap.unchanged() and mine_snap.unchanged()


def test_unmarked_published_site_folder_refused(project):
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site", "--out", "build/site"), 2, "storygen did not write")
    assert snap.unchanged()


def test_symlinked_output_into_narratives_refused(project):
    os.symlink("narratives", project / "out-link")
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site", "--out", "out-link"), 2, "narratives/ folder")
    assert snap.unchanged()


def test_output_that_is_a_file_refused(project):
    (project / "notes.md").write_text("mine")
    line = set_option(project, "build", 'output = "notes.md"')
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site"), 2, f"storygen.toml:{line}", "is a file, not a folder")
    assert snap.unchanged()


def test_build_is_a_plain_file(project, tmp_path):
    """Issue item 8: `build` being a plain file gave a traceback."""
    import shutil

    shutil.rmtree(project / "build")
    (project / "build").write_text("not a folder")
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site"), 2, "'build' is a file, not a folder")
    assert snap.unchanged()


def test_new_and_empty_folders_are_used_and_marked(project, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (empty, tmp_path / "new" / "deeper"):
        result = cli(project, "build", "--only", "site", "--out", str(folder))
        assert result.exit_code == 0, result.output
        assert (folder / MARKER).is_file() and (folder / "site" / "index.html").is_file()
        assert f"the build output goes to {folder}" in result.output


def test_output_outside_project_is_announced_and_reused(project, tmp_path):
    set_option(project, "build", 'output = "../elsewhere"')
    first = cli(project, "build", "--only", "site")
    assert first.exit_code == 0, first.output
    target = (project / ".." / "elsewhere").resolve()
    assert f"note: the build output goes to {target}, outside the project" in first.output
    (target / "site" / "stale.html").write_text("old")
    again = cli(project, "build", "--only", "site", "--force")
    assert again.exit_code == 0, again.output
    assert not (target / "site" / "stale.html").exists()     # storygen's own folder is replaced


def test_outside_folder_not_made_by_storygen_is_kept(project, tmp_path):
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "thesis.docx").write_bytes(b"years of work")
    line = set_option(project, "build", 'output = "../elsewhere"')
    snap, other = Snapshot(project), Snapshot(elsewhere)
    refused(cli(project, "build", "--only", "site"), 2, f"storygen.toml:{line}", "thesis.docx")
    assert snap.unchanged() and other.unchanged()


def test_build_folder_from_before_the_marker_is_adopted(project):
    (project / "build" / MARKER).unlink()
    result = cli(project, "build", "--only", "site", "--force")
    assert result.exit_code == 0, result.output
    assert (project / "build" / MARKER).is_file()


def test_failed_check_creates_no_output_folder(project, tmp_path):
    (project / "narratives" / "codebook.yaml").write_text("bad: [")
    result = cli(project, "build", "--only", "site", "--out", str(tmp_path / "fresh"))
    refused(result, 2, "narratives/codebook.yaml:2", "YAML syntax error")
    assert not (tmp_path / "fresh").exists()


# --- item 2: a story that does not exist or is not published ---------------------------------

def test_build_unknown_story_keeps_site(project):
    snap = Snapshot(project)
    result = cli(project, "build", "--only", "site", "--story", "no-such-story")
    refused(result, 2, "there is no story `no-such-story`")
    assert "built 0" not in result.output
    assert snap.unchanged()


def test_build_misspelt_story_suggests(project):
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site", "--story", "time-to-lisen"), 2,
            "there is no story `time-to-lisen`", "did you mean `time-to-listen`?")
    assert snap.unchanged()


def test_check_unknown_story(project):
    snap = Snapshot(project)
    refused(cli(project, "check", "--story", "no-such-story"), 2, "there is no story `no-such-story`")
    assert snap.unchanged()


def test_build_draft_story_without_drafts(project):
    story = project / "narratives" / "stories" / "time-to-listen.md"
    story.write_text(story.read_text().replace("status: approved", "status: draft"))
    snap = Snapshot(project)
    refused(cli(project, "build", "--only", "site", "--story", "time-to-listen"), 2,
            "narratives/stories/time-to-listen.md", "is draft, so it is not published", "--drafts")
    assert snap.unchanged()


# --- output files: reports and exports ------------------------------------------------------

@pytest.mark.parametrize("target, problem", [
    ("narratives/sources.yaml", "lies inside the project's narratives/ folder"),
    ("storygen.toml", "is the project's settings file"),
    ("build/site/report.md", "lies inside the published site/ folder"),
    ("no-such-folder/report.md", "does not exist"),
    ("narratives", "is a folder"),
])
def test_privacy_report_target_checked(project, target, problem):
    """Issue item 8: `check --privacy-report` into a missing folder gave a traceback."""
    snap = Snapshot(project)
    refused(cli(project, "check", "--privacy-report", target), 2, problem)
    assert snap.unchanged()


def test_privacy_report_written_where_allowed(project, tmp_path):
    result = cli(project, "check", "--privacy-report", str(tmp_path / "report.md"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.md").read_text().strip()


def test_export_refi_cannot_overwrite_project_files(project):
    snap = Snapshot(project)
    refused(cli(project, "export", "refi", "narratives/codebook.yaml"), 2, "narratives/ folder")
    assert snap.unchanged()


def test_relative_out_from_another_folder(project, tmp_path):
    """--out is relative to where the command runs, [build] output to the project."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    snap = Snapshot(project)
    result = cli(project, "build", "--project", str(project), "--only", "site", "--out", "narratives", cwd=elsewhere)
    assert result.exit_code == 0, result.output      # cwd/narratives: a new folder, not the project's
    assert (elsewhere / "narratives" / MARKER).is_file()
    assert snap.unchanged()
    refused(cli(project, "build", "--project", str(project), "--only", "site",
                "--out", str(project / "narratives"), cwd=elsewhere), 2, "narratives/ folder")
    assert snap.unchanged()
    assert Path(elsewhere / "narratives").is_dir()
