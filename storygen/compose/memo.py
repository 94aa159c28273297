"""Incremental compose: a story is composed again only when what it would pick has changed.

Composing a story is deterministic given three things: the story itself, what each of
its excerpt("…") / excerpts(…) calls returns, and the codebook and reading speed. So
each composed story leaves a `Trace`: its calls with the ids each returned, a digest
of every excerpt it used (what a segment copies from it) and the template's output.
The next build goes through the stories in the same order as a cold build and
*replays* each trace against the allocation as it stands at that story (cheap: the
queries go through the index, no template runs). When every call returns the same
excerpts, unchanged, the composite is the same as composing would make, and is
reused; otherwise the story is composed again. The allocation then moves on exactly
as it would have, so a story whose query now sees an edited, added or newly taken
excerpt is composed again, and no other.

Traces live on the build context (`storygen serve` keeps it between rebuilds) and in
the `compose` cache folder on disk, so a one-off `storygen build` after an edit reuses
the previous build's work too. The disk copy holds no excerpt text: a reused composite
is rebuilt from the template's output and the project's current excerpts.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import cache_folder
from ..context import BuildContext
from ..model import Composite, Excerpt, Project, Story
from .index import Allocation

# Files whose code decides what a composite is: a change to any of them (or to Jinja)
# starts a new trace file, so traces from other code are never trusted.
_CODE = ("compose/assemble.py", "compose/index.py", "compose/select.py", "compose/memo.py",
         "model.py", "sandbox.py")


def excerpt_digest(excerpt: Excerpt) -> str:
    """What a segment copies from an excerpt; a change to any of it changes the composite."""
    return hashlib.blake2b(repr((excerpt.source_id, excerpt.text, excerpt.codes)).encode("utf-8"),
                           digest_size=12).hexdigest()


@dataclass
class Trace:
    """What composing one story did: enough to tell whether doing it again would differ."""

    story: Story
    calls: tuple = ()              # (("excerpt", id) | ("excerpts", query kwargs as a tuple), ids returned)
    digests: dict = field(default_factory=dict)   # excerpt id -> excerpt_digest
    rendered: str = ""             # the template's output, excerpts as markers
    lines: tuple = ()              # the story-file line of each excerpt picked, in order
    composite: Composite | None = None   # in memory only (dropped on disk)

    def replay(self, story: Story, project: Project, allocation: Allocation) -> list[str] | None:
        """The excerpt ids the story would pick now, if every call returns what it returned
        last time and every excerpt is unchanged; None if composing it again is needed."""
        if story != self.story:
            return None
        for excerpt_id, digest in self.digests.items():
            item = project.excerpts.get(excerpt_id)
            if item is None or excerpt_digest(item) != digest:
                return None
        used: set[str] = set()
        picked: list[str] = []
        for (kind, args), ids in self.calls:
            if kind == "excerpt":
                found = [args]
            else:
                found = [e.id for e in allocation.query(story, used=used, **dict(args))]
                if found != list(ids):
                    return None
            used.update(found)
            picked += found
        return picked


class TraceStore:
    """The traces of one project: on the build context, and in the `compose` cache folder."""

    def __init__(self, project: Project, context: BuildContext | None):
        self.project, self.context = project, context
        self.changed = False
        basis = (project.codes, project.config.rules.words_per_minute) if context is not None else None
        if context is None:
            self.traces: dict[str, Trace] = {}
            return
        if context.compose_basis != basis:       # a fresh context, or the codebook changed
            context.composites.clear()
            context.compose_basis = basis
            context.composites.update(self._read(basis))    # what the last build left on disk
        self.traces = context.composites

    def get(self, slug: str) -> Trace | None:
        return self.traces.get(slug)

    def put(self, trace: Trace) -> None:
        self.traces[trace.story.slug] = trace
        self.changed = True

    def forget(self, slug: str) -> None:
        if self.traces.pop(slug, None) is not None:
            self.changed = True

    def save(self) -> None:
        """Drop deleted stories' traces; write the traces to disk when they changed."""
        live = {story.slug for story in self.project.stories}
        for slug in [slug for slug in self.traces if slug not in live]:
            self.forget(slug)
        if self.context is None or not self.changed:
            return
        entries = {slug: Trace(t.story, t.calls, t.digests, t.rendered, t.lines) for slug, t in self.traces.items()}
        path = self._path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            with temp.open("wb") as out:
                pickle.dump((self.context.compose_basis, entries), out, protocol=pickle.HIGHEST_PROTOCOL)
            temp.replace(path)
            for stale in path.parent.glob(f"traces-{_project_key(self.project.root)}-*.pickle"):
                if stale != path:           # left by other storygen code: never read again
                    stale.unlink()
        except OSError:             # a read-only project still builds, without the cache
            pass
        self.changed = False

    def _read(self, basis) -> dict[str, Trace]:
        try:
            with self._path().open("rb") as data:
                stored_basis, entries = pickle.load(data)
        except Exception:       # unreadable, truncated or foreign: only costs a full compose
            return {}
        return entries if stored_basis == basis else {}

    def _path(self) -> Path:
        root = self.project.root
        return cache_folder(root, "compose") / f"traces-{_project_key(root)}-{_code_key()}.pickle"


def _project_key(root: Path) -> str:
    """The project: the cache folder may be shared between projects through $STORYGEN_CACHE_DIR."""
    return hashlib.blake2b(str(root.resolve()).encode("utf-8"), digest_size=8).hexdigest()


def _code_key() -> str:
    """The code that composes: Jinja's and Python's versions and storygen's compose modules."""
    import jinja2

    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{jinja2.__version__} {sys.version_info[:2]}".encode())
    package = Path(__file__).resolve().parent.parent
    for name in _CODE:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()
