"""The composer's live panels: the rules and privacy findings of the story as typed, unsaved.

The composer posts its whole form here while the user types (static/studio.js, debounced);
the story it describes is composed with the workspace's loaded project — the excerpts,
the other stories' composites, the privacy guard and its detectors' memory, all kept
from the last load — and checked with the same rule code `storygen check` runs
(compose/rules.py check_one, C10 against the other stories, the guard's composite check).
Nothing is written: the body is compiled without the bytecode cache, and the guard's
memory of sign-offs used is put back as it was.

It is a POST with the CSRF token although it changes nothing, because it carries a
whole story body (too long for an address) and reads drafts; the gate treats it as
any state-changing request (origin, token, size cap).

The segment view (segments.py) is served here too: the body as an ordered list whose
paragraphs can be moved by keyboard buttons or dragged.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import jinja2
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..compose.assemble import compose, explicit_ids, story_environment
from ..compose.index import Allocation, SelectionIndex
from ..compose.memo import Trace
from ..compose.rules import Limits, check_one
from ..errors import ProjectError, StorygenError
from ..model import Composite, Finding, Origin, Persona, Story
from ..privacy.textnorm import fold_key
from ..video.formats import DEFAULT_CAPS, normalise_format
from . import composer, segments
from .security import SECURITY_HEADERS

NEW = "new story"            # a new story's slug while unsaved: not a valid slug, so never another story's


def routes(studio) -> list[Route]:
    studio.env.globals["live_panel"] = partial(first_panel, studio)
    return [Route("/compose/live", partial(panel, studio), methods=["POST"]),
            Route("/stories/{slug}/live", partial(panel, studio), methods=["POST"]),
            Route("/compose/segments", partial(segment_view, studio), methods=["POST"])]


@dataclass
class Assessment:
    """What the panels show for one unsaved story."""

    story: Story
    composite: Composite | None = None
    error: str = ""                                   # the body cannot be composed: the loader's message
    rules: list[Finding] = field(default_factory=list)
    privacy: list[Finding] = field(default_factory=list)
    reuse: list[tuple[str, list[str]]] = field(default_factory=list)     # excerpt id, other stories quoting it
    consent: list[tuple[str, list[str]]] = field(default_factory=list)   # medium, sources without consent
    queries: list[tuple[str, list[tuple[str, str, str]]]] = field(default_factory=list)  # call, (id, source, text)
    video: list[tuple[str, float, float]] = field(default_factory=list)  # format, seconds, cap

    @property
    def stopping(self) -> list[Finding]:
        return [f for f in self.rules + self.privacy if not _resolved(f)]


def _resolved(finding: Finding) -> bool:
    if hasattr(finding, "resolved"):
        return finding.resolved
    return finding.action == "warn"


def unsaved_story(project, slug: str | None, values: dict) -> Story:
    """The story the form describes, as the loader would read it once saved."""
    persona = Persona(**values["persona"])
    fields = dict(title=values["title"], summary=values["summary"], persona=persona, voice=values["voice"],
                  themes=tuple(values["themes"]), media=tuple(values["media"]), body=values["body"])
    existing = project.story(slug) if slug else None
    if existing is not None:
        return replace(existing, **fields)
    return Story(slug=NEW, status="draft", origin=Origin(composer.STORIES / "(new story).md", 1), **fields)


@dataclass
class Basis:
    """What every panel of one loaded project shares, worked out once per load (State.derived):
    the query index, the excerpts each story names and quotes, and compose_all's order."""

    index: SelectionIndex
    named: dict[str, int]                   # excerpt id -> how many stories name it with excerpt("…")
    own: dict[str, set[str]]                # story slug -> the ids it names
    quoted: dict[str, tuple[str, ...]]      # story slug -> the excerpt ids its composite quotes
    users: dict[str, list[str]]             # excerpt id -> the stories quoting it

    @classmethod
    def of(cls, workspace, state) -> "Basis":
        with workspace.lock:
            basis = state.derived.get("live")
            if basis is None:
                project = state.project
                own = {s.slug: explicit_ids(s) for s in project.stories}
                quoted = {slug: tuple(dict.fromkeys(s.excerpt_id for s in c.excerpt_segments))
                          for slug, c in state.composites.items()}
                users: dict[str, list[str]] = {}
                for slug in sorted(quoted):
                    for excerpt_id in quoted[slug]:
                        users.setdefault(excerpt_id, []).append(slug)
                named: dict[str, int] = {}
                for ids in own.values():
                    for excerpt_id in ids:
                        named[excerpt_id] = named.get(excerpt_id, 0) + 1
                basis = state.derived["live"] = cls(SelectionIndex(project), named, own, quoted, users)
            return basis

    def allocation(self, state, story: Story) -> Allocation:
        """compose_all's allocation as it stands when `story` (unsaved) comes to be composed:
        the ids other stories name are kept out of its queries, and the stories composed before
        it (approved first, then by slug) have taken theirs."""
        mine = self.own.get(story.slug, set())
        others = {i for i, n in self.named.items() if n > (i in mine)}
        # One set for all the other stories: Allocation only asks whether another story names an id.
        allocation = Allocation(self.index, {"(other stories)": others, story.slug: explicit_ids(story)})
        place = (not story.approved, story.slug)
        for slug, ids in self.quoted.items():
            other = state.composites[slug].story
            if slug != story.slug and (not other.approved, slug) < place:
                allocation.commit(ids)
        return allocation


