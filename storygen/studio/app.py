"""`storygen studio`: the web application (Starlette routes, server-rendered Jinja pages).

Pages are plain HTML forms and links, usable without JavaScript; every page goes through
the gate in security.py first. Templates autoescape everything: excerpt text, memos and
file contents are untrusted and reach the page only as escaped text.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from ..errors import StorygenError
from ..model import STATUSES
from . import composer, edits, fromdraft, live, preview, privacyfix, writer
from .library import SORTS, Query
from .security import SECURITY_HEADERS, Gate, Keys, Refused, require_csrf
from .writer import WriteRefused
from .workspace import Workspace

STATIC = Path(__file__).parent / "static"


class Studio:
    """One studio session: the project, the keys, the pages."""

    def __init__(self, root: Path, keys: Keys | None = None):
        self.workspace = Workspace(root)
        self.keys = keys or Keys()
        self.env = Environment(loader=PackageLoader("storygen.studio", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters["pageurl"] = lambda params, n: urlencode({**dict(params), "page": n})
        routes = [
            Route("/", self.home),
            Route("/library", self.library),
            Route("/excerpts/{excerpt_id}", self.excerpt),
            Route("/stories", self.stories),
            Route("/compose", self.compose, methods=["GET", "POST"]),
            *fromdraft.routes(self),
            *live.routes(self),
            *preview.routes(self),
            *privacyfix.routes(self),
            Route("/stories/{slug}", self.story),
            Route("/stories/{slug}/edit", self.compose, methods=["GET", "POST"]),
            Route("/excerpts/{excerpt_id}/flags", self.save_flags, methods=["POST"]),
            Route("/sources/{source_id}/consent", self.save_consent, methods=["POST"]),
            Route("/stories/{slug}/review", self.save_review, methods=["POST"]),
            Route("/codes.css", self.codes_css),
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ]
        self.app = Gate(Starlette(routes=routes, exception_handlers={Refused: self.refused}), self.keys)

    # --- helpers -------------------------------------------------------------

    def page(self, template: str, status: int = 200, **values) -> HTMLResponse:
        html = self.env.get_template(template).render(csrf=self.keys.csrf, **values)
        return HTMLResponse(html, status_code=status, headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS})

    def state_or_error(self):
        """The loaded project, or the page that says why it cannot be loaded (file, line, fix)."""
        try:
            return self.workspace.state(), None
        except StorygenError as exc:
            return None, self.page("error.html", status=500, title="The project cannot be read",
                                   message=exc.format_message())

    async def refused(self, request: Request, exc: Refused) -> Response:
        return Response(exc.message, status_code=exc.status, media_type="text/plain")

    # --- pages ---------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/library", status_code=303)

    def library(self, request: Request) -> Response:
        state, error = self.state_or_error()
        if error:
            return error
        query = Query.from_params(request.query_params)
        result = state.library.search(query)
        return self.page("library.html", title="Excerpt library", nav="library", query=query, result=result,
                         choices=state.library.choices(), codes=state.project.codes, sorts=SORTS,
                         code_index=_code_index(state.project), params=request.query_params)

    def excerpt(self, request: Request, refusal: StorygenError | None = None) -> Response:
        state, error = self.state_or_error()
        if error:
            return error
        row = state.library.by_id.get(request.path_params["excerpt_id"])
        if row is None:
            return self.page("error.html", status=404, title="No such excerpt",
                             message="There is no excerpt with that id in the project. It may have been "
                                     "renamed or removed: go back to the library.")
        source = state.project.sources[row.source]
        excerpt = state.project.excerpts[row.id]
        return self.page("excerpt.html", status=_status_of(refusal), title=f"Excerpt {row.id}", nav="library",
                         row=row, source=source, codes=state.project.codes, code_index=_code_index(state.project),
                         file_digest=self.file_digest(excerpt.origin.path),
                         sources_digest=self.file_digest(edits.SOURCES_FILE),
                         saved=request.query_params.get("saved") == "1", refusal=_refusal(refusal))

    def story(self, request: Request, refusal: StorygenError | None = None) -> Response:
        state, error = self.state_or_error()
        if error:
            return error
        story = state.project.story(request.path_params["slug"])
        if story is None:
            return self.page("error.html", status=404, title="No such story",
                             message="There is no story with that name in the project: go back to Stories.")
        findings = state.findings.get(story.slug, [])
        return self.page("story.html", status=_status_of(refusal), title=story.title, nav="stories", story=story,
                         composite=state.composites.get(story.slug), findings=findings,
                         passes=not _stops(findings), file_digest=self.file_digest(story.file),
                         privacy=privacyfix.panel(self, state, story, findings, request),
                         rules=state.project.config.rules, codes=state.project.codes,
                         saved=request.query_params.get("saved") == "1", refusal=_refusal(refusal))

    # --- saving --------------------------------------------------------------

    def file_digest(self, rel) -> str:
        try:
            return writer.digest((self.workspace.root / rel).read_bytes())
        except OSError:
            return ""

    async def form(self, request: Request):
        form = await request.form()
        require_csrf(self.keys, form.get("csrf"))
        return form

    async def save(self, request: Request, change, again, back: str) -> Response:
        """Run `change()` (a writer edit); 303 back on success, or the page again with the refusal."""
        try:
            await run_in_threadpool(self.workspace.edit, change)
        except StorygenError as refused:
            return await run_in_threadpool(again, request, refused)
        return RedirectResponse(back + "?saved=1", status_code=303)

    async def save_flags(self, request: Request) -> Response:
        form = await self.form(request)
        excerpt_id = request.path_params["excerpt_id"]
        state, error = self.state_or_error()
        if error:
            return error
        excerpt = state.project.excerpts.get(excerpt_id)
        if excerpt is None:
            return self.page("error.html", status=404, title="No such excerpt", message="Go back to the library.")
        change = lambda: edits.set_excerpt_flags(  # noqa: E731
            self.workspace.root, excerpt.origin.path, form.get("digest", ""), excerpt_id,
            featured=form.get("featured") == "yes", singular=form.get("singular") == "yes")
        return await self.save(request, change, self.excerpt, f"/excerpts/{quote(excerpt_id, safe='')}")

    async def save_consent(self, request: Request) -> Response:
        form = await self.form(request)
        source_id = request.path_params["source_id"]
        back = form.get("back", "")
        state, error = self.state_or_error()
        if error:
            return error
        if source_id not in state.project.sources or back not in state.project.excerpts:
            return self.page("error.html", status=404, title="No such source", message="Go back to the library.")
        request.path_params["excerpt_id"] = back
        consent = {key: form.get(key) == "yes" for key in ("composite", "web", "video")}
        change = lambda: edits.set_consent(self.workspace.root, form.get("digest", ""), source_id, consent)  # noqa: E731
        return await self.save(request, change, self.excerpt, f"/excerpts/{quote(back, safe='')}")

    async def save_review(self, request: Request) -> Response:
        form = await self.form(request)
        state, error = self.state_or_error()
        if error:
            return error
        story = state.project.story(request.path_params["slug"])
        if story is None:
            return self.page("error.html", status=404, title="No such story", message="Go back to Stories.")
        status = form.get("status", "")
        if status not in STATUSES:
            raise Refused(400, "Unknown status.")
        findings = state.findings.get(story.slug, [])
        if status != "draft" and _stops(findings):
            refusal = WriteRefused("this story cannot be marked reviewed or approved while `storygen check` "
                                   "finds problems in it", path=story.file,
                                   hint="fix the findings listed on this page first")
            return await run_in_threadpool(self.story, request, refusal)
        change = lambda: edits.set_review(self.workspace.root, story, form.get("digest", ""),  # noqa: E731
                                          status=status, reviewer=form.get("reviewer", "")[:200])
        return await self.save(request, change, self.story, f"/stories/{story.slug}")

    # --- the composer ----------------------------------------------------------

    async def compose(self, request: Request) -> Response:
        """GET: the composer form. POST: save a new story, or an existing story's changes (composer.py)."""
        slug = request.path_params.get("slug")
        if request.method == "GET":
            return await run_in_threadpool(self.composer_page, request, slug)
        form = await self.form(request)
        state, error = await run_in_threadpool(self.state_or_error)
        if error:
            return error
        if slug is not None and state.project.story(slug) is None:
            return self.page("error.html", status=404, title="No such story", message="Go back to Stories.")
        try:
            if slug is None:
                slug = await run_in_threadpool(composer.new_story, self.workspace, state, form)
            else:
                await run_in_threadpool(composer.edit_story, self.workspace, state, slug, form)
        except StorygenError as refused:
            return await run_in_threadpool(self.composer_page, request, request.path_params.get("slug"),
                                           refused, form)
        return RedirectResponse(f"/stories/{quote(slug, safe='')}?saved=1", status_code=303)

    def composer_page(self, request: Request, slug: str | None, refusal: StorygenError | None = None, form=None,
                      values: dict | None = None, drafted: dict | None = None):
        state, error = self.state_or_error()
        if error:
            return error
        story = state.project.story(slug) if slug else None
        if slug and story is None:
            return self.page("error.html", status=404, title="No such story", message="Go back to Stories.")
        if values is not None:                    # a new story started from `storygen draft` (fromdraft.py)
            pass
        elif form is not None:                    # a refused save: show what was typed, not the file
            values = composer.read_form(form, state.project)
            values["slug"] = form.get("slug", "")
        elif story is not None:
            values = {"slug": story.slug, "title": story.title, "summary": story.summary,
                      "persona": {"name": story.persona.name, "role": story.persona.role,
                                  "setting": story.persona.setting},
                      "voice": story.voice, "themes": list(story.themes), "media": list(story.media),
                      "body": story.body,
                      "images": [{"image": p.image, "alt": p.alt, "caption": p.caption, "credit": p.credit}
                                 for p in story.images]}
        else:
            values = {"slug": "", "title": "", "summary": "", "persona": {"name": "", "role": "", "setting": ""},
                      "voice": "first", "themes": [], "media": list(composer.MEDIA), "body": ""}
        return self.page("compose.html", status=_status_of(refusal), nav="compose" if story is None else "stories",
                         title=f"Edit “{story.title}”" if story else "New story", story=story, values=values,
                         action=f"/stories/{quote(slug, safe='')}/edit" if story else "/compose",
                         file_digest=self.file_digest(story.file) if story else "",
                         top_codes=[c for c in state.project.codes.values() if "/" not in c.id],
                         media=composer.MEDIA, candidates=composer.candidates(state, values["themes"]),
                         picture_files=composer.pictures_in_assets(self.workspace.root),
                         spare_pictures=composer.SPARE_PICTURES,
                         refusal=_refusal(refusal, "No draft" if drafted is not None else "Not saved"),
                         saved=False, drafting=fromdraft.choices(state.project) if story is None else None,
                         drafted=drafted or {})

    def stories(self, request: Request) -> Response:
        state, error = self.state_or_error()
        if error:
            return error
        return self.page("stories.html", title="Stories", nav="stories", stories=state.project.stories,
                         composites=state.composites, findings=state.findings,
                         problems=[p.format_message() for p in state.problems])

    def codes_css(self, request: Request) -> Response:
        """Each theme's colour as a class: the pages carry no inline styles, so the CSP can forbid them."""
        state, error = self.state_or_error()
        if error:
            return Response("", media_type="text/css")
        index = _code_index(state.project)
        css = "".join(f".code-{index[c.id]}{{--code:{c.colour}}}\n" for c in state.project.codes.values())
        return Response(css, media_type="text/css", headers={"cache-control": "no-store"})


def _stops(findings) -> bool:
    """True when `storygen check` would refuse to publish the story (blocking or unsigned findings)."""
    return any(f.action == "block" and not getattr(f, "resolved", False) or
               f.action == "signoff" and not getattr(f, "resolved", False) for f in findings)


def _status_of(refusal) -> int:
    if refusal is None:
        return 200
    return 409 if isinstance(refusal, writer.Conflict) else 422


def _refusal(refusal, heading: str = "Not saved") -> dict | None:
    if refusal is None:
        return None
    return {"heading": heading, "message": refusal.format_message(), "on_disk": getattr(refusal, "on_disk", None),
            "attempted": getattr(refusal, "attempted", None)}


def _code_index(project) -> dict[str, int]:
    """Code id -> a small number for its CSS class (code ids may hold characters CSS would need escaped)."""
    return {code_id: i for i, code_id in enumerate(project.codes)}
