"""The studio's previews and publishing (helper module: one line in app.py's routes).

- sitepreview.py: the story page exactly as the site renders it, reloaded after each save;
- storyboard.py: the story's video as its timed slides, and a draft render on demand;
- publishing.py: "Build the site", the real `storygen build` in the background.
"""
from __future__ import annotations

from starlette.routing import Route

from . import publishing, sitepreview, storyboard


def routes(studio) -> list[Route]:
    return [*sitepreview.routes(studio), *storyboard.routes(studio), *publishing.routes(studio)]
