"""A draft never breaks the project: read it back, check it as `check --drafts` would, then write it.

The text is written to a temporary folder first and read back through the
project's own story reader; the story it gives must be the one intended, and
composing it with every other story must add no finding at all (C-rules) and
leave nothing the privacy guard would stop. Only then is it linked into
narratives/stories/ under a name no file has; a failure anywhere leaves the
project as it was.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...errors import CheckFailed, ProjectError
from ...model import Composite, Finding, Persona, Project, Story
from ...project import read_story_file, split_front_matter
from ..assemble import compose_all
from ..rules import check_composites

STORIES = Path("narratives") / "stories"


@dataclass
class Verdict:
    story: Story
    composite: Composite
    privacy: list                # unresolved privacy findings on the new story


@dataclass(frozen=True)
class Expected:
    title: str
    persona: Persona
    themes: tuple[str, ...]
    media: tuple[str, ...]
    mixed_roles: bool


def baseline(project: Project, existing: list[Composite]) -> set[tuple]:
    """The findings the project has before the draft: the draft must add none."""
    return {_key(f) for f in check_composites(project, existing)}


def verify(project: Project, before: set[tuple], slug: str, text: str, expected: Expected,
           guard, folder: Path) -> Verdict:
    """Read `text` back as story `slug` from a file in `folder`, and check it with every other story."""
    path = folder / f"{slug}.md"
    try:
        _write_file(path, text)
    except OSError as exc:
        raise ProjectError(f"cannot write the draft: {exc.strerror}; nothing was written", path=STORIES) from None
    try:
        story = read_story_file(project.root, path, project.codes)
    except ProjectError as exc:
        raise CheckFailed(f"the draft could not be read back ({exc.problem}); nothing was written") from None
    got = Expected(title=story.title, persona=story.persona, themes=story.themes, media=story.media,
                   mixed_roles=story.mixed_roles)
    if got != expected or story.status != "draft" or story.body != split_front_matter(text, path)[1]:
        raise CheckFailed(f"the draft read back differently from what was written ({got} != {expected}); "
                          f"nothing was written")
    with_draft = dataclasses.replace(project, stories=[*project.stories, story])
    composites = compose_all(with_draft, with_draft.stories)
    new = [f for f in check_composites(with_draft, composites) if _key(f) not in before]
    if new:
        details = "; ".join(f"{f.rule} {f.message}" for f in new)
        raise CheckFailed(f"the draft would not pass `check --drafts` ({details}); nothing was written")
    composite = composites[-1]
    privacy = []
    if guard is not None:
        privacy = [f for f in guard.check_composite(composite) if not f.resolved]
    return Verdict(story=story, composite=composite, privacy=privacy)


def _key(finding: Finding) -> tuple:
    return finding.rule, finding.story, finding.message


def scratch_folder(project: Project, dry_run: bool) -> Path:
    """Where a draft is read back from: beside the stories (same file system, so the final move is
    atomic), in a folder the story reader never looks into; for a dry run, the system's temp folder."""
    try:
        if dry_run:
            return Path(tempfile.mkdtemp(prefix="storygen-draft-"))
        stories = project.root / STORIES
        stories.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".draft-", dir=stories))
    except OSError as exc:
        raise ProjectError(f"cannot write a draft here: {exc.strerror}", path=STORIES,
                           hint="check that the folder exists and that you may write to it") from None


def free_slug(project: Project, wanted: str) -> str:
    taken = {s.slug for s in project.stories}
    folder = project.root / STORIES
    slug, n = wanted, 2
    while slug in taken or (folder / f"{slug}.md").exists():
        slug, n = f"{wanted}-{n}", n + 1
    return slug


def publish(project: Project, folder: Path, slug: str) -> Path:
    """Move the checked file into narratives/stories/ without ever replacing a file there."""
    source = folder / f"{slug}.md"
    target = project.root / STORIES / f"{slug}.md"
    try:
        os.link(source, target)         # fails if the name was taken meanwhile: nothing is replaced
    except FileExistsError:
        raise ProjectError(f"{STORIES / (slug + '.md')} appeared while the draft was being made; "
                           f"nothing was written", hint="run storygen draft again") from None
    except OSError:                     # a file system without hard links
        if target.exists():
            raise ProjectError(f"{STORIES / (slug + '.md')} already exists; nothing was written") from None
        try:
            os.replace(source, target)
        except OSError as exc:
            raise ProjectError(f"cannot write the draft: {exc.strerror}; nothing was written",
                               path=STORIES / f"{slug}.md") from None
    return target.relative_to(project.root)


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _write_file(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def privacy_culprits(guard, composite: Composite, findings: list) -> set[str]:
    """The chosen excerpts behind unresolved privacy findings, so the next choice can leave them out.

    A finding in one excerpt's text names that excerpt. A finding about the
    combination (R11, R15: identifying only together) is traced by taking each
    excerpt out in turn: an excerpt whose absence clears or changes it is a cause.
    """
    ids = set()
    for f in findings:
        if f.field == "excerpt" and f.span:
            ids |= {s.excerpt_id for s in composite.excerpt_segments if f.span in s.text}
    together = {(f.rule, f.span) for f in findings if f.field == "composite"}
    if together:
        for segment in composite.excerpt_segments:
            rest = tuple(s for s in composite.segments if s is not segment)
            left = {(f.rule, f.span) for f in guard.check_composite(Composite(composite.story, rest, composite.stats))
                    if f.field == "composite" and not f.resolved}
            if not together <= left:
                ids.add(segment.excerpt_id)
    return ids
