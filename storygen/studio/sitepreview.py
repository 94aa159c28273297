"""The story page exactly as the site publishes it, shown inside the studio.

There is no second renderer here: the preview is `build()` in preview mode — the build
`storygen serve` runs — through the studio's kept build context, into a folder under the
project's cache (`.storygen-cache/studio/`), never into build/. Two previews are kept:

- "published": approved stories only, no DRAFT banner — the set `storygen build` publishes,
  so an approved story's page is byte for byte the page a build would write;
- "drafts": every story, drafts marked as the site marks them (a preview of a story not yet
  approved).

A preview is rebuilt when a project input changed since it was made (the stamp covers
narratives/, storygen.toml, assets/, templates/ and the published videos the site embeds),
so a save in the composer shows on the next look; static/preview.js asks for the stamp
every two seconds and reloads the frame when it moves.

The preview folder is served under /preview/MODE/… through the studio's gate, only files
strictly inside the folder (serve.file_inside), with a policy that lets the page draw
itself (its own styles, scripts and pictures) but fetch nothing and post nothing.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..cache import cache_folder
from ..errors import StorygenError
from ..project import SCRATCH_SUFFIXES, is_input_folder
from ..serve import file_inside

MODES = {"published": False, "drafts": True}          # mode -> BuildOptions.drafts
WATCHED = ("assets", "templates")                       # inputs besides narratives/ and storygen.toml
# The frame's policy: the page's own files only; no fetch, no form post, no plugin, framed only here.
FRAME_POLICY = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "connect-src 'none'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'; "
                "object-src 'none'")
FRAME_HEADERS = {"content-security-policy": FRAME_POLICY, "x-content-type-options": "nosniff",
                 "referrer-policy": "same-origin", "cache-control": "no-store"}
STALE_AFTER = 24 * 3600          # a leftover preview folder (a studio that was killed) is removed after a day


class SitePreview:
    """The studio's preview builds, one per mode, rebuilt when an input changed."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.folder = cache_folder(workspace.root, "studio")
        self._lock = threading.Lock()
        self._built: dict[str, tuple[str, Path | None, StorygenError | None]] = {}
        _remove_leftovers(self.folder)

    def version(self) -> str:
        """A short digest of every input's (path, size, mtime): it moves when any input changes."""
        root = self.workspace.root
        found = list(self.workspace.stamp())
        for name in WATCHED:
            found += _walk(root / name)
        try:
            output = self.workspace.state().project.config.build.output
        except StorygenError:
            output = "build"
        found += _walk(root / output / "video", depth=1)    # the videos a story page embeds
        return hashlib.blake2b(repr(found).encode(), digest_size=8).hexdigest()

    def site(self, mode: str) -> Path:
        """The site folder of an up-to-date preview in `mode`; raises the build's StorygenError."""
        with self._lock:
            version = self.version()
            held = self._built.get(mode)
            if held is not None and held[0] == version:
                if held[2] is not None:
                    raise held[2]
                return held[1]
            self.folder.mkdir(parents=True, exist_ok=True)
            target = Path(tempfile.mkdtemp(prefix=f"site-{mode}-", dir=self.folder))
            try:
                self.workspace.preview_build(target, drafts=MODES[mode])
            except StorygenError as exc:
                shutil.rmtree(target, ignore_errors=True)
                self._replace(mode, (version, None, exc))
                raise
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
            self._replace(mode, (version, target / "site", None))
            return target / "site"

    def _replace(self, mode: str, entry) -> None:
        old = self._built.get(mode)
        self._built[mode] = entry
        if old is not None and old[1] is not None:
            # A request may still be reading the old folder: its open files stay readable.
            shutil.rmtree(old[1].parent, ignore_errors=True)


def mode_for(story) -> str:
    """An approved story is previewed among what a build publishes; any other among the drafts."""
    return "published" if story.approved else "drafts"


def routes(studio) -> list[Route]:
    preview = studio.site_preview = SitePreview(studio.workspace)
    return [
        Route("/stories/{slug}/preview", partial(preview_page, studio)),
        Route("/preview/version", partial(version, preview)),
        Route("/preview/{mode}/{path:path}", partial(preview_file, preview)),
    ]


async def preview_page(studio, request: Request) -> Response:
    """The studio page around the preview: which build it is, and the page in a frame."""
    state, error = await run_in_threadpool(studio.state_or_error)
    if error:
        return error
    story = state.project.story(request.path_params["slug"])
    if story is None:
        return studio.page("error.html", status=404, title="No such story",
                           message="There is no story with that name in the project: go back to Stories.")
    mode = mode_for(story)
    problem = None
    try:
        await run_in_threadpool(studio.site_preview.site, mode)
    except StorygenError as exc:
        problem = exc.format_message()
    frame = f"/preview/{mode}/stories/{quote(story.slug, safe='')}/"
    return studio.page("preview.html", status=200 if problem is None else 422, nav="stories",
                       title=f"Preview: {story.title}", story=story, mode=mode, frame=frame, problem=problem,
                       on_site="site" in story.media, version=await run_in_threadpool(studio.site_preview.version))


async def version(preview: SitePreview, request: Request) -> Response:
    value = await run_in_threadpool(preview.version)
    return JSONResponse({"version": value}, headers={"cache-control": "no-store"})


async def preview_file(preview: SitePreview, request: Request) -> Response:
    mode = request.path_params["mode"]
    if mode not in MODES:
        return Response("Not found", status_code=404, media_type="text/plain", headers=FRAME_HEADERS)
    try:
        site = await run_in_threadpool(preview.site, mode)
    except StorygenError as exc:
        return Response(f"The preview cannot be built:\n\n{exc.format_message()}", status_code=500,
                        media_type="text/plain", headers=FRAME_HEADERS)
    path = request.path_params["path"]
    if path and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        if file_inside(site, path + "/") is not None:       # stories/x -> stories/x/ so relative links work
            return RedirectResponse(f"/preview/{mode}/{quote(path)}/", status_code=301)
    found = file_inside(site, path)
    if found is None:
        missing = file_inside(site, "404.html")
        return (FileResponse(missing, status_code=404, headers=FRAME_HEADERS) if missing
                else Response("Not found", status_code=404, media_type="text/plain", headers=FRAME_HEADERS))
    return FileResponse(found, headers=FRAME_HEADERS)


def _walk(folder: Path, depth: int = 64) -> list[tuple]:
    """(path, size, mtime) of every input file under `folder` (dot-folders and scratch files left out)."""
    found = []
    stack = [(folder, 0)]
    while stack:
        current, level = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if is_input_folder(entry.name) and level + 1 < depth:
                        stack.append((Path(entry.path), level + 1))
                elif not entry.name.endswith(SCRATCH_SUFFIXES):
                    st = entry.stat()
                    found.append((entry.path, st.st_size, st.st_mtime_ns))
            except OSError:
                continue
    return sorted(found)


def _remove_leftovers(folder: Path) -> None:
    """Preview folders a killed studio left behind (older than a day): never anything else."""
    try:
        entries = list(folder.glob("site-*"))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir() and time.time() - entry.stat().st_mtime > STALE_AFTER:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue
