"""Start a new story in the composer from `storygen draft`'s choice of excerpts.

The composer opens filled in with what `storygen draft --theme … --dry-run` would write:
the same choice of excerpts (every rule `check` applies already passing), chapters, persona
and bridge-text notes. Nothing is written until the user presses Save story, which goes
through the composer's usual new-story path (a draft, never over an existing file).
Asking for a draft changes no file, so it is an ordinary GET form that works without
JavaScript and has its own address.
"""
from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..compose.draft import make_draft
from ..compose.draft.request import checked
from ..errors import StorygenError
from ..model import Project
from ..project import read_story_file


def routes(studio) -> list[Route]:
    return [Route("/compose/draft", partial(start_from_draft, studio))]


def choices(project: Project) -> dict:
    """What the "start from a draft" form offers: the top-level themes and the sources' roles."""
    return {"themes": [c for c in project.codes.values() if "/" not in c.id],
            "roles": sorted({s.role for s in project.sources.values()})}


def draft_values(project: Project, theme: str, role: str | None) -> dict:
    """The composer's form values for a dry-run draft on `theme` (and `role`), read back through
    the project's own story reader, so the form holds exactly what the file would."""
    draft = make_draft(project, checked(project, theme=theme, role=role or None), dry_run=True)
    with tempfile.TemporaryDirectory(prefix="storygen-studio-draft-") as folder:
        path = Path(folder) / f"{draft.slug}.md"
        path.write_text(draft.text, encoding="utf-8")
        story = read_story_file(project.root, path, project.codes)
    return {"slug": story.slug, "title": story.title, "summary": story.summary,
            "persona": {"name": story.persona.name, "role": story.persona.role, "setting": story.persona.setting},
            "voice": story.voice, "themes": list(story.themes), "media": list(story.media), "body": story.body,
            "notes": list(draft.notes)}


async def start_from_draft(studio, request: Request) -> Response:
    theme = request.query_params.get("theme", "")
    role = request.query_params.get("role", "")
    state, error = await run_in_threadpool(studio.state_or_error)
    if error:
        return error
    try:
        values = await run_in_threadpool(draft_values, state.project, theme, role)
    except StorygenError as refused:          # e.g. C4: too few interviews on this theme
        return await run_in_threadpool(studio.composer_page, request, None, refused,
                                       drafted={"theme": theme, "role": role})
    return await run_in_threadpool(studio.composer_page, request, None, None, None, values,
                                   drafted={"theme": theme, "role": role})
