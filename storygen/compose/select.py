"""Which excerpts a story may use, and the deterministic order queries return them in."""
from __future__ import annotations

import re

from ..model import Excerpt, Project, Story


def natural_key(text: str):
    """Sort `S2-10` after `S2-9`: ids are compared number by number, not character by character."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def eligible(project: Project, excerpt: Excerpt, media: tuple[str, ...]) -> bool:
    """May this excerpt appear in a story published in `media`? (C9, C12)"""
    source = project.sources[excerpt.source_id]
    return not excerpt.singular and all(source.usable_for(medium) for medium in media)


def matches(project: Project, excerpt: Excerpt, codes: tuple[str, ...], role: str | None,
            sector: str | None, featured: bool | None) -> bool:
    source = project.sources[excerpt.source_id]
    if role is not None and source.role != role:
        return False
    if sector is not None and source.sector != sector:
        return False
    if featured is not None and excerpt.featured != featured:
        return False
    if codes and not any(project.codes[c].within(want) for c in excerpt.codes for want in codes):
        return False
    return True


def query(project: Project, story: Story, *, codes: tuple[str, ...] = (), role: str | None = None,
          sector: str | None = None, featured: bool | None = None, count: int | None = None,
          skip=frozenset()) -> list[Excerpt]:
    """Excerpts matching a story's query, featured first, then by id (C16).

    Ineligible excerpts (singular, withdrawn or non-consenting sources) and ids
    in `skip` (already used in this story, or claimed by another story) never
    come back, so a query cannot smuggle them into a composite.
    """
    found = [e for e in project.excerpts.values()
             if e.id not in skip and eligible(project, e, story.media)
             and matches(project, e, codes, role, sector, featured)]
    found.sort(key=lambda e: (not e.featured, natural_key(e.id)))
    return found if count is None else found[:count]