def assess(workspace, state, story: Story) -> Assessment:
    """Compose and check `story` against the loaded project, as `storygen check --drafts` would."""
    project = state.project
    result = Assessment(story)
    basis = Basis.of(workspace, state)
    allocation = basis.allocation(state, story)
    trace = Trace(story)
    try:
        result.composite = compose(project, story, allocation=allocation, compiled=_compile(story), trace=trace)
    except StorygenError as exc:
        result.error = exc.format_message()
        return result
    composite = result.composite
    result.rules = check_one(project, composite)
    ids = list(dict.fromkeys(s.excerpt_id for s in composite.excerpt_segments))
    if project.config.rules.no_reuse:
        for excerpt_id in ids:
            users = [slug for slug in basis.users.get(excerpt_id, ()) if slug != story.slug]
            if users:
                result.reuse.append((excerpt_id, users))
                result.rules.append(Finding(
                    rule="C10", action="block", story=story.slug,
                    message=f"excerpt {excerpt_id} is also quoted by {', '.join(users)}",
                    hint="keep it in one story and choose another excerpt here"))
    sources = sorted({s.source_id for s in composite.excerpt_segments})
    for medium in story.media:
        result.consent.append((medium, [s for s in sources if not project.sources[s].usable_for(medium)]))
    for (kind, params), picked in trace.calls:
        if kind == "excerpts":
            call = ", ".join(f"{k}={list(v) if isinstance(v, tuple) else v!r}" for k, v in params if v is not None)
            result.queries.append((f"excerpts({call})", [(i, project.excerpts[i].source_id, project.excerpts[i].text)
                                                          for i in picked]))
    if "video" in story.media:
        video = project.config.video
        caps = {**DEFAULT_CAPS, **{normalise_format(k): float(v) for k, v in video.caps.items()}}
        seconds = round(composite.stats.total_words / video.words_per_minute * 60, 1)
        result.video = [(fmt, seconds, caps.get(fmt, 0.0)) for fmt in story.video_formats]
    result.privacy = _privacy(workspace, state, composite)
    return result


def _compile(story: Story):
    """The body's code, compiled without the bytecode cache: an unsaved body leaves no file behind."""
    try:
        return story_environment().compile(story.body, name=story.slug, filename=str(story.origin.path))
    except jinja2.TemplateSyntaxError as exc:
        raise ProjectError(f"template error in the story body: {exc.message}", path=story.origin.path,
                           line=story.body_line + (exc.lineno or 1) - 1,
                           hint="check that every {{ … }} and {% … %} is closed and spelled right") from None


def _privacy(workspace, state, composite: Composite) -> list[Finding]:
    report = state.privacy
    if report is None or getattr(report, "guard", None) is None:
        return []
    guard = report.guard
    with workspace.lock:              # the guard is shared: one check at a time, its memory put back
        used = guard.used_signoffs
        guard.used_signoffs = set()
        try:
            found = list(guard.check_composite(composite))
        finally:
            guard.detector.drain_clean()
            guard.used_signoffs = used
    # The guard may publish the persona names of the project's stories (privacy/settings.py);
    # an unsaved story's new persona name is not among them yet, so its findings are dropped
    # here by the same test settings_for applies (not a real name in the pseudonym map).
    real = guard.knowledge.real_keys()
    key = fold_key(composite.story.persona.name)
    allowed = {key, *key.split()} - set(real) if key and key not in real else set()
    allowed -= guard.settings.allowed_names
    return [f for f in found if not (f.span and fold_key(f.span) in allowed)]


def render(studio, state, slug: str | None, values: dict) -> str:
    story = unsaved_story(state.project, slug, values)
    result = assess(studio.workspace, state, story)
    return studio.env.get_template("_live_panel.html").render(
        a=result, rules=state.project.config.rules, limits=Limits.of(state.project), codes=state.project.codes,
        existing=slug is not None)


def first_panel(studio, values: dict, slug: str | None) -> Markup:
    """The panel as the composer page first shows it (without JavaScript, the only time)."""
    try:
        state = studio.workspace.state()
    except StorygenError:
        return Markup("")
    return Markup(render(studio, state, slug, values))


def _fragment(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS})


async def panel(studio, request: Request) -> Response:
    form = await studio.form(request)                     # refuses without the CSRF token
    state, error = await run_in_threadpool(studio.state_or_error)
    if error:
        return error
    slug = request.path_params.get("slug")
    if slug is not None and state.project.story(slug) is None:
        return _fragment("<p>There is no story with that name in the project.</p>", 404)
    values = composer.read_form(form, state.project)
    return _fragment(await run_in_threadpool(render, studio, state, slug, values))


def segment_list(studio, state, body: str) -> str:
    parts = segments.split(body)
    excerpts = state.project.excerpts
    return studio.env.get_template("_segments.html").render(
        parts=parts, excerpts=excerpts,
        data={"lead": parts.lead, "glue": list(parts.glue), "tail": parts.tail,
              "raw": [s.raw for s in parts.segments]})


async def segment_view(studio, request: Request) -> Response:
    form = await studio.form(request)
    state, error = await run_in_threadpool(studio.state_or_error)
    if error:
        return error
    body = str(form.get("body", "")).replace("\r\n", "\n").replace("\r", "\n")
    return _fragment(await run_in_threadpool(segment_list, studio, state, body))

