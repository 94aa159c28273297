"""The outputs a build writes, registered in one place, and the contract each one keeps.

An output is a package (`storygen/video/`, `storygen/site/`) whose `OUTPUT` is an
`Output`: a name, a preflight and a render step. `build`, `check`, the command
line (`--only`), `serve` and the up-to-date fingerprint all go through
`REGISTRY` below, so adding an output is one line here and a package beside
the others; nothing else changes. docs/architecture.md explains the contract.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import StorygenError
from .model import Composite, Project
from .options import BuildOptions
from .timings import Timings


@dataclass(frozen=True)
class Registered:
    """One line of the registry: what is known of an output without importing it."""

    name: str                          # its folder under build/ and its --only choice
    module: str                        # the package whose OUTPUT it is
    summary: str                       # one line, for --help
    reads: tuple[str, ...] = ()        # outputs whose folders it reads: it comes after them, and
                                       # with --only, their published folders are its input


# In render order: an output comes after those it reads.
REGISTRY: tuple[Registered, ...] = (
    Registered("video", "storygen.video", "captioned videos, one per story and format"),
    Registered("site", "storygen.site", "the story site, with the 16:9 videos", reads=("video",)),
    Registered("report", "storygen.report", "a print-ready, accessible PDF report and a Word review pack"),
)


@dataclass(frozen=True)
class LivePreview:
    """What `storygen serve` asks of an output it previews."""

    notices: tuple[str, ...] = ()      # findings that would stop publishing, shown in the DRAFT banner
    reload: bool = True                # the live-reload script (the studio reloads its preview itself)


@dataclass
class RenderJob:
    """Everything an output's render step gets. It writes only into `folder`."""

    project: Project
    composites: list[Composite]        # checked; the output picks those whose story's media it serves
    folder: Path                       # an empty folder: this output's part of the build
    options: BuildOptions
    folders: dict[str, Path]           # every output's folder as this build sees it: just rendered, or
                                       # as published (with --only): how the site finds the videos
    memory: object | None = None       # the output's memory from the build context (`new_memory`)
    timings: Timings = field(default_factory=Timings)
    progress: bool = False             # show progress bars on a terminal
    live: LivePreview | None = None    # set when rendering for `storygen serve`
    private: Path | None = None        # build/private/ as staged (never scanned, never published):
                                       # for files that carry provenance; None in a preview


@dataclass(frozen=True)
class Output:
    """What an output package exposes as OUTPUT. See docs/architecture.md, "The output interface"."""

    name: str                          # as registered
    # Every problem the render step would stop on that can be known before rendering
    # (missing or unusable assets, settings, tools): StorygenErrors, not raised.
    preflight: Callable[[Project, list[Composite], BuildOptions], list[StorygenError]]
    render: Callable[[RenderJob], object]       # returns a summary the caller may show
    live: bool = False                 # rendered by `storygen serve`'s preview
    new_memory: Callable[[], object] | None = None   # its memory between builds, if it keeps one


def names() -> list[str]:
    """Every output's name, in render order (without importing any output)."""
    return [entry.name for entry in REGISTRY]


def entry(name: str) -> Registered:
    for registered in REGISTRY:
        if registered.name == name:
            return registered
    raise KeyError(name)


def get(name: str) -> Output:
    """The output's OUTPUT (importing its package)."""
    module = entry(name).module
    output = importlib.import_module(module).OUTPUT
    if output.name != name:
        raise RuntimeError(f"{module}.OUTPUT is named {output.name!r}, registered as {name!r}")
    return output


def parts(only: str | None) -> list[str]:
    """The outputs a build with `--only` writes (all without it), by name, in render order."""
    return [name for name in names() if only in (None, name)]


def inputs_published(only: str | None) -> list[str]:
    """Outputs a build reads as published rather than rendering them: with --only site, video."""
    chosen = parts(only)
    return [read for name in chosen for read in entry(name).reads if read not in chosen]


def selected(only: str | None = None, *, live: bool = False) -> list[Output]:
    """The outputs a build writes: all, or only `only`; for `serve`, those it previews."""
    chosen = [get(name) for name in parts(only)]
    return [o for o in chosen if o.live] if live else chosen
