""""Build the site": the real `storygen build`, started from the studio's Stories page.

It runs the command itself (`python -m storygen build --project ROOT`) in a child process,
so what it does and prints is exactly what `storygen build` does and prints in a terminal:
the same checks, the same atomic publish into build/ (a failed build leaves it as it was),
the same findings and errors, word for word. A child process rather than a thread: a build
draws videos for minutes with every core it is given, and the studio must keep answering
meanwhile. One build at a time; the page follows it through /publish/status.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .security import Refused

MAX_LINES = 400          # what the page keeps of the build's messages (the last ones)


@dataclass
class Publish:
    """The one build this studio runs or last ran."""

    state: str = "idle"            # idle | running | done | failed
    lines: list[str] = field(default_factory=list)
    code: int | None = None
    started: float = 0.0
    seconds: float = 0.0
    finished_at: str = ""

    def status(self) -> dict:
        return {"state": self.state, "lines": self.lines[-MAX_LINES:], "code": self.code,
                "seconds": round(self.seconds or (time.monotonic() - self.started if self.started else 0), 1),
                "finished_at": self.finished_at}


class Publisher:
    def __init__(self, workspace):
        self.workspace = workspace
        self.current = Publish()
        self._lock = threading.Lock()

    def command(self) -> list[str]:
        return [sys.executable, "-m", "storygen", "build", "--project", str(self.workspace.root)]

    def start(self) -> None:
        with self._lock:
            if self.current.state == "running":
                raise Refused(409, "A build is already running: wait for it to finish (the Stories page shows "
                                   "its progress), then build again.")
            self.current = Publish("running", started=time.monotonic())
            # stderr into stdout: the build's messages in the order it printed them
            process = subprocess.Popen(self.command(), cwd=self.workspace.root, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                       encoding="utf-8", errors="replace")
            threading.Thread(target=self._follow, args=(process, self.current), name="storygen-studio-build",
                             daemon=True).start()

    def _follow(self, process: subprocess.Popen, publish: Publish) -> None:
        for line in process.stdout:
            publish.lines.append(line.rstrip("\n"))
            del publish.lines[:-MAX_LINES]
        publish.code = process.wait()
        publish.seconds = time.monotonic() - publish.started
        publish.finished_at = time.strftime("%H:%M:%S")
        publish.state = "done" if publish.code == 0 else "failed"
        self.workspace.forget()       # the published videos may have changed what a preview embeds


def published(state, output: str) -> list[dict]:
    """The approved stories with a page in the published site, and where it is."""
    root = state.project.root
    found = []
    for story in state.project.stories:
        page = root / output / "site" / "stories" / story.slug / "index.html"
        if story.approved and page.is_file():
            found.append({"slug": story.slug, "title": story.title, "page": page.relative_to(root).as_posix()})
    return found


def routes(studio) -> list[Route]:
    publisher = studio.publisher = Publisher(studio.workspace)
    studio.env.globals["publish_panel"] = partial(_panel_now, studio)
    return [
        Route("/publish", partial(start, studio), methods=["POST"]),
        Route("/publish/status", partial(status, publisher)),
    ]


async def start(studio, request: Request) -> Response:
    await studio.form(request)                      # CSRF checked here
    await run_in_threadpool(studio.publisher.start)
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse(studio.publisher.current.status(), status_code=202)
    return RedirectResponse("/stories#publish", status_code=303)


async def status(publisher: Publisher, request: Request) -> Response:
    return JSONResponse(publisher.current.status(), headers={"cache-control": "no-store"})


def _panel_now(studio) -> dict:
    return panel(studio, studio.workspace.state())


def panel(studio, state) -> dict:
    """What the Stories page's "Build the site" section shows (studio/templates/_publish.html)."""
    output = state.project.config.build.output
    current = studio.publisher.current.status()
    return {"run": current, "output": output,
            "published": published(state, output) if current["state"] == "done" else []}
