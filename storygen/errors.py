"""One exception hierarchy for everything a user can get wrong.

Every error a user sees names the file, the line, what is wrong and how to fix
it. The CLI turns these into one clean message and an exit code; nobody should
ever see a traceback for bad input.
"""
from __future__ import annotations

from pathlib import Path

import click

# Exit codes are part of the CLI's contract (README, "Exit codes").
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
# Stopped by Ctrl+C or SIGTERM: 128 + the signal's number, as a shell reports it (130, 143),
# so a script can tell "stopped" from "found problems".
EXIT_SIGNAL_BASE = 128


class StorygenError(click.ClickException):
    """Base class: a problem the user can fix. Shown without a traceback."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, path: Path | str | None = None,
                 line: int | None = None, hint: str | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint
        self.problem = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        text = where + self.problem
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text

    def show(self, file=None) -> None:  # click calls this; keep it to one clean message
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class ProjectError(StorygenError):
    """A project file is malformed or inconsistent (exit 2)."""


class ImportError_(StorygenError):
    """A foreign export could not be imported (exit 2). Named to avoid the builtin."""


class AssetError(StorygenError):
    """An image, audio file or font is missing, corrupt or unsuitable (exit 2)."""


class RenderError(StorygenError):
    """Rendering a page or a video failed for a reason the user can fix (exit 2)."""


class CheckFailed(StorygenError):
    """Integrity or privacy rules found problems; the build refuses to publish (exit 1).

    The individual findings have already been printed; this only carries the summary.
    """

    exit_code = EXIT_FINDINGS


def from_os_error(exc: OSError) -> StorygenError:
    """A file-system failure (full disk, no permission, read-only disk…) as a clean error.

    Builds write into a staging folder first, so when this stops one, the previous
    output is still in place.
    """
    import errno

    hints = {
        errno.ENOSPC: "free some space on that disk (or build elsewhere with --out DIR); "
                      "the previous build was left as it was",
        errno.EDQUOT: "your disk quota is full: free some space; the previous build was left as it was",
        errno.EFBIG: "a file grew past the size this system allows; free space or raise the limit",
        errno.EACCES: "check that you may write to that folder, or choose another with --out DIR",
        errno.EPERM: "check that you may write to that folder, or choose another with --out DIR",
        errno.EROFS: "that disk is read-only: choose another folder with --out DIR",
        errno.ENAMETOOLONG: "use a shorter file or folder name",
    }
    reason = exc.strerror or str(exc)
    return StorygenError(f"could not read or write a file: {reason}", path=exc.filename,
                         hint=hints.get(exc.errno, "check the path and try again"))
