"""Terminal views for the team: `storygen stories`, `tags` and `audit`.

These print to the terminal only. `audit` shows private provenance (which
source said what) and must never be wired into anything that writes files.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from .compose.assemble import compose_all
from .project import load_project, require_story


def _table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _duration(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(round(seconds % 60)):02d}"


def stories_table(project_root: Path) -> str:
    project = load_project(project_root)
    if not project.stories:
        return "no stories yet — start one with `storygen draft --theme CODE`"
    composites = compose_all(project, project.stories)
    rows = [[c.story.slug, c.story.status, str(len(c.stats.sources)), str(c.stats.total_words),
             _duration(c.stats.duration_seconds), ",".join(c.story.media)] for c in composites]
    return _table(["story", "status", "sources", "words", "duration", "media"], rows, right={2, 3, 4})


def tags_table(project_root: Path) -> str:
    project = load_project(project_root)
    rows = []
    for code in project.codes.values():
        tagged = [e for e in project.excerpts.values() if any(project.codes[c].within(code.id) for c in e.codes)]
        depth = code.id.count("/")
        rows.append(["  " * depth + code.id.rsplit("/", 1)[-1], code.name, str(len(tagged)),
                     str(len({e.source_id for e in tagged}))])
    return _table(["code", "name", "excerpts", "sources"], rows, right={2, 3})


def audit_story(project_root: Path, slug: str) -> str:
    project = load_project(project_root)
    story = require_story(project, slug)
    composite = next(c for c in compose_all(project, project.stories) if c.story.slug == slug)
    stats = composite.stats
    lines = [f"PRIVATE — provenance of `{slug}` ({story.status}); do not share outside the review team", ""]
    for index, segment in enumerate(composite.segments, 1):
        if segment.kind == "excerpt":
            label = f"{segment.source_id} · {segment.excerpt_id} · {segment.text_hash}"
        else:
            label = "authored " + segment.kind
        text = textwrap.shorten(segment.text, 90, placeholder=" …")
        lines.append(f"{index:>3}  {label}\n     {text}")
    lines += ["", f"sources: {len(stats.sources)}; quoted words: {stats.quoted_words}; "
                  f"bridge: {stats.bridge_words} ({stats.bridge_share:.0%})"]
    for source_id in stats.sources:
        lines.append(f"  {source_id}: {stats.source_words[source_id]} words ({stats.source_share(source_id):.0%})")
    for theme, backing in stats.theme_sources.items():
        lines.append(f"  theme {theme}: backed by {', '.join(backing) or 'nobody'}")
    return "\n".join(lines)
