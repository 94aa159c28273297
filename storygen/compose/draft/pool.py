"""Which excerpts a draft may choose from, and why each of the others may not be used.

The pool holds every excerpt coded with the theme that a published story could
quote: not singular (C9), from a source that has not withdrawn and consents to
composite use and to each requested medium (C12), not already in another story
(C10), not left out by the user's options. Every excerpt left out is counted
under the first reason that rules it out, so a refusal can say exactly where
the material went.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..select import natural_key
from .request import DraftRequest

# The reasons an excerpt on the theme is not in the pool, in the order they are tested.
REASONS = {
    "excluded": "left out with --exclude",
    "sub": "coded only with sub-themes --sub does not name",
    "singular": "marked singular (C9)",
    "withdrawn": "withdrawn (C12)",
    "composite": "no consent to composite use (C12)",
    "site": "no consent to the web (C12)",
    "video": "no consent to video (C12)",
    "taken": "already in another story (C10)",
    "privacy": "set off the privacy guard in this selection",
    "sector": "another sector than --sector",
    "role": "another role than --role",
}


@dataclass(frozen=True)
class Candidate:
    """An excerpt a draft may quote, with what the search and the shaping need to know."""

    id: str
    source: str
    words: int
    featured: bool
    chapter: str                # the chapter it belongs in: the theme's sub-code it is coded with
    order: int                  # codebook position of its most specific code: progression within a chapter
    sector: str
    role: str
    key: tuple                  # natural order of the id: the last word on every tie


@dataclass
class Pool:
    """Candidates of one role (or of every role, when stories may mix them)."""

    role: str | None
    candidates: list[Candidate]
    sources: int = 0

    def __post_init__(self):
        self.candidates.sort(key=lambda c: c.key)
        self.sources = len({c.source for c in self.candidates})


@dataclass
class Survey:
    """Everything about the theme's material that a refusal may need to quote."""

    on_theme: int = 0
    on_theme_sources: int = 0
    left_out: Counter = field(default_factory=Counter)     # reason -> excerpts
    left_out_sources: dict = field(default_factory=dict)   # reason -> source ids
    pools: list[Pool] = field(default_factory=list)        # largest first

    def count(self, reason: str, source_id: str) -> None:
        self.left_out[reason] += 1
        self.left_out_sources.setdefault(reason, set()).add(source_id)


def survey(project, request: DraftRequest, taken: set[str], flagged: set[str] = frozenset()) -> Survey:
    """Sort every excerpt on the theme into a pool per role, or a reason it cannot be used.

    `taken`: ids used by other stories; `flagged`: ids the privacy guard stops.
    Excerpts too long for a video stay in the pool: the search skips them, and a
    refusal must weigh them (a balanced selection longer than a video is C15, not C5).
    """
    codes = project.codes
    theme = request.theme
    result = Survey()
    by_role: dict[str | None, list[Candidate]] = {}
    sources_on_theme = set()
    on_theme = {code_id for code_id, code in codes.items() if code.within(theme)}
    for excerpt in project.excerpts.values():
        within = [c for c in excerpt.codes if c in on_theme]
        if not within:
            continue
        result.on_theme += 1
        source = project.sources[excerpt.source_id]
        sources_on_theme.add(source.id)
        if request.subs:
            within = [c for c in within if any(codes[c].within(sub) for sub in request.subs)]
        reason = _left_out(excerpt, source, within, request, taken) \
            or ("privacy" if excerpt.id in flagged else None)
        if reason:
            result.count(reason, source.id)
            continue
        most_specific = min(within, key=lambda c: (-c.count("/"), codes[c].order))
        chapter = min((_chapter_of(c, theme) for c in within), key=lambda c: codes[c].order)
        role = None if not project.config.rules.homogeneous_role else source.role
        if request.role is not None and source.role != request.role:
            result.count("role", source.id)
            continue
        by_role.setdefault(role, []).append(Candidate(
            id=excerpt.id, source=source.id, words=excerpt.words, featured=excerpt.featured,
            chapter=chapter, order=codes[most_specific].order, sector=source.sector, role=source.role,
            key=tuple(natural_key(excerpt.id))))
    result.on_theme_sources = len(sources_on_theme)
    result.pools = sorted((Pool(role, items) for role, items in by_role.items()),
                          key=lambda p: (-p.sources, p.role or ""))
    return result


def _left_out(excerpt, source, within, request: DraftRequest, taken) -> str | None:
    if excerpt.id in request.exclude:
        return "excluded"
    if not within:
        return "sub"
    if excerpt.singular:
        return "singular"
    if source.withdrawn:
        return "withdrawn"
    if not source.consent.composite:
        return "composite"
    for medium in request.media:
        if not source.usable_for(medium):
            return medium
    if excerpt.id in taken:
        return "taken"
    if request.sector is not None and source.sector != request.sector:
        return "sector"
    return None


def _chapter_of(code_id: str, theme: str) -> str:
    """The theme's direct sub-code that holds `code_id` (or the theme itself)."""
    if code_id == theme:
        return theme
    rest = code_id[len(theme) + 1:]
    return theme + "/" + rest.split("/", 1)[0]
