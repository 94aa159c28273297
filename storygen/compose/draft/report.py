"""What `storygen draft` tells the team: one line when written, the whole plan with --dry-run.

Terminal only: these lines may name excerpt and source ids (as `check` and
`audit` do); nothing here reaches a published file.
"""
from __future__ import annotations

from ..rules import VIDEO_WORD_CAP
from . import Draft
from .pool import Candidate


def summary_line(draft: Draft) -> str:
    chosen = draft.selection.chosen
    sources = len({c.source for c in chosen})
    lines = [f"wrote {draft.path}: {len(chosen)} excerpts from {sources} interviews in "
             f"{len(draft.chapters)} chapter(s), {draft.budget.quoted} words quoted, room for "
             f"{draft.budget.room} words of bridge text — edit it, then `storygen check --drafts`"]
    lines += [f"note: {note}" for note in draft.notes]
    return "\n".join(lines)


def plan_text(draft: Draft) -> str:
    request, chosen = draft.request, draft.selection.chosen
    per_source: dict[str, int] = {}
    for c in chosen:
        per_source[c.source] = per_source.get(c.source, 0) + c.words
    quoted = draft.budget.quoted
    top = max(per_source, key=lambda s: (per_source[s], s))
    voices = f"{draft.role} voices" if draft.role else "every role"
    lines = [f"draft plan for `{request.theme}` ({voices}; for {' and '.join(request.media)}) — nothing written",
             f"  file:    narratives/stories/{draft.slug}.md",
             f"  title:   {draft.title}",
             f"  persona: {draft.persona.name}, {draft.persona.role}, {draft.persona.setting}", ""]
    for chapter in draft.chapters:
        lines.append(f"  ## {chapter.heading}")
        lines += [f"    {_row(c)}" for c in chapter.excerpts]
    lines += ["", "  rule figures:",
              f"    C4   interviews         {len(per_source)} (at least {draft.limits.sources_for_one_theme()})",
              f"    C5   largest share      {per_source[top] / quoted * 100:.0f} % — {top}, {per_source[top]} of "
              f"{quoted} words",
              f"    C3   bridge text        {draft.budget.room} words free ({draft.budget.headings} used by headings)"]
    if "video" in request.media:
        lines.append(f"    C15  video length       {draft.budget.total} of {VIDEO_WORD_CAP} words")
    lines.append(f"    length                  {quoted} words quoted, aiming at "
                 f"{request.quoted_target(draft.limits.max_bridge_share)} (story of about {request.story_words})")
    lines += [f"  note: {note}" for note in draft.notes]
    return "\n".join(lines)


def _row(c: Candidate) -> str:
    return f"{c.id:<12} {c.words:>5} words  {c.source:<10} {c.sector}{'  featured' if c.featured else ''}"
