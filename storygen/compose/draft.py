"""`storygen draft`: start a story from eligible excerpts that already satisfies every rule.

The draft is a starting point for the team: excerpts from enough different
interviews, nobody dominating, nothing singular, withdrawn, non-consenting or
already used by a published story. If the data cannot support such a story,
the error says exactly what is missing.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

from ..errors import CheckFailed, ProjectError
from ..model import MEDIA, Excerpt, Project
from ..project import did_you_mean, load_project
from .assemble import compose_all, explicit_ids
from .rules import check_composites
from .select import eligible, natural_key

TARGET_QUOTED_WORDS = 320      # about two minutes spoken: a short video or a brief web story
ROLE_BANDS = {"staff": "a member of staff", "community": "someone using local services"}


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "story"


def write_draft(project_root: Path, *, theme: str, role: str | None = None, title: str | None = None) -> Path:
    project = load_project(project_root)
    if theme not in project.codes:
        raise ProjectError(f"there is no theme `{theme}`", path=project.root / "narratives" / "codebook.yaml",
                           hint=did_you_mean(theme, project.codes, "the codebook"))
    chosen = choose_excerpts(project, theme, role)
    code = project.codes[theme]
    title = title or code.name
    folder = project.root / "narratives" / "stories"
    folder.mkdir(parents=True, exist_ok=True)
    slug, n = slugify(title), 2
    while (folder / f"{slug}.md").exists():
        slug, n = f"{slugify(title)}-{n}", n + 1
    path = folder / f"{slug}.md"
    source_role = project.sources[chosen[0].source_id].role
    path.write_text(_story_text(title, code, source_role, chosen), encoding="utf-8")
    _verify(project_root, slug, path)
    return path.relative_to(project.root)


def choose_excerpts(project: Project, theme: str, role: str | None) -> list[Excerpt]:
    rules = project.config.rules
    approved = [s for s in project.stories if s.approved]
    taken = {seg.excerpt_id for c in compose_all(project, approved) for seg in c.excerpt_segments}
    taken |= set().union(*(explicit_ids(s) for s in project.stories)) if project.stories else set()
    on_theme = [e for e in project.excerpts.values() if any(project.codes[c].within(theme) for c in e.codes)]
    usable = [e for e in on_theme if eligible(project, e, MEDIA) and e.id not in taken]
    by_role: dict[str, dict[str, list[Excerpt]]] = defaultdict(lambda: defaultdict(list))
    for excerpt in usable:
        by_role[project.sources[excerpt.source_id].role][excerpt.source_id].append(excerpt)
    if role is None and by_role:
        role = max(sorted(by_role), key=lambda r: len(by_role[r]))
    groups = by_role.get(role, {}) if role else {}
    if len(groups) < rules.min_sources:
        raise ProjectError(_why_not(project, theme, role, on_theme, usable, groups, len(taken & {e.id for e in on_theme})),
                           hint="code more excerpts with this theme, record consent, or choose another theme or role")
    for items in groups.values():
        items.sort(key=lambda e: (not e.featured, natural_key(e.id)))
    order = sorted(groups, key=natural_key)
    picked: list[Excerpt] = []
    words = 0
    while words < TARGET_QUOTED_WORDS and any(groups[s] for s in order):
        for source_id in order:
            if groups[source_id] and words < TARGET_QUOTED_WORDS:
                excerpt = groups[source_id].pop(0)
                picked.append(excerpt)
                words += excerpt.words
    _rebalance(picked, rules.max_source_share)
    return picked


def _rebalance(picked: list[Excerpt], cap: float) -> None:
    """Drop the longest excerpt of whoever dominates until nobody exceeds the cap (C5)."""
    while True:
        totals: dict[str, int] = defaultdict(int)
        for e in picked:
            totals[e.source_id] += e.words
        quoted = sum(totals.values())
        top = max(totals, key=lambda s: (totals[s], s))
        if totals[top] / quoted <= cap:
            return
        theirs = [e for e in picked if e.source_id == top]
        if len(theirs) == 1:
            raise ProjectError(f"every selection is dominated by one interview ({totals[top]} of {quoted} words); "
                               f"the data on this theme cannot make a balanced composite yet",
                               hint="code shorter excerpts, or excerpts from more interviews, with this theme")
        picked.remove(max(theirs, key=lambda e: (e.words, e.id)))


def _why_not(project, theme, role, on_theme, usable, groups, taken_count) -> str:
    need = project.config.rules.min_sources
    parts = [f"no draft is possible for `{theme}`" + (f" in {role} voices" if role else "") +
             f": it needs excerpts from {need} different interviews, but only {len(groups)} qualify"]
    singular = sum(e.singular for e in on_theme)
    no_consent = sum(not e.singular and not all(project.sources[e.source_id].usable_for(m) for m in MEDIA)
                     for e in on_theme)
    details = [f"{len(on_theme)} excerpt(s) carry the theme", f"{singular} are marked singular",
               f"{no_consent} come from withdrawn or non-consenting interviews",
               f"{taken_count} are already used by other stories"]
    return parts[0] + " (" + "; ".join(details) + ")"


def _story_text(title: str, code, role: str, chosen: list[Excerpt]) -> str:
    quoted = '"' + title.replace('"', "'") + '"'
    lines = ["---", f"title: {quoted}",
             "summary: \"Write one sentence saying what this story shows.\"",
             "persona:", "  name: Alex", f"  role: {ROLE_BANDS.get(role, 'a ' + role)}",
             "  setting: a public service in England",
             "voice: first", f"themes: [{code.id}]", "status: draft", "media: [site, video]", "---",
             f"## {code.name}", "",
             "{# Add a sentence or two of bridge text where it helps; keep it under a fifth of the story. #}", ""]
    for excerpt in chosen:
        lines += [f'{{{{ excerpt("{excerpt.id}") }}}}', ""]
    return "\n".join(lines)


def _verify(project_root: Path, slug: str, path: Path) -> None:
    """Compose the new draft with the published stories and make sure every rule passes."""
    project = load_project(project_root)
    stories = [s for s in project.stories if s.approved or s.slug == slug]
    composites = compose_all(project, stories)
    findings = [f for f in check_composites(project, composites) if f.story == slug and f.rule != "C13"]
    if findings:
        path.unlink()
        details = "; ".join(f"{f.rule}: {f.message}" for f in findings)
        raise CheckFailed(f"could not assemble a draft that passes every rule ({details})")
