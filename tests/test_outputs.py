"""The output registry: a third output, declared in a few lines here and registered with one
line, appears in `build`, `check`, `--only`, the privacy output scan and the up-to-date
fingerprint without any other module knowing about it."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from projectkit import write_project
from storygen import outputs
from storygen.cli import main
from storygen.errors import ProjectError
from storygen.outputs import Output, Registered

UP_TO_DATE = "is already up to date"


# --- the toy output: a plain-text list of the published stories ------------------------

def _toy_preflight(project, composites, options):
    return [ProjectError(f"the toy output needs a summary for story {c.story.slug!r}",
                         path=c.story.origin.path, hint="add `summary:`")
            for c in composites if not c.story.summary]


def _toy_render(job):
    lines = [f"{c.story.title}: {c.contributors} accounts" for c in job.composites]
    (job.folder / "stories.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


OUTPUT = Output(name="toy", preflight=_toy_preflight, render=_toy_render)


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setattr(outputs, "REGISTRY", outputs.REGISTRY + (
        Registered("toy", __name__, "a list of the stories", reads=("site",)),))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_the_registry_lists_outputs_in_render_order():
    assert outputs.names()[:2] == ["video", "site"]
    for position, name in enumerate(outputs.names()):
        assert outputs.get(name).name == name
        assert all(outputs.names().index(read) < position for read in outputs.entry(name).reads)


def test_a_third_output_is_built_published_and_named_by_only(toy, project, monkeypatch, tmp_path):
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / "cache"))
    result = run("build", "--project", project, "--only", "toy")
    assert result.exit_code == 0, result.output
    assert (project / "build" / "toy" / "stories.txt").read_text() == "Time to listen: 3 accounts\n"
    assert not (project / "build" / "site").exists()          # --only: nothing else is built
    assert "toy" in run("build", "--help").output


def test_check_runs_the_third_outputs_preflight(toy, project):
    story = project / "narratives" / "stories" / "time-to-listen.md"
    story.write_text(story.read_text().replace("summary: What changed when the targets went.\n", ""))
    result = run("check", "--project", project)
    assert result.exit_code == 2
    assert "the toy output needs a summary for story 'time-to-listen'" in result.output
    build = run("build", "--project", project, "--only", "toy")
    assert build.exit_code == 2 and "needs a summary" in build.output
    assert not (project / "build").exists()                    # stopped before writing anything


def test_the_fingerprint_covers_the_third_output_and_what_it_reads(toy, project, monkeypatch, tmp_path):
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / "cache"))
    assert run("build", "--project", project, "--only", "site").exit_code == 0
    assert UP_TO_DATE not in run("build", "--project", project, "--only", "toy").output
    assert UP_TO_DATE in run("build", "--project", project, "--only", "toy").output
    # The toy reads the published site/: a change there is a change of its input.
    page = project / "build" / "site" / "index.html"
    page.write_text(page.read_text() + "<!-- edited -->")
    assert UP_TO_DATE not in run("build", "--project", project, "--only", "toy").output


def test_the_output_scan_reads_the_third_outputs_files(toy, project, monkeypatch, tmp_path):
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / "cache"))

    def leaky(job):
        (job.folder / "stories.txt").write_text("quoted from S02-01\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "OUTPUT", Output(name="toy", preflight=_toy_preflight, render=leaky))
    result = run("build", "--project", project, "--only", "toy")
    assert result.exit_code == 1 and "R5" in result.output and "stories.txt" in result.output
    assert not (project / "build" / "toy").exists()
