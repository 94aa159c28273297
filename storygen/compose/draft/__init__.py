"""`storygen draft`: start a story that already satisfies every rule, shaped like a story.

    request  (request.py)  what was asked, checked against the project
    survey   (pool.py)     which excerpts on the theme may be used, and why the others may not
    choose   (search.py)   the best selection the rules allow; exact.py proves when there is none
    shape    (shape.py)    chapters, persona, bridge budget, the file's text
    verify   (write.py)    read back, checked as `check --drafts` would, then written atomically

If the data cannot support a story, the error names the binding rule with numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import CheckFailed, ProjectError
from ...model import Persona, Project
from ...project import load_project
from ..assemble import compose_all
from ..rules import VIDEO_WORD_CAP, Limits
from . import shape, write
from .pool import REASONS, Pool, survey
from .request import DraftRequest, checked
from .search import Goal, Refusal, Selection, choose

GUARD_ROUNDS = 8        # times to choose again around what the privacy guard stops


@dataclass
class Draft:
    """A draft made and checked: what `storygen draft` writes or, with --dry-run, shows."""

    slug: str
    title: str
    role: str | None
    persona: Persona
    request: DraftRequest
    limits: Limits
    selection: Selection
    chapters: list[shape.Chapter]
    budget: shape.Budget
    text: str
    figures: str
    path: Path | None = None                      # set once written
    notes: list[str] = field(default_factory=list)


def write_draft(project_root: Path, *, theme: str, role: str | None = None, sector: str | None = None,
                subs=(), exclude=(), media=(), words: int | None = None, title: str | None = None,
                dry_run: bool = False) -> Draft:
    """Make a draft story on `theme`, check it, and (unless `dry_run`) write it to narratives/stories/."""
    project = load_project(project_root)
    request = checked(project, theme=theme, role=role, sector=sector, subs=subs, exclude=exclude, media=media,
                      words=words, title=title)
    return make_draft(project, request, dry_run=dry_run)


def make_draft(project: Project, request: DraftRequest, *, dry_run: bool = False) -> Draft:
    title = _title(project, request)
    existing = compose_all(project, project.stories)          # as `check --drafts` composes them
    limits = Limits.of(project)
    taken = {seg.excerpt_id for c in existing for seg in c.excerpt_segments} if limits.no_reuse else set()
    names = {s.persona.name for s in project.stories}
    before = write.baseline(project, existing)
    guard = _guard(project)
    flagged: dict[str, str] = {}        # excerpt id -> the privacy rule it set off
    plain_persona = False               # the guard objected to the persona's role or setting
    skip_names: set[str] = set()
    folder = write.scratch_folder(project, dry_run)
    try:
        for _ in range(GUARD_ROUNDS):
            selection, pool_role = _choose(project, request, limits, taken, set(flagged))
            draft = _shape(project, request, limits, title, selection, pool_role,
                           shape.persona(project, selection.chosen, pool_role, names, plain=plain_persona,
                                         skip_names=frozenset(skip_names)))
            verdict = write.verify(project, before, draft.slug, draft.text, _expected(draft, limits),
                                   guard, folder)
            if not verdict.privacy:
                break
            fields = {f.field for f in verdict.privacy}
            if fields & {"title", "slug"}:
                raise CheckFailed("the privacy guard stops this title: " + _describe(verdict.privacy),
                                  hint="choose a working title with no names, places or contact details")
            if fields & {"persona setting", "persona role"}:
                if plain_persona:
                    raise CheckFailed("the privacy guard stops even the plainest persona: "
                                      + _describe(verdict.privacy), hint="check the roles in sources.yaml")
                plain_persona = True
            elif "persona name" in fields:
                skip_names.add(draft.persona.name)
            else:
                culprits = write.privacy_culprits(guard, verdict.composite, verdict.privacy) - set(flagged)
                if not culprits:
                    raise CheckFailed("the privacy guard stops every draft on this theme: "
                                      + _describe(verdict.privacy),
                                      hint="review the findings with `storygen check --drafts` after drafting "
                                           "by hand, or record sign-offs (docs/privacy.md)")
                rules = "/".join(sorted({f.rule for f in verdict.privacy}))
                flagged.update((excerpt_id, rules) for excerpt_id in culprits)
        else:
            raise CheckFailed("the privacy guard kept finding problems in the chosen excerpts: "
                              + _describe(verdict.privacy), hint="review them with `storygen check`")
        if flagged:
            listed = ", ".join(f"{i} ({rule})" for i, rule in sorted(flagged.items()))
            draft.notes.append(f"left out excerpts that set off the privacy guard in this selection, which a "
                               f"reviewer would have to sign off: {listed}")
        if not dry_run:
            draft.path = write.publish(project, folder, draft.slug)
        return draft
    finally:
        write.discard(folder)


def _title(project: Project, request: DraftRequest) -> str:
    if request.title is None:
        return shape.one_line(project.codes[request.theme].name) or request.theme
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in request.title):
        raise ProjectError("the title holds bytes that are not text (not UTF-8)",
                           hint="type the title again, or set your terminal to UTF-8")
    title = shape.one_line(request.title)
    if not title:
        raise ProjectError("the title is empty", hint="give a working title with --title, or leave it out "
                                                      "to use the theme's name")
    return title


def _guard(project: Project):
    if not project.config.privacy.enabled:
        return None
    from ...privacy.guard import Guard

    return Guard(project)


def _choose(project: Project, request: DraftRequest, limits: Limits, taken: set[str],
            flagged: set[str]) -> tuple[Selection, str | None]:
    need = limits.sources_for_one_theme()
    target = request.quoted_target(limits.max_bridge_share)
    cap = VIDEO_WORD_CAP if "video" in request.media else None
    found = survey(project, request, taken, flagged)
    refusals: list[tuple[Pool, Refusal]] = []
    for pool in found.pools:
        if pool.sources < need:
            continue
        try:
            return choose(pool.candidates, Goal(limits=limits, need=need, target=target, cap=cap)), pool.role
        except Refusal as refusal:
            refusals.append((pool, refusal))
    raise _refusal(request, limits, need, found, refusals)


def _shape(project, request, limits, title, selection: Selection, role, persona) -> Draft:
    parts = shape.chapters(project, selection.chosen)
    room, with_headings = shape.budget(limits, selection.chosen, parts, request.media)
    sources = {c.source for c in selection.chosen}
    per_source: dict[str, int] = {}
    for c in selection.chosen:
        per_source[c.source] = per_source.get(c.source, 0) + c.words
    top = max(per_source.values()) / room.quoted
    figures = (f"storygen draft: {len(selection.chosen)} excerpts from {len(sources)} interviews "
               f"(at least {limits.sources_for_one_theme()} needed); the largest share of the quoted words is "
               f"{top * 100:.0f} % (limit {limits.max_source_share * 100:.0f} %); {room.quoted} words quoted, "
               f"aiming at {request.quoted_target(limits.max_bridge_share)}; bridge text may add up to "
               f"{room.room} words (C3: at most {limits.max_bridge_share * 100:.0f} % of the story, "
               f"headings included" + (f"; C15: a video script at most {VIDEO_WORD_CAP}" if "video" in
                                       request.media else "") + ").")
    front = {"title": title, "summary": shape.SUMMARY,
             "persona": {"name": persona.name, "role": persona.role, "setting": persona.setting},
             "voice": "first" if "video" in request.media else "third",
             "themes": [request.theme], "status": "draft", "media": list(request.media)}
    mixed = len({c.role for c in selection.chosen}) > 1 and not limits.homogeneous_role
    if mixed:
        front["mixed_roles"] = "yes"
    text = shape.front_matter(front) + shape.body(parts, room, with_headings, figures)
    wanted = shape.slugify(title) or shape.slugify(project.codes[request.theme].name) or "story"
    draft = Draft(slug=write.free_slug(project, wanted), title=title, role=role, persona=persona,
                  request=request, limits=limits, selection=selection, chapters=parts, budget=room, text=text, figures=figures)
    target = request.quoted_target(limits.max_bridge_share)
    if selection.note:
        draft.notes.append(selection.note)
    elif abs(room.quoted - target) > target / 4:
        how = "the closest the rules and the material allow" if selection.closest else \
            "the closest the search found in time"
        draft.notes.append(f"{room.quoted} words quoted, aiming at {target}: {how}")
    return draft


def _expected(draft: Draft, limits: Limits) -> write.Expected:
    mixed = len({c.role for c in draft.selection.chosen}) > 1 and not limits.homogeneous_role
    return write.Expected(title=draft.title, persona=draft.persona, themes=(draft.request.theme,),
                          media=draft.request.media, mixed_roles=mixed)


def _describe(findings) -> str:
    return "; ".join(f"{f.rule} {f.message}" for f in findings[:5])


def _refusal(request: DraftRequest, limits: Limits, need: int, found, refusals) -> ProjectError:
    """The error for a theme no selection can satisfy: the binding rule, with numbers."""
    theme = request.theme
    what = f"no draft is possible for `{theme}`"
    if refusals:        # enough interviews, but the balance or the length rules cannot be met
        if len(refusals) == 1 and len(found.pools) == 1:
            pool, refusal = refusals[0]
            where = f" in the role `{pool.role}`" if pool.role else ""
            return ProjectError(f"{what}{where}: {refusal.message} ({refusal.rule})", hint=refusal.hint)
        parts = [f"in the role `{pool.role}`, {refusal.message} ({refusal.rule})" for pool, refusal in refusals]
        parts += [f"in the role `{p.role}`, only {_n(p.sources, 'interview')} can be quoted ({need} are needed)"
                  for p in found.pools if p.sources < need]
        return ProjectError(f"{what}: " + "; ".join(parts), hint=refusals[0][1].hint)
    rule = "C4" if limits.min_sources >= limits.min_theme_sources else "C11"
    counts = [(p.role, p.sources) for p in found.pools]
    if request.role is not None or not limits.homogeneous_role or len(counts) <= 1:
        qualified = counts[0][1] if counts else 0
        where = f" in the role `{request.role}`" if request.role else ""
        head = (f"{what}: only {_n(qualified, 'interview')}{where} can be quoted on this theme, "
                f"and a story needs {need} ({rule})")
    else:
        listed = " and ".join(f"{n} in the role `{r}`" for r, n in counts)
        head = (f"{what}: only {listed} can be quoted on this theme; a story keeps to one role (C6) "
                f"and needs {need} interviews ({rule})")
    detail = []
    for reason, label in REASONS.items():
        if found.left_out.get(reason):
            detail.append(f"{_n(found.left_out[reason], 'excerpt')} "
                          f"({_n(len(found.left_out_sources[reason]), 'interview')}): {label}")
    material = (f"Of the {_n(found.on_theme, 'excerpt')} from {_n(found.on_theme_sources, 'interview')} "
                f"on the theme: " + "; ".join(detail)) if detail else \
        f"The theme has {_n(found.on_theme, 'excerpt')} from {_n(found.on_theme_sources, 'interview')}."
    hint = "code more excerpts with this theme, record consent, or choose another theme or role"
    video_only = len(found.left_out_sources.get("video", ()))
    if video_only and max((n for _, n in counts), default=0) + video_only >= need:
        hint = "draft for the site only with --media site, or " + hint
    return ProjectError(f"{head}. {material}", hint=hint)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
