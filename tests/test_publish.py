"""Publishing: the new output replaces the old one part by part; the old is deleted off the critical path."""
import time
from pathlib import Path

from storygen.publish import publish


def _stage(folder: Path, text: str) -> Path:
    for part in ("site", "private"):
        (folder / part).mkdir(parents=True)
        for i in range(50):
            (folder / part / f"f{i}.txt").write_text(text)
    return folder


def test_old_output_goes_to_the_trash_and_is_deleted_in_the_background(tmp_path):
    out, trash = tmp_path / "build", tmp_path / "cache" / "trash"
    publish(_stage(tmp_path / "one", "first"), out, ["private", "site"], trash_root=trash)
    publish(_stage(tmp_path / "two", "second"), out, ["private", "site"], trash_root=trash)
    assert {p.read_text() for p in out.rglob("*.txt")} == {"second"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]
    deadline = time.monotonic() + 30
    while list(trash.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(trash.iterdir())


def test_a_background_deletion_never_touches_a_trash_folder_being_filled(tmp_path):
    """Builds one after another: a deleter still running must not remove the next build's trash."""
    out, trash = tmp_path / "build", tmp_path / "cache" / "trash"
    for i in range(12):
        publish(_stage(tmp_path / f"s{i}", str(i)), out, ["private", "site"], trash_root=trash)
        assert {p.read_text() for p in out.rglob("*.txt")} == {str(i)}


def test_without_a_trash_folder_the_old_output_is_deleted_at_once(tmp_path):
    out = tmp_path / "build"
    publish(_stage(tmp_path / "one", "first"), out, ["site"])
    publish(_stage(tmp_path / "two", "second"), out, ["site"])
    assert {p.read_text() for p in out.rglob("*.txt")} == {"second"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "one", "two"]
