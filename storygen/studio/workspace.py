"""The studio's view of the project: loaded once, reloaded when a file changes.

The studio reads the project exactly as `storygen check --drafts` does (build.check: load,
compose, the C-rules, the privacy guard, the outputs' preflights), with one BuildContext
kept for the whole session so a reload after an edit re-parses only the changed files and
recomposes only the stories the edit touched, as `storygen serve` does. Outside edits (another editor, a `git pull`) are
seen on the next request: each request compares a stamp of the project's files (path,
size, modification time) with the one the state was loaded from.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..build import check
from ..context import BuildContext
from ..errors import StorygenError
from ..model import Composite, Finding, Project
from ..options import BuildOptions
from ..project import NARRATIVES, SCRATCH_SUFFIXES, is_input_folder
from .library import Library


@dataclass
class State:
    """One loaded, composed and checked project."""

    project: Project
    composites: dict[str, Composite]                 # by story slug, every story (drafts too)
    findings: dict[str, list[Finding]]               # by story slug: C-rules and privacy guard
    library: Library
    problems: list[StorygenError] = field(default_factory=list)   # the outputs' preflight problems
    privacy: object | None = None                    # privacy.GuardReport over every story
    excerpt_findings: dict[str, list[Finding]] = field(default_factory=dict)
    # What pages work out from this state on first use and keep while it lasts (live.py's
    # query index and who-quotes-what); dropped with the state when the project reloads.
    derived: dict = field(default_factory=dict)


class Workspace:
    """The project folder the studio works on; thread-safe (requests run in a thread pool)."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.context = BuildContext()
        self._lock = threading.RLock()
        self._stamp: tuple | None = None
        self._state: State | None = None
        self._error: StorygenError | None = None

    def state(self) -> State:
        """The project as it is on disk now; raises the loader's StorygenError if it cannot be read."""
        with self._lock:
            stamp = self.stamp()
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._state, self._error = self._load(), None
                except StorygenError as exc:
                    self._state, self._error = None, exc
            if self._error is not None:
                raise self._error
            return self._state

    def stamp(self) -> tuple:
        """Every project input's (path, size, mtime): a change anywhere means a reload."""
        found = []
        config = self.root / "storygen.toml"
        if config.exists():
            st = config.stat()
            found.append(("storygen.toml", st.st_size, st.st_mtime_ns))
        stack = [self.root / NARRATIVES]
        while stack:
            folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if is_input_folder(entry.name):
                        stack.append(Path(entry.path))
                elif not entry.name.endswith(SCRATCH_SUFFIXES):
                    st = entry.stat()
                    found.append((entry.path, st.st_size, st.st_mtime_ns))
        return tuple(sorted(found))

    @property
    def lock(self) -> threading.RLock:
        """Held while the project is loaded or written; the live panel holds it to use the shared guard."""
        return self._lock

    def forget(self) -> None:
        """Reload on the next request (after the studio itself wrote a file)."""
        with self._lock:
            self._stamp = None

    def edit(self, change) -> None:
        """Run one write (studio/edits.py) with no load or other write in between; reload after."""
        with self._lock:
            try:
                change()
            finally:
                self._stamp = None

    def preview_build(self, folder: Path, *, drafts: bool):
        """The build `storygen serve` runs (build() in preview mode: nothing published) into
        `folder`, through this session's build context; without the live-reload script, so an
        approved story's page is the page `storygen build` publishes (studio/sitepreview.py)."""
        from ..build import build

        with self._lock:
            return build(self.root, BuildOptions(drafts=drafts), context=self.context, preview=folder,
                         progress=False, reload=False)

    def _load(self) -> State:
        # The check `storygen check --drafts` runs (load, compose, rules, privacy guard, every
        # output's preflight), through this session's build context.
        result = check(self.root, options=BuildOptions(drafts=True), context=self.context)
        project = result.project
        findings: dict[str, list[Finding]] = {c.story.slug: [] for c in result.composites}
        for finding in result.findings + (result.privacy.findings if result.privacy is not None else []):
            findings.setdefault(finding.story or "", []).append(finding)
        excerpt_findings: dict[str, list[Finding]] = {}
        if project.config.privacy.enabled:
            from .. import privacy as guard

            for finding in guard.check_excerpts(project.excerpts.values(), project, self.context):
                excerpt_findings.setdefault(finding.field.removeprefix("excerpt "), []).append(finding)
        by_slug = {c.story.slug: c for c in result.composites}
        return State(project, by_slug, findings, Library(project, by_slug, excerpt_findings),
                     result.problems, result.privacy, excerpt_findings)
