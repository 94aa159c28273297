"""Where storygen may write: one guard for every output folder and output file.

A build replaces `<out>/site`, `<out>/video` and `<out>/private` wholesale, so a
careless `--out narratives` or `[build] output = "."` would delete the team's
private pseudonym map or the project itself. Every command that writes output
asks this module first:

- `output_folder()` refuses a folder that is, contains or lies inside the
  project's own sources (narratives/, templates/, assets/, .git, the cache), a
  folder that is or contains the project, the home folder or `/`, a plain file,
  and any existing folder storygen did not create. Storygen marks the folders it
  creates with a marker file (MARKER) and replaces only marked ones, so no output
  setting can ever delete a file it did not write. An output folder outside the
  project is allowed, and said out loud.
- `output_file()` does the same for single files (`check --privacy-report FILE`,
  `export refi OUT`): never a project source, never into the published site.

Checking writes nothing; `OutputFolder.claim()` creates and marks the folder
just before the first file is written, so a build that stops at a check leaves
no trace.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click

from . import outputs
from .cache import cache_root
from .config import CONFIG_NAME
from .errors import ProjectError

MARKER = ".storygen-output"
MARKER_TEXT = ("This folder was created by storygen as build output. storygen replaces its\n"
               "site/, video/ and private/ folders on every build; do not keep other files here.\n")
# The project's own material, which no output may ever replace.
SOURCES = ("narratives", "templates", "assets", ".git")
# What a build writes inside its output folder: an unmarked folder holding only these
# (and storygen's provenance map) was made by a storygen older than the marker.
PARTS = frozenset({"site", "video", "private"})


@dataclass(frozen=True)
class OutputFolder:
    """A checked output folder: `path` (resolved) and `shown` (as the user wrote it)."""

    path: Path
    shown: str
    outside: bool       # outside the project folder

    def claim(self) -> Path:
        """Create the folder if needed and mark it as storygen's. Returns its path."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            _check_existing(self.path, self.shown)       # it may have changed since the check
            marker = self.path / MARKER
            if not marker.is_file():
                marker.write_text(MARKER_TEXT, encoding="utf-8")
        except OSError as exc:
            raise ProjectError(f"cannot write the output folder: {exc.strerror or exc}",
                               path=self.shown, hint=_WRITABLE_HINT) from None
        return self.path


_WRITABLE_HINT = ("choose a folder you can write to with --out DIR or `[build] output` in "
                  "storygen.toml, and check that the disk is not full")


def output_folder(project_root: Path, out: Path | None, configured: str, *, echo=None) -> OutputFolder:
    """Check the folder a build writes into: `out` (from --out, relative to the current
    folder) or else `configured` (`[build] output`, relative to the project).

    Raises ProjectError for a folder storygen must never replace. Writes nothing.
    `echo` (click.echo by default) is told when the folder lies outside the project.
    """
    root = Path(project_root).resolve()
    if out is not None:
        given, shown, setting = Path(out), str(out), "--out"
    else:
        given, shown, setting = root / configured, configured, "`[build] output`"
    target = given.resolve()
    where = root / CONFIG_NAME if out is None else None

    def refuse(problem: str, hint: str) -> ProjectError:
        return ProjectError(f"{setting} {shown!r} {problem}", path=where, line=_line_of(where, "output"),
                            hint=hint)

    hint = "use a new folder such as build/ (the default) or one outside the project"
    if target.parent == target:
        raise refuse("is the root of the file system; a build there would replace its folders", hint)
    home = Path.home().resolve()
    if target == home or home.is_relative_to(target):
        raise refuse("is or contains your home folder", hint)
    if target == root or root.is_relative_to(target):
        raise refuse("is or contains the project folder, whose files a build would replace", hint)
    for name in SOURCES:
        _refuse_overlap(target, root / name, f"the project's {name}/ folder", refuse, hint)
    _refuse_overlap(target, cache_root(root), "storygen's cache folder", refuse, hint)
    if target.exists() or target.is_symlink():
        _check_existing(target, shown, refuse)
    outside = not target.is_relative_to(root)
    if outside:
        (echo or _note)(f"note: the build output goes to {target}, outside the project")
    return OutputFolder(target, shown, outside)


def _note(message: str) -> None:
    click.echo(message, err=True)


def _refuse_overlap(target: Path, source: Path, what: str, refuse, hint: str) -> None:
    real = source.resolve()
    if target == real:
        raise refuse(f"is {what}", hint)
    if target.is_relative_to(real):
        raise refuse(f"lies inside {what}", hint)
    if real.is_relative_to(target):
        raise refuse(f"contains {what}", hint)


def _check_existing(target: Path, shown: str, refuse=None) -> None:
    """An existing output folder must be one storygen made (marked), or empty."""
    def fail(problem: str, hint: str) -> ProjectError:
        if refuse is not None:
            return refuse(problem, hint)
        return ProjectError(f"output folder {shown!r} {problem}", hint=hint)

    if not target.is_dir():
        raise fail("is a file, not a folder", "remove or rename the file, or choose another output folder")
    if (target / MARKER).is_file():
        return
    try:
        entries = sorted(os.listdir(target))
    except OSError as exc:
        raise fail(f"cannot be read: {exc.strerror}", _WRITABLE_HINT) from None
    if not entries or _older_build(target, entries):
        return
    listed = ", ".join(entries[:5]) + (", …" if len(entries) > 5 else "")
    raise fail(f"already holds files storygen did not write ({listed}); storygen replaces only "
               f"folders it created itself",
               "choose a new or empty folder, or move those files somewhere else first")


def _older_build(target: Path, entries: list[str]) -> bool:
    """An unmarked build folder from before the marker: only storygen's parts, with its provenance map."""
    return set(entries) <= PARTS and (target / "private" / "provenance.json").is_file() and \
        all((target / e).is_dir() and not (target / e).is_symlink() for e in entries)


def output_file(project_root: Path, path: Path, what: str) -> Path:
    """Check a single file a command writes (a report, an export). Returns its resolved path.

    Never a project source file or folder, never inside the published site or videos
    (the file holds private detail), and its folder must exist.
    """
    root = Path(project_root).resolve()
    target = Path(path).resolve()
    shown = str(path)

    def refuse(problem: str, hint: str) -> ProjectError:
        return ProjectError(f"{what} {shown!r} {problem}", hint=hint)

    hint = "write it somewhere else, e.g. a file in build/private/ or outside the project"
    if target.is_dir():
        raise refuse("is a folder", "give a file name, e.g. report.md")
    if target == root / CONFIG_NAME:
        raise refuse("is the project's settings file", hint)
    for name in SOURCES:
        source = (root / name).resolve()
        if target.is_relative_to(source):
            raise refuse(f"lies inside the project's {name}/ folder", hint)
    if target.is_relative_to(cache_root(root).resolve()):
        raise refuse("lies inside storygen's cache folder", hint)
    out = (root / _configured_output(root)).resolve()
    for part in outputs.names():           # every published output (storygen/outputs.py)
        if target.is_relative_to(out / part):
            raise refuse(f"lies inside the published {part}/ folder, and holds private detail", hint)
    if not target.parent.is_dir():
        raise refuse(f"cannot be written: the folder {target.parent} does not exist",
                     "create the folder first, or give another path")
    return target


def _line_of(path: Path | None, key: str) -> int | None:
    """The line of `key = …` in a TOML file, for errors about a setting."""
    if path is None:
        return None
    from .config import setting_line

    return setting_line(path, key)


def _configured_output(root: Path) -> str:
    from .config import load_config

    try:
        return load_config(root).build.output
    except ProjectError:            # the command itself will report a broken project
        return "build"
