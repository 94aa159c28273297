"""Paths a project names are untrusted: one resolver for every file a project points at.

A project received from a colleague or a pull request may name `/etc/passwd` as its music
bed, or hold `narratives/excerpts/S99.yaml` as a link to `/etc/shadow`. Everything a build
reads must lie inside the project, links resolved; anything else is refused with an error
that names the setting or file and never quotes what lies outside.

- `inside(base, value)`: a setting's value resolved under `base` (assets/, the project root),
  or None when it leads outside (absolute, `..`, or a link out).
- `project_file(root, path, shown)`: a file the loader is about to read: inside the project,
  a regular file (not a pipe or device, which would hang or never end) and not huge.
- `refuse_linked_folders(folder, root, shown)`: a folder the loader searches holds no link to
  a folder (a search skips them without a word, so excerpts there would silently go missing).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ProjectError

# The largest project text file storygen reads. An excerpts file for a whole 500-interview
# project written by `storygen import` is about 5 MB; parsing a file ten times that size
# already takes seconds and a gigabyte of memory.
MAX_TEXT_BYTES = 50 * 1024 * 1024


def inside(base: Path, value: str) -> Path | None:
    """`value` (as written in a setting) resolved under `base`, or None when it leaves `base`.

    Absolute values and values that climb out with `..` or through a symbolic link are
    outside, whatever they point at; `~` is not expanded (it would be a folder named `~`).
    """
    if not value or value.startswith(("/", "\\")) or "\0" in value or (len(value) > 1 and value[1] == ":"):
        return None
    real_base = base.resolve()
    try:
        target = (real_base / value).resolve()
    except (OSError, RuntimeError):          # a link loop
        return None
    return target if target.is_relative_to(real_base) else None


def project_file(root: Path | tuple[Path, ...], path: Path, shown: Path | str) -> None:
    """Refuse a project file that is a link out of the project, not a plain file, or too big.

    `root` is the resolved project root (or several folders a file may lie in); `shown` is the
    path errors name. Nothing of the file's content is read here, so an error never quotes a
    file outside the project.
    """
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ProjectError("is a broken or looping link", path=shown,
                           hint="remove the link, or replace it with the file itself") from None
    if not any(real.is_relative_to(r) for r in (root if isinstance(root, tuple) else (root,))):
        raise ProjectError("is a link to a file outside the project; storygen reads only files inside it",
                           path=shown, hint="copy the file into the project instead of linking to it")
    info = real.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ProjectError("is not a plain file (a pipe, device or socket)", path=shown,
                           hint="replace it with an ordinary text file")
    if info.st_size > MAX_TEXT_BYTES:
        raise ProjectError(f"is {info.st_size / 1024 / 1024:.0f} MB; storygen reads project text files "
                           f"up to {MAX_TEXT_BYTES // 1024 // 1024} MB", path=shown,
                           hint="split it into several files (one excerpts file per interview)")


def refuse_linked_folders(folder: Path, root: Path | tuple[Path, ...], shown) -> None:
    """Refuse a link to a folder anywhere under `folder`; `shown(path)` is the path errors name.

    The loader's searches do not follow links to folders (one could lead anywhere, or back to
    itself), so without this check the excerpts in a linked folder would quietly be left out.
    Nothing inside the linked folder is read or named.
    """
    for top, dirs, _files in os.walk(folder):
        for name in sorted(dirs):
            path = Path(top) / name
            if not path.is_symlink():
                continue
            try:
                real = path.resolve(strict=True)
                outside = not any(real.is_relative_to(r) for r in (root if isinstance(root, tuple) else (root,)))
            except (OSError, RuntimeError):
                raise ProjectError("is a broken or looping link", path=shown(path),
                                   hint="remove the link, or replace it with the folder itself") from None
            where = "outside the project" if outside else "elsewhere in the project"
            raise ProjectError(f"is a link to a folder {where}; storygen does not read through linked "
                               "folders, so its files would be left out", path=shown(path),
                               hint="move or copy the files into this folder instead of linking to them")
