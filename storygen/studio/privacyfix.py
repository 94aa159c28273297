"""The story page's privacy panel: a fix for each finding in one click, undo, and sign-offs.

- A finding in an excerpt's text offers replacements: the pseudonym the team's map gives
  for that value (narratives/private/pseudonyms.yaml), a bracketed role for a name, a
  general place or service for a place or organisation, or the reviewer's own words.
  Applying one changes the flagged words in that excerpt's `text`, nothing else, through
  the studio's writer (minimal diff, validated by the loader, atomic, refused after an
  outside edit).
- Undo puts the excerpt's previous text back, only while it still reads as the fix left it.
  The studio remembers this session's last fixes in memory; nothing about them is written.
- A reviewer may sign off a finding the guard lets a person decide on (not R4/R5, which are
  values known to be real): name and reason are appended to narratives/private/signoffs.yaml
  in the form `storygen check` reads, keyed by the finding, so a changed text needs a new one.
"""
from __future__ import annotations

import datetime
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..errors import StorygenError
from ..privacy.guard import UNSIGNABLE
from ..privacy.private import load_private
from . import edits

MAX_REPLACEMENT = 200
MAX_REASON = 500
KEPT_UNDOS = 50

# What stands in for a flagged value, by the guard's entity: a role for a person, a general
# place or service for a place or an organisation, and a plain mark for contact details.
GENERAL = {"PERSON": ("Replace with a role", "[a member of staff]"),
           "PLACE": ("Generalise the place", "[a nearby town]"),
           "ORG": ("Generalise the service", "[a local service]"),
           "FAC": ("Generalise the place", "[a local centre]")}
REMOVED = ("Replace with a note", "[details removed]")


@dataclass
class Undo:
    slug: str
    excerpt_id: str
    file: str
    span: str
    replacement: str
    before: str
    after: str


@dataclass
class Fixes:
    """This studio session's recent fixes, by the token their Undo button carries."""

    undos: OrderedDict = field(default_factory=OrderedDict)

    def remember(self, undo: Undo) -> str:
        token = secrets.token_urlsafe(12)
        self.undos[token] = undo
        while len(self.undos) > KEPT_UNDOS:
            self.undos.popitem(last=False)
        return token


def routes(studio) -> list[Route]:
    studio.fixes = Fixes()
    return [Route("/stories/{slug}/fix", partial(apply_fix, studio), methods=["POST"]),
            Route("/stories/{slug}/undo", partial(undo_fix, studio), methods=["POST"]),
            Route("/stories/{slug}/signoff", partial(sign_off, studio), methods=["POST"])]


# --- what the story page shows ------------------------------------------------------------

def _entity_kind(entity: str) -> str:
    entity = entity.rstrip("?")
    if entity in ("PERSON", "PLACE", "ORG", "FAC"):
        return entity
    return {"GPE": "PLACE", "LOC": "PLACE", "TOWN": "PLACE", "FACILITY": "FAC"}.get(entity, "")


def suggestions(finding, pseudonyms: dict[str, str]) -> list[tuple[str, str]]:
    """(button label, replacement) for one finding: the map's pseudonym first, then the general word."""
    out: list[tuple[str, str]] = []
    pseudonym = pseudonyms.get(finding.span.casefold())
    if pseudonym:
        out.append((f"Use the pseudonym “{pseudonym}”", pseudonym))
    kind = _entity_kind(getattr(finding, "entity", ""))
    general = GENERAL.get(kind, REMOVED)
    if general[1] != pseudonym:
        out.append(general)
    return out


def _pseudonyms(root: Path) -> dict[str, str]:
    try:
        knowledge = load_private(root)
    except StorygenError:        # check reports a broken map; the panel just offers no pseudonym
        return {}
    return {value.casefold(): entry.pseudonym for entry in knowledge.entries for value in entry.values
            if entry.pseudonym}


def panel(studio, state, story, findings: list, request: Request) -> dict:
    """For story.html: per finding (by position), its fix and whether it may be signed off;
    and the Undo of a fix just made, if the page was opened after one."""
    by_origin = {(str(e.origin.path), e.origin.line): e for e in state.project.excerpts.values() if e.origin}
    pseudonyms = _pseudonyms(studio.workspace.root)
    rows = []
    for f in findings:
        row = {"fix": None, "signable": False}
        if getattr(f, "key", "") and f.rule.startswith("R"):
            row["signable"] = f.rule not in UNSIGNABLE and not getattr(f, "resolved", False)
            excerpt = by_origin.get((str(f.origin.path), f.origin.line)) if f.origin else None
            if excerpt is not None and f.span and getattr(f, "field", "") == "excerpt" and f.rule not in ("R11", "R15"):
                row["fix"] = {"excerpt": excerpt.id, "file": str(excerpt.origin.path),
                              "digest": studio.file_digest(excerpt.origin.path),
                              "options": suggestions(f, pseudonyms)}
        rows.append(row)
    undo = studio.fixes.undos.get(request.query_params.get("undo", ""))
    undo_form = None
    if undo is not None and undo.slug == story.slug:
        undo_form = {"token": request.query_params["undo"], "undo": undo, "digest": studio.file_digest(Path(undo.file))}
    return {"rows": rows, "undo": undo_form, "signoff_digest": studio.file_digest(edits.SIGNOFFS_FILE),
            "today": datetime.date.today().isoformat()}


