"""Helpers for the hostile-input tests: run the CLI as a user would, and prove nothing changed.

Every hostile case asserts the same four things (`refused`): the exit code, the
message (file and line where there is one), no Python traceback, and that the
project and its previous build/ are byte-identical afterwards (`Snapshot`).
"""
from __future__ import annotations

import os
import shutil
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from projectkit import write_project

from storygen.cli import main

# Content-keyed caches may change on any run; everything else must not.
NOT_COMPARED = {".storygen-cache"}


def tree(root: Path) -> dict[str, tuple]:
    """Every entry under `root` (not following links): files by bytes and mode, links by
    target, folders by mode."""
    found: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not (here == root and d in NOT_COMPARED))
        for name in dirs + sorted(files):
            path = here / name
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = ("dir", stat.S_IMODE(info.st_mode))
            elif stat.S_ISREG(info.st_mode):
                found[rel] = ("file", stat.S_IMODE(info.st_mode), path.read_bytes())
            else:
                found[rel] = ("other", stat.S_IFMT(info.st_mode))
    return found


class Snapshot:
    """The bytes of a tree now, to compare with later: `assert snap.unchanged()`."""

    def __init__(self, root: Path):
        self.root = root
        self.before = tree(root)

    def differences(self) -> list[str]:
        after = tree(self.root)
        changed = [f"changed {k}" for k in self.before if k in after and after[k] != self.before[k]]
        gone = [f"deleted {k}" for k in self.before if k not in after]
        new = [f"added {k}" for k in after if k not in self.before]
        return changed + gone + new

    def unchanged(self) -> bool:
        diff = self.differences()
        assert not diff, "\n".join(diff[:20])
        return True


@contextmanager
def inside(folder: Path):
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def cli(project: Path, *args: str, cwd: Path | None = None, input: str | None = None):
    """Run `storygen ARGS` in `cwd` (default: the project folder), as a user would type it."""
    with inside(cwd or project):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=True)


def clean_exit(result) -> None:
    """Exited through SystemExit with no Python traceback anywhere in the output."""
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"unexpected {type(result.exception).__name__}: {result.exception}\n{result.output}"
    assert "Traceback" not in result.output, result.output


def refused(result, code: int, *needles: str) -> None:
    """A clean refusal: exit `code`, each needle in the message, no traceback."""
    clean_exit(result)
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}:\n{result.output}"
    for needle in needles:
        assert needle in result.output, f"{needle!r} not in:\n{result.output}"


def copy_project(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, symlinks=True)
    return target


def add_to_story(project: Path, text: str, before: str = "## After",
                 story: str = "narratives/stories/time-to-listen.md") -> int:
    """Insert `text` as its own paragraph before `before`; returns the line it starts on."""
    path = project / story
    lines = path.read_text().split("\n")
    index = lines.index(before)
    lines[index:index] = [text, ""]
    path.write_text("\n".join(lines))
    return index + 1


def set_option(project: Path, table: str, line: str) -> int:
    """Add `line` under `[table]` in storygen.toml (creating the table); returns its line number."""
    path = project / "storygen.toml"
    lines = path.read_text().rstrip("\n").split("\n")
    header = f"[{table}]"
    if header in lines:
        index = lines.index(header) + 1
    else:
        lines += ["", header]
        index = len(lines)
    lines.insert(index, line)
    path.write_text("\n".join(lines) + "\n")
    return index + 1


@pytest.fixture(scope="session")
def built_template(tmp_path_factory) -> Path:
    """A small valid project (privacy guard on) with its site built once into build/."""
    project = write_project(tmp_path_factory.mktemp("hostile") / "proj")
    result = cli(project, "build", "--only", "site")
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture
def project(built_template, tmp_path) -> Path:
    """A fresh copy of the built project, with its previous build/ and caches."""
    return copy_project(built_template, tmp_path / "proj")
