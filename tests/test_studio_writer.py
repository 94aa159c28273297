"""The studio's file writer: round trips that change only the edited lines, validation by the
project's own loader, refusals on outside edits and outside paths, atomic writes."""
from __future__ import annotations

import datetime
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import write_project  # noqa: E402

from storygen.cli import main  # noqa: E402
from storygen.errors import ProjectError  # noqa: E402
from storygen.studio import edits, writer  # noqa: E402
from storygen.studio.writer import Conflict, WriteRefused, edit_front_matter, edit_yaml, put  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def changed_lines(old: str, new: str) -> list[str]:
    import difflib

    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("path", sorted(str(p.relative_to(REPO)) for p in (REPO / "narratives").rglob("*.yaml")))
def test_every_sample_file_round_trips_byte_identical(path):
    text = (REPO / path).read_text(encoding="utf-8")
    assert edit_yaml(text, lambda tree: None, path=path) == text


def test_sample_stories_front_matter_round_trips():
    for path in (REPO / "narratives" / "stories").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert edit_front_matter(text, lambda tree: None, path=path) == text


def test_a_new_flag_goes_under_codes_and_comments_stay():
    text = ("# interview notes stay\nsource: S01\nexcerpts:\n  - id: S01-01  # first\n    codes: [a]\n"
            "    text: |\n      Words, “quoted” — naïve café.\n\n  - id: S01-02\n    codes: [b]\n    text: x\n")

    def change(tree):
        put(tree["excerpts"][0], "featured", "yes", after=("codes",))
    new = edit_yaml(text, change, path="x")
    assert changed_lines(text, new) == ["+    featured: yes"]
    assert new.index("featured") < new.index("text: |")


def test_flow_mappings_keep_their_style():
    text = "S01: {role: staff, sector: council, consent: {composite: yes, web: yes, video: yes}}\n" \
           "S02: {role: staff, sector: health, consent: {composite: yes, web: yes, video: yes}}\n"
    new = edit_yaml(text, lambda tree: tree["S02"]["consent"].__setitem__("video", "no"), path="x")
    assert changed_lines(text, new) == [
        "-S02: {role: staff, sector: health, consent: {composite: yes, web: yes, video: yes}}",
        "+S02: {role: staff, sector: health, consent: {composite: yes, web: yes, video: no}}"]


def test_a_file_that_would_be_reformatted_is_refused():
    text = "S01:\n    role: staff\n    sector:   council\n"       # odd spacing: a dump would change it
    with pytest.raises(WriteRefused, match="without re-formatting"):
        edit_yaml(text, lambda tree: None, path="x")


def test_front_matter_edit_keeps_the_body_byte_for_byte():
    text = "---\ntitle: T\nstatus: draft\n---\n{{ excerpt(\"S01-01\") }}\n\n  odd   spacing  \n"
    new = edit_front_matter(text, lambda tree: put(tree, "status", "approved"), path="x")
    assert new == text.replace("status: draft", "status: approved")


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "proj")


def digest_of(path: Path) -> str:
    return writer.digest(path.read_bytes())


def test_crlf_and_bom_are_kept(project):
    path = project / "narratives" / "excerpts" / "S01.yaml"
    original = path.read_text()
    path.write_bytes(b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode())
    edits.set_excerpt_flags(project, Path("narratives/excerpts/S01.yaml"), digest_of(path), "S01-02",
                            featured=True, singular=False)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\n" not in data.replace(b"\r\n", b"")
    assert changed_lines(original, data[3:].decode().replace("\r\n", "\n")) == ["+    featured: yes"]


def test_review_writes_status_reviewer_and_date(project):
    story_path = project / "narratives" / "stories" / "time-to-listen.md"
    from storygen.project import load_project

    story = load_project(project).story("time-to-listen")
    before = story_path.read_text()
    edits.set_review(project, story, digest_of(story_path), status="reviewed", reviewer="  Sam   Reviewer ",
                     today=datetime.date(2026, 12, 3))
    assert changed_lines(before, story_path.read_text()) == [
        "-status: approved", "-reviewer: Comms review panel", "-reviewed_on: 2026-11-02",
        "+status: reviewed", "+reviewer: Sam Reviewer", "+reviewed_on: 2026-12-03"]
    assert load_project(project).story("time-to-listen").status == "reviewed"


def test_outside_edit_is_refused_and_nothing_is_written(project):
    path = project / "narratives" / "excerpts" / "S01.yaml"
    seen = digest_of(path)
    path.write_text(path.read_text() + "# a colleague's note\n")
    after_colleague = path.read_bytes()
    with pytest.raises(Conflict) as refused:
        edits.set_excerpt_flags(project, Path("narratives/excerpts/S01.yaml"), seen, "S01-01",
                                featured=True, singular=False)
    assert "# a colleague's note" in refused.value.on_disk and "featured yes" in refused.value.attempted
    assert path.read_bytes() == after_colleague


def test_a_result_the_loader_refuses_is_not_written_and_says_what_check_says(project, tmp_path):
    rel = Path("narratives/excerpts/S02.yaml")
    path = project / rel
    before = path.read_bytes()
    bad = lambda text: text.replace("codes: [working-together]", "codes: [no-such-theme]")  # noqa: E731
    with pytest.raises(ProjectError) as refused:
        writer.write(project, rel, digest_of(path), bad)
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    # The same file written by hand: storygen check prints the same message.
    copy = shutil.copytree(project, tmp_path / "copy")
    (copy / rel).write_text(bad(before.decode()))
    result = CliRunner().invoke(main, ["check", "--project", str(copy)])
    assert result.exit_code == 2
    assert refused.value.format_message() in result.output


@pytest.mark.parametrize("rel", ["storygen.toml", "narratives/../storygen.toml", "narratives", "../outside.yaml",
                                 "/etc/passwd", "narratives/link/x.yaml"])
def test_nothing_outside_narratives_is_written(project, rel):
    (project.parent / "outside.yaml").write_text("a: b\n")
    os.symlink(project.parent, project / "narratives" / "link")
    (project.parent / "x.yaml").write_text("a: b\n")
    with pytest.raises(WriteRefused, match="only files inside narratives/"):
        writer.write(project, rel, "", lambda text: text + "# x\n")