# --- the three actions --------------------------------------------------------------------

def _finding(state, slug: str, key: str):
    for f in state.findings.get(slug, []):
        if getattr(f, "key", "") == key:
            return f
    return None


async def apply_fix(studio, request: Request) -> Response:
    form = await studio.form(request)
    slug = request.path_params["slug"]
    state, error = studio.state_or_error()
    if error:
        return error
    story = state.project.story(slug)
    excerpt = state.project.excerpts.get(form.get("excerpt", ""))
    if story is None or excerpt is None or excerpt.origin is None:
        return studio.page("error.html", status=404, title="No such story or excerpt",
                           message="The story or excerpt is no longer in the project: go back to Stories.")
    span = form.get("span", "")
    replacement = " ".join(str(form.get("replacement", "")).split())
    if not replacement or len(replacement) > MAX_REPLACEMENT:
        refusal = edits.WriteRefused("a replacement must be some words, at most 200 characters",
                                     path=excerpt.origin.path, hint="type what should stand in the flagged words' place")
        return await run_in_threadpool(studio.story, request, refusal)
    rel = Path(excerpt.origin.path)
    texts: list[tuple[str, str]] = []
    try:
        await run_in_threadpool(studio.workspace.edit, lambda: texts.append(edits.replace_in_excerpt(
            studio.workspace.root, rel, form.get("digest", ""), excerpt.id, span, replacement)))
    except StorygenError as refused:
        return await run_in_threadpool(studio.story, request, refused)
    [(before, after)] = texts
    token = studio.fixes.remember(Undo(slug, excerpt.id, str(rel), span, replacement, before, after))
    return RedirectResponse(f"/stories/{quote(slug, safe='')}?saved=1&undo={token}#privacy", status_code=303)


async def undo_fix(studio, request: Request) -> Response:
    form = await studio.form(request)
    slug = request.path_params["slug"]
    undo = studio.fixes.undos.get(form.get("token", ""))
    if undo is None or undo.slug != slug:
        return studio.page("error.html", status=404, title="Nothing to undo",
                           message="That fix is no longer remembered (the studio keeps this session's "
                                   "last fixes only): change the excerpt in the library or its file.")
    try:
        await run_in_threadpool(studio.workspace.edit, lambda: edits.restore_excerpt(
            studio.workspace.root, Path(undo.file), form.get("digest", ""), undo.excerpt_id, undo.before, undo.after))
    except StorygenError as refused:
        return await run_in_threadpool(studio.story, request, refused)
    studio.fixes.undos.pop(form.get("token", ""), None)
    return RedirectResponse(f"/stories/{quote(slug, safe='')}?saved=1#privacy", status_code=303)


async def sign_off(studio, request: Request) -> Response:
    form = await studio.form(request)
    slug = request.path_params["slug"]
    state, error = studio.state_or_error()
    if error:
        return error
    finding = _finding(state, slug, form.get("key", ""))
    if finding is None or finding.rule in UNSIGNABLE:
        return studio.page("error.html", status=404, title="No such finding",
                           message="That finding is no longer reported for this story (the text may have "
                                   "changed): go back to the story.")
    reviewer = " ".join(str(form.get("reviewer", "")).split())[:200]
    reason = " ".join(str(form.get("reason", "")).split())[:MAX_REASON]
    if not reviewer or not reason:
        refusal = edits.WriteRefused("a sign-off needs the reviewer's name and a reason", path=edits.SIGNOFFS_FILE,
                                     hint="say who decided, and why this finding may stand")
        return await run_in_threadpool(studio.story, request, refusal)
    entry = {"key": finding.key, "rule": finding.rule, "story": slug, "span": finding.span,
             "reviewer": reviewer, "date": datetime.date.today().isoformat(), "reason": reason}
    try:
        await run_in_threadpool(studio.workspace.edit,
                                lambda: edits.add_signoff(studio.workspace.root, form.get("digest", ""), entry))
    except StorygenError as refused:
        return await run_in_threadpool(studio.story, request, refused)
    return RedirectResponse(f"/stories/{quote(slug, safe='')}?saved=1#privacy", status_code=303)
