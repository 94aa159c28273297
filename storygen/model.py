"""The domain, as plain data: codes, sources, excerpts, stories, composites.

Readers and importers produce these objects; compose turns stories into
composites; renderers (site, video) consume composites. Nothing here reads or
writes files. Every object that came from a file remembers where (`origin`), so
an error about it can name the file and line.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

STATUSES = ("draft", "reviewed", "approved")
MEDIA = ("site", "video", "report")
VOICES = ("first", "third")


@dataclass(frozen=True)
class Origin:
    """Where something was read from: a project-relative path and a 1-based line."""

    path: Path
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


def normalise_text(text: str) -> str:
    """Unicode NFC with runs of whitespace collapsed: the form verbatim checks compare."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_hash(text: str) -> str:
    """Short, stable fingerprint of an excerpt's words (used by provenance and sign-offs)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:16]


def count_words(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class Code:
    """A theme or sub-theme. `id` is a path: `working-together/shared-records`."""

    id: str
    name: str
    description: str = ""
    colour: str = "#555555"
    order: int = 0
    origin: Origin | None = None

    @property
    def parent_id(self) -> str | None:
        return self.id.rsplit("/", 1)[0] if "/" in self.id else None

    @property
    def top_id(self) -> str:
        return self.id.split("/", 1)[0]

    def within(self, other_id: str) -> bool:
        """True when this code is `other_id` or one of its descendants."""
        return self.id == other_id or self.id.startswith(other_id + "/")


@dataclass(frozen=True)
class Consent:
    composite: bool = False
    web: bool = False
    video: bool = False
    report: bool | None = None     # unstated: the `web` consent (a report is published like the site)

    def allows(self, medium: str) -> bool:
        if medium == "report":
            return self.composite and (self.web if self.report is None else self.report)
        return self.composite and getattr(self, "web" if medium == "site" else medium)


@dataclass(frozen=True)
class Source:
    """One interview, under a pseudonymous id. Attributes are coarse bands only."""

    id: str
    role: str                      # e.g. "staff", "community" (person using services)
    sector: str                    # e.g. "council", "health", "housing"
    consent: Consent = field(default_factory=Consent)
    withdrawn: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    origin: Origin | None = None

    def usable_for(self, medium: str) -> bool:
        return not self.withdrawn and self.consent.allows(medium)


@dataclass(frozen=True)
class Excerpt:
    """A verbatim passage from one source's interview, coded with themes."""

    id: str
    source_id: str
    text: str
    codes: tuple[str, ...]
    featured: bool = False
    singular: bool = False         # a reviewer judged it identifying: never used (C9)
    memo: str = ""
    origin: Origin | None = None

    @property
    def text_hash(self) -> str:
        return text_hash(self.text)

    @property
    def words(self) -> int:
        return count_words(self.text)


@dataclass(frozen=True)
class Persona:
    """The invented character a composite is told by or about."""

    name: str
    role: str
    setting: str


@dataclass(frozen=True)
class Picture:
    """An image from assets/ with the text that must travel with it."""

    image: str                     # path relative to assets/
    alt: str                       # required unless decorative
    credit: str = ""
    caption: str = ""
    decorative: bool = False


@dataclass(frozen=True)
class Story:
    """A composite definition: front matter plus a Markdown+Jinja2 body."""

    slug: str
    title: str
    summary: str
    persona: Persona
    voice: Literal["first", "third"]
    themes: tuple[str, ...]
    status: Literal["draft", "reviewed", "approved"]
    reviewer: str = ""
    reviewed_on: str = ""          # ISO date
    media: tuple[str, ...] = MEDIA
    body: str = ""
    body_line: int = 1             # line in the file where the body starts
    mixed_roles: bool = False      # C6: story deliberately mixes staff and community voices
    content_note: str = ""
    images: tuple[Picture, ...] = ()  # the first is the hero; all may appear as video slides
    narration: str = ""            # optional recorded narration file under assets/
    video_formats: tuple[str, ...] = ("16:9",)
    origin: Origin | None = None

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def hero(self) -> Picture | None:
        return self.images[0] if self.images else None

    @property
    def file(self) -> str:
        """The story's file, project-relative, as every error about the story names it."""
        return str(self.origin.path) if self.origin else f"narratives/stories/{self.slug}.md"


