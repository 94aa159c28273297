"""The integrity rules every composite must pass before it is published.

Rule ids follow ../shared/knowledge/composites.md (C3–C15). Each finding names
the story, the rule, the numbers and the fix. These messages go to the team's
terminal, never to a published file, so they may name source ids.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..model import Composite, Finding, Origin, Project

VIDEO_WORD_CAP = 750            # C15: the hard cap on a video script, in words


@dataclass(frozen=True)
class Limits:
    """The thresholds `check` applies, and the tests it applies them with.

    One definition for two users: `check_one` below, and `storygen draft`, which
    searches for a selection of excerpts that these same tests will pass.
    """

    min_sources: int            # C4
    max_source_share: float     # C5
    max_bridge_share: float     # C3
    min_theme_sources: int      # C11
    homogeneous_role: bool      # C6
    no_reuse: bool              # C10

    @classmethod
    def of(cls, project: Project) -> "Limits":
        rules = project.config.rules
        return cls(min_sources=rules.min_sources, max_source_share=rules.max_source_share,
                   max_bridge_share=rules.max_bridge_share, min_theme_sources=rules.min_theme_sources,
                   homogeneous_role=rules.homogeneous_role, no_reuse=rules.no_reuse)

    def dominates(self, source_words: int, quoted_words: int) -> bool:
        """C5: does a source supplying this many of the quoted words exceed the share?"""
        return quoted_words > 0 and source_words / quoted_words > self.max_source_share

    def bridge_too_long(self, bridge_words: int, total_words: int) -> bool:
        """C3: is this much authored text (bridge and headings) too large a share of the story?"""
        return total_words > 0 and bridge_words / total_words > self.max_bridge_share

    def bridge_room(self, quoted_words: int) -> int:
        """C3: the most authored words (bridge text and headings) a story quoting this many words may carry."""
        if self.max_bridge_share >= 1:
            return 10 * quoted_words          # no limit set: "plenty" is enough for a draft to say
        room = int(self.max_bridge_share * quoted_words / (1 - self.max_bridge_share))
        # The formula can be one off at the boundary (float rounding): agree with the test exactly.
        while room > 0 and self.bridge_too_long(room, quoted_words + room):
            room -= 1
        while not self.bridge_too_long(room + 1, quoted_words + room + 1):
            room += 1
        return room

    def sources_for_one_theme(self) -> int:
        """Distinct sources a story claiming one theme needs: C4, and C11 for that theme."""
        return max(self.min_sources, self.min_theme_sources)


def over_video_cap(total_words: int, media) -> bool:
    """C15: a story published as a video may not run past the cap."""
    return "video" in media and total_words > VIDEO_WORD_CAP


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def check_composites(project: Project, composites: list[Composite]) -> list[Finding]:
    """Check every composite that is about to be published. Returns findings, worst first."""
    findings: list[Finding] = []
    for composite in composites:
        findings.extend(check_one(project, composite))
    findings.extend(check_reuse(project, composites))
    return findings


def check_one(project: Project, composite: Composite) -> list[Finding]:
    rules = Limits.of(project)
    story, stats = composite.story, composite.stats
    found: list[Finding] = []

    def add(rule: str, message: str, hint: str, line: int | None = None, action: str = "block"):
        origin = Origin(story.origin.path, line or 1) if story.origin else None
        found.append(Finding(rule=rule, action=action, message=message, hint=hint, story=story.slug, origin=origin))

    if story.status == "approved" and not (story.reviewer and story.reviewed_on):
        add("C13", "the story is approved but has no reviewer or review date",
            "record who approved it: `reviewer:` and `reviewed_on: YYYY-MM-DD`")
    if not composite.excerpt_segments:
        add("C4", "the story quotes no excerpts", "pull excerpts in with {{ excerpt(\"ID\") }} or {{ excerpts(...) }}",
            story.body_line)
        return found
    if len(stats.sources) < rules.min_sources:
        add("C4", f"draws on {len(stats.sources)} source(s) ({', '.join(stats.sources)}); "
                  f"a composite needs at least {rules.min_sources}",
            "add excerpts from other interviews so that no one person's story is told", story.body_line)
    for source_id in stats.sources:
        share = stats.source_share(source_id)
        if rules.dominates(stats.source_words[source_id], stats.quoted_words):
            add("C5", f"source {source_id} supplies {_pct(share)} of the quoted words "
                      f"({stats.source_words[source_id]} of {stats.quoted_words}); the limit is "
                      f"{_pct(rules.max_source_share)}",
                f"shorten or replace some of {source_id}'s excerpts, or add words from other sources",
                _first_line(composite, source_id))
    if rules.bridge_too_long(stats.bridge_words, stats.total_words):
        add("C3", f"bridge text is {_pct(stats.bridge_share)} of the words ({stats.bridge_words} of "
                  f"{stats.total_words}); the limit is {_pct(rules.max_bridge_share)}",
            "cut connecting text or headings, or quote more: the story should be told in participants' words",
            story.body_line)
    for theme, backing in stats.theme_sources.items():
        if len(backing) < rules.min_theme_sources:
            add("C11", f"claims theme `{theme}` but only {len(backing)} source(s) back it"
                       f"{' (' + ', '.join(backing) + ')' if backing else ''}; at least "
                       f"{rules.min_theme_sources} are needed",
                f"add an excerpt coded `{theme}` from another source, or drop the theme")
    roles = sorted({project.sources[s].role for s in stats.sources})
    if rules.homogeneous_role and not story.mixed_roles and len(roles) > 1:
        add("C6", f"mixes voices of different roles ({', '.join(roles)})",
            "keep to one role, or add `mixed_roles: yes` to the front matter if the story is about both")
    for segment in composite.excerpt_segments:
        excerpt = project.excerpts[segment.excerpt_id]
        source = project.sources[segment.source_id]
        if excerpt.singular:
            add("C9", f"uses excerpt {excerpt.id}, which a reviewer marked singular (too identifying)",
                f"remove {{{{ excerpt(\"{excerpt.id}\") }}}} from the story", segment.line)
        if source.withdrawn:
            add("C12", f"uses excerpt {excerpt.id} from source {source.id}, who has withdrawn",
                f"remove excerpt {excerpt.id}; withdrawn sources must vanish from every output", segment.line)
            continue
        for medium in story.media:
            if not source.usable_for(medium):
                what = "composite use" if not source.consent.composite else medium
                add("C12", f"uses excerpt {excerpt.id} from source {source.id}, who has not consented to {what}",
                    f"remove excerpt {excerpt.id}, or take `{medium}` out of the story's media", segment.line)
    if over_video_cap(stats.total_words, story.media):
        add("C15", f"is {stats.total_words} words; a video script is capped at {VIDEO_WORD_CAP}",
            "shorten the story, or publish it on the site only (`media: [site]`)")
    return found


def check_reuse(project: Project, composites: list[Composite]) -> list[Finding]:
    """C10: an excerpt appears in at most one published story (prevents triangulation)."""
    if not project.config.rules.no_reuse:
        return []
    users: dict[str, list[Composite]] = defaultdict(list)
    for composite in composites:
        for excerpt_id in dict.fromkeys(s.excerpt_id for s in composite.excerpt_segments):
            users[excerpt_id].append(composite)
    found = []
    for excerpt_id, stories in sorted(users.items()):
        if len(stories) > 1:
            slugs = ", ".join(c.story.slug for c in stories)
            for composite in stories[1:]:
                line = next((s.line for s in composite.excerpt_segments if s.excerpt_id == excerpt_id), None)
                found.append(Finding(
                    rule="C10", action="block", story=composite.story.slug,
                    origin=Origin(composite.story.origin.path, line or 1),
                    message=f"excerpt {excerpt_id} is used by more than one published story ({slugs})",
                    hint="keep it in one story and choose another excerpt for the others"))
    return found


def _first_line(composite: Composite, source_id: str) -> int | None:
    return next((s.line for s in composite.excerpt_segments if s.source_id == source_id), None)
