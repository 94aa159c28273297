"""The story's video as a storyboard, and a draft-quality render on demand.

The storyboard is the video's own timed plan (video/render.build_plan: the timeline's
units, slides and caption cues, paginated and scheduled exactly as a render would), for
each format the story is made in, with nothing encoded: each slide's picture, its words
as caption cues, its start and its length on whole frames.

"Render a draft" runs the project's own render (video/render.render_one, the path
`storygen build` takes) at the "draft" quality preset, one render at a time, in a
background thread, into `.storygen-cache/studio/videos/` — never into build/. The page
follows its progress (frames encoded of the plan's total) through /render/status, then
plays it with its captions. Nothing here is published.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..cache import cache_folder
from ..errors import StorygenError
from ..serve import file_inside
from ..video.formats import format_tag, normalise_format
from ..videofiles import file_names
from .security import Refused

DRAFT = "draft"           # the render preset for previews (video/formats.py QUALITIES)
VIDEO_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-store",
                 "content-security-policy": "default-src 'none'; frame-ancestors 'self'"}


@dataclass
class Render:
    """The one draft render this studio runs or last ran."""

    slug: str = ""
    format: str = ""
    state: str = "idle"              # idle | running | done | failed
    done: int = 0                    # frames encoded
    total: int = 1                   # frames in the plan
    error: str = ""
    started: float = 0.0
    seconds: float = 0.0
    files: dict = field(default_factory=dict)    # part -> file name inside the videos folder

    def update(self, n: int) -> None:   # render_one's progress callback (frames encoded so far)
        self.done = n

    def status(self) -> dict:
        data = {"state": self.state, "slug": self.slug, "format": self.format, "done": self.done,
                "total": self.total, "percent": int(100 * min(1.0, self.done / max(1, self.total))),
                "error": self.error, "seconds": round(self.seconds or time.monotonic() - self.started, 1)
                if self.started else 0}
        if self.state == "done":
            data["video"] = "/render/files/" + quote(self.files["video"])
            data["captions"] = "/render/files/" + quote(self.files["vtt"])
        return data


class Renderer:
    """Runs one draft render at a time in a background thread."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.folder = cache_folder(workspace.root, "studio") / "videos"
        self.current = Render()
        self._lock = threading.Lock()

    def start(self, project, composite, fmt: str) -> None:
        """Begin rendering `composite` in `fmt` at draft quality; Refused (409) if one is running."""
        from ..video.render import Job

        with self._lock:
            if self.current.state == "running":
                raise Refused(409, f"A draft video is already being rendered (story {self.current.slug}, "
                                   f"{self.current.format}): wait for it to finish, then try again.")
            burn = project.config.video.burn_captions
            self.current = Render(composite.story.slug, fmt, "running", started=time.monotonic())
            job = Job(composite, fmt, DRAFT, burn)
            threading.Thread(target=self._run, args=(project, job, self.current), name="storygen-studio-render",
                             daemon=True).start()

    def _run(self, project, job, render: Render) -> None:
        from ..video.render import render_one

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            result = render_one(project, job, self.folder, _Progress(render))
            render.files = {part: Path(getattr(result, part)).name for part in ("video", "vtt")}
            render.state = "done"
        except StorygenError as exc:
            render.error, render.state = exc.format_message(), "failed"
        except Exception as exc:          # keep the studio running; say what broke
            render.error, render.state = f"{type(exc).__name__}: {exc}", "failed"
        render.seconds = time.monotonic() - render.started

    def existing(self, slug: str, fmt: str) -> dict | None:
        """The last draft render of this story and format still in the folder, if any."""
        names = file_names(slug, format_tag(fmt), ("video", "vtt"))
        video, vtt = self.folder / names["video"], self.folder / names["vtt"]
        if not (video.is_file() and vtt.is_file()):
            return None
        return {"video": "/render/files/" + quote(names["video"]), "captions": "/render/files/" + quote(names["vtt"]),
                "when": time.strftime("%Y-%m-%d %H:%M", time.localtime(video.stat().st_mtime))}


class _Progress:
    """What render_one expects of a progress bar: `total` set once, `update(n)` per frame."""

    def __init__(self, render: Render):
        self.render = render

    @property
    def total(self) -> int:
        return self.render.total

    @total.setter
    def total(self, value: int) -> None:
        self.render.total = max(1, value)

    def update(self, n: int) -> None:
        self.render.update(n)