@dataclass(frozen=True)
class Segment:
    """One piece of a composite, in reading order.

    kind:
      heading  – an authored chapter heading (`level` 2..4)
      bridge   – authored connecting text (Markdown, trusted as the team's own words)
      excerpt  – verbatim words of a source; `excerpt_id`, `source_id`, `text_hash` are the
                 private provenance and must never reach a published file
    """

    kind: Literal["heading", "bridge", "excerpt"]
    text: str
    excerpt_id: str | None = None
    source_id: str | None = None
    text_hash: str | None = None
    level: int = 0
    codes: tuple[str, ...] = ()
    line: int | None = None        # line in the story file that produced this segment

    @property
    def words(self) -> int:
        return count_words(self.text)


@dataclass(frozen=True)
class CompositeStats:
    sources: tuple[str, ...]                 # distinct source ids, sorted
    source_words: dict[str, int]             # quoted words per source
    quoted_words: int
    bridge_words: int                        # bridge text and headings
    total_words: int
    theme_sources: dict[str, tuple[str, ...]]  # claimed theme -> sources backing it
    duration_seconds: float                  # estimated spoken duration

    @property
    def bridge_share(self) -> float:
        return self.bridge_words / self.total_words if self.total_words else 0.0

    def source_share(self, source_id: str) -> float:
        return self.source_words.get(source_id, 0) / self.quoted_words if self.quoted_words else 0.0


@dataclass(frozen=True)
class Composite:
    story: Story
    segments: tuple[Segment, ...]
    stats: CompositeStats

    @property
    def excerpt_segments(self) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if s.kind == "excerpt")

    @property
    def contributors(self) -> int:
        """How many accounts the composite draws on: the number disclosed publicly."""
        return len(self.stats.sources)


Action = Literal["block", "signoff", "warn"]


@dataclass(frozen=True)
class Finding:
    """A problem found by an integrity rule (C…) or the privacy guard (R…).

    `action`: block stops the build; signoff stops it until a reviewer records a
    decision; warn is listed only.
    """

    rule: str
    action: Action
    message: str
    hint: str = ""
    story: str | None = None
    origin: Origin | None = None
    span: str = ""

    def format(self) -> str:
        where = f"{self.origin}: " if self.origin else ""
        story = f"[{self.story}] " if self.story else ""
        span = f" — “{self.span}”" if self.span else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{where}{story}{self.rule} {self.action.upper()}{span} — {self.message}{hint}"


@dataclass
class Project:
    """Everything read from a project folder, validated and cross-referenced."""

    root: Path
    config: "object"               # storygen.config.Config (kept loose to avoid an import cycle)
    codes: dict[str, Code]
    sources: dict[str, Source]
    excerpts: dict[str, Excerpt]
    stories: list[Story]

    def code(self, code_id: str) -> Code:
        return self.codes[code_id]

    def story(self, slug: str) -> Story | None:
        return next((s for s in self.stories if s.slug == slug), None)


def provenance_ids(project: Project, composites) -> dict[str, str]:
    """Every private provenance value that must never appear in a published file, with what
    it is: each source id, excerpt id and excerpt text hash in the project, and those the
    composites' segments carry. The one definition both id scans read (the privacy output
    scan, and the site's own scan when the guard is off or in a `serve` preview), so the two
    search for the same values."""
    ids: dict[str, str] = {}
    for sid in project.sources:
        ids.setdefault(sid, "a source id (private provenance)")
    for ex in project.excerpts.values():
        ids.setdefault(ex.id, "an excerpt id (private provenance)")
        ids.setdefault(ex.text_hash, "an excerpt text hash (private provenance)")
    for comp in composites:
        for seg in comp.excerpt_segments:
            for value, label in ((seg.excerpt_id, "an excerpt id"), (seg.source_id, "a source id"),
                                 (seg.text_hash, "an excerpt text hash")):
                if value:
                    ids.setdefault(value, f"{label} (private provenance)")
    return {k: v for k, v in ids.items() if k}

