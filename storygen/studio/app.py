"""`storygen studio`: the web application (Starlette routes, server-rendered Jinja pages).

Pages are plain HTML forms and links, usable without JavaScript; every page goes through
the gate in security.py first. Templates autoescape everything: excerpt text, memos and
file contents are untrusted and reach the page only as escaped text.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import StorygenError
from .library import SORTS, Query
from .security import SECURITY_HEADERS, Gate, Keys, Refused
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

    def excerpt(self, request: Request) -> Response:
        state, error = self.state_or_error()
        if error:
            return error
        row = state.library.by_id.get(request.path_params["excerpt_id"])
        if row is None:
            return self.page("error.html", status=404, title="No such excerpt",
                             message="There is no excerpt with that id in the project. It may have been "
                                     "renamed or removed: go back to the library.")
        source = state.project.sources[row.source]
        return self.page("excerpt.html", title=f"Excerpt {row.id}", nav="library", row=row, source=source,
                         codes=state.project.codes, code_index=_code_index(state.project))

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


def _code_index(project) -> dict[str, int]:
    """Code id -> a small number for its CSS class (code ids may hold characters CSS would need escaped)."""
    return {code_id: i for i, code_id in enumerate(project.codes)}