def storyboard(project, composite) -> list[dict]:
    """Each video format of the story: its slides on the clock, or the problem that stops it."""
    from ..video.render import build_plan, plan_jobs

    boards = []
    for job in plan_jobs(project, [composite], None, None, None):
        try:
            plan, frame, _theme, mode = build_plan(project, job)
        except StorygenError as exc:
            boards.append({"format": job.format, "tag": format_tag(job.format), "problem": exc.format_message()})
            continue
        fps = frame.fps
        slides = []
        for slide in plan.slides:
            unit = slide.unit
            slides.append({
                "number": slide.index + 1, "kind": unit.kind,
                "start": slide.start_frame / fps, "duration": slide.frames / fps,
                "picture": unit.picture,
                "cues": [{"start": c.start, "end": c.end, "text": " ".join(c.lines)} for c in slide.cues],
                "words": [] if slide.cues else list(unit.parts)})
        boards.append({"format": job.format, "tag": format_tag(job.format), "slides": slides,
                       "duration": plan.duration, "size": f"{frame.width}×{frame.height}", "fps": fps,
                       "voice": mode if plan.voiced else "none", "cues": len(plan.cues)})
    return boards


def clock(seconds: float) -> str:
    """Seconds as the storyboard shows them: 1:05.2."""
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def routes(studio) -> list[Route]:
    renderer = studio.renderer = Renderer(studio.workspace)
    studio.env.filters["clock"] = clock
    return [
        Route("/stories/{slug}/storyboard", partial(storyboard_page, studio)),
        Route("/stories/{slug}/render", partial(start_render, studio), methods=["POST"]),
        Route("/render/status", partial(render_status, renderer)),
        Route("/render/files/{name}", partial(render_file, renderer)),
    ]


async def storyboard_page(studio, request: Request) -> Response:
    state, error = await run_in_threadpool(studio.state_or_error)
    if error:
        return error
    story = state.project.story(request.path_params["slug"])
    composite = state.composites.get(story.slug) if story is not None else None
    if story is None or composite is None:
        return studio.page("error.html", status=404, title="No such story",
                           message="There is no story with that name in the project: go back to Stories.")
    boards = await run_in_threadpool(storyboard, state.project, composite)
    for board in boards:
        board["draft"] = studio.renderer.existing(story.slug, board["format"])
    current = studio.renderer.current
    return studio.page("storyboard.html", nav="stories", view="storyboard", title=f"Video storyboard: {story.title}",
                       story=story, boards=boards, render=current.status() if current.slug == story.slug else None,
                       language=state.project.config.site.language)


async def start_render(studio, request: Request) -> Response:
    form = await studio.form(request)                 # CSRF checked here
    state, error = await run_in_threadpool(studio.state_or_error)
    if error:
        return error
    story = state.project.story(request.path_params["slug"])
    composite = state.composites.get(story.slug) if story is not None else None
    if story is None or composite is None:
        raise Refused(404, "There is no story with that name in the project.")
    try:
        fmt = normalise_format(form.get("format", ""))
    except StorygenError:
        raise Refused(400, "Unknown video format.") from None
    studio.renderer.start(state.project, composite, fmt)
    back = f"/stories/{quote(story.slug, safe='')}/storyboard#render"
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse(studio.renderer.current.status(), status_code=202)
    return RedirectResponse(back, status_code=303)


async def render_status(renderer: Renderer, request: Request) -> Response:
    return JSONResponse(renderer.current.status(), headers={"cache-control": "no-store"})


async def render_file(renderer: Renderer, request: Request) -> Response:
    """A draft video or its captions: only files directly inside the studio's videos folder."""
    name = request.path_params["name"]
    found = file_inside(renderer.folder, name) if "/" not in name and name.endswith((".mp4", ".vtt")) else None
    if found is None:
        return Response("Not found", status_code=404, media_type="text/plain", headers=VIDEO_HEADERS)
    return FileResponse(found, headers=VIDEO_HEADERS,
                        media_type="text/vtt; charset=utf-8" if name.endswith(".vtt") else "video/mp4")
