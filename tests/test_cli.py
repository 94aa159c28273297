"""The command line: help for everyone, exit codes 0/1/2, init, draft, tables and audit."""
import subprocess
import sys

import pytest
from click.testing import CliRunner

from projectkit import excerpts_file, write_project
from storygen.cli import main
from storygen.project import load_project

COMMANDS = [[], ["init"], ["check"], ["build"], ["import"], ["export"], ["export", "refi"], ["draft"],
            ["stories"], ["tags"], ["audit"], ["serve"]]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "storygen")
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_usage_error_is_exit_2():
    assert run("build", "--only", "pdf").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_console_script_runs_as_module(tmp_path):
    root = write_project(tmp_path / "p", privacy=False)
    done = subprocess.run([sys.executable, "-m", "storygen", "stories", "--project", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "time-to-listen" in done.stdout


def test_init_creates_a_project_that_checks_clean(tmp_path):
    target = tmp_path / "my-stories"
    assert run("init", target).exit_code == 0
    assert "/build/" in (target / ".gitignore").read_text().splitlines()
    project = load_project(target)
    assert list(project.codes) == ["example-theme", "example-theme/example-subtheme"]
    assert run("check", "--project", target).exit_code == 0
    again = run("init", target)
    assert again.exit_code == 2 and "not empty" in again.output


def test_stories_tags_audit(tmp_path):
    root = write_project(tmp_path / "p", privacy=False)
    table = run("stories", "--project", root).output
    assert "time-to-listen  approved        3    251      1:40  site,video" in table
    tags = run("tags", "--project", root).output
    assert "  shared-records     Shared records              7        7" in tags
    audit = run("audit", "--project", root, "time-to-listen").output
    assert "PRIVATE" in audit and "S02 · S02-01" in audit and "S01: 96 words (40%)" in audit
    missing = run("audit", "--project", root, "time-to-lisen")
    assert missing.exit_code == 2 and "did you mean `time-to-listen`" in missing.output


def test_draft_writes_a_story_that_passes(tmp_path):
    root = write_project(tmp_path / "p", privacy=False)
    for source in ("S01", "S02", "S03"):   # more staff material on the theme than the approved story uses
        # ids sort after the approved story's picks, so its queries are unchanged
        (root / f"narratives/excerpts/{source}-more.yaml").write_text(
            excerpts_file(source, [["working-together"], ["working-together/shared-records"]], start=10)
            .replace(f"id: {source}-", f"id: Z{source}-"))
    result = run("draft", "--project", root, "--theme", "working-together", "--role", "staff", "--title", "Joined up")
    assert result.exit_code == 0, result.output
    text = (root / "narratives/stories/joined-up.md").read_text()
    assert "status: draft" in text and "themes: [working-together]" in text and "title: Joined up" in text
    check = run("check", "--project", root, "--drafts")
    assert check.exit_code == 0, check.output
    # the draft took no excerpt that the approved story uses
    assert 'excerpt("S01-01")' not in text and 'excerpt("S01-02")' not in text


def test_draft_explains_when_impossible(tmp_path):
    root = write_project(tmp_path / "p", privacy=False)
    result = run("draft", "--project", root, "--theme", "working-together", "--role", "community")
    assert result.exit_code == 2
    assert "only 2 interviews in the role `community` can be quoted on this theme, and a story needs 3 (C4)" \
        in result.output
    assert "(1 interview): withdrawn (C12)" in result.output
    assert not list((root / "narratives/stories").glob("working-together*.md"))
    unknown = run("draft", "--project", root, "--theme", "working-togther")
    assert unknown.exit_code == 2 and "did you mean `working-together`" in unknown.output
