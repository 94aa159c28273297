"""What the studio's forms change, each as one round-trip edit through writer.write.

Each function names the file, the digest the page read it with, and the change; the
writer refuses on an outside edit, on a file it cannot edit without re-formatting it, and
whenever the project's loader refuses the result (with the loader's own message).
"""
from __future__ import annotations

import datetime
from pathlib import Path

from ..model import Story
from ..project import NARRATIVES
from . import writer
from .writer import WriteRefused, put

SOURCES_FILE = Path(NARRATIVES) / "sources.yaml"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def set_excerpt_flags(root: Path, rel: Path, expected: str, excerpt_id: str, *, featured: bool,
                      singular: bool) -> None:
    """The team's own fields of one excerpt: `featured` and `singular`."""
    def change(tree):
        items = tree.get("excerpts") if hasattr(tree, "get") else tree
        for item in items or ():
            if str(item.get("id", "")).strip() == excerpt_id:
                for key, wanted in (("featured", featured), ("singular", singular)):
                    if wanted or key in item:       # an absent `no` stays absent
                        put(item, key, yes_no(wanted), after=("featured", "codes", "id"))
                return
        raise WriteRefused(f"excerpt `{excerpt_id}` is no longer in this file", path=rel,
                           hint="reload the page: the file changed")

    writer.write(root, rel, expected, lambda text: writer.edit_yaml(text, change, path=rel),
                 attempted=f"{excerpt_id}: featured {yes_no(featured)}, singular {yes_no(singular)}")


def set_consent(root: Path, expected: str, source_id: str, consent: dict[str, bool]) -> None:
    """A source's consent to composite use, the site and video (the report's stays as written)."""
    def change(tree):
        if source_id not in tree:
            raise WriteRefused(f"source `{source_id}` is no longer in this file", path=SOURCES_FILE)
        entry = tree[source_id]
        if "consent" not in entry or entry["consent"] is None:
            put(entry, "consent", {}, after=("attributes", "sector", "role"))
        for key in ("composite", "web", "video"):
            put(entry["consent"], key, yes_no(consent[key]))

    shown = ", ".join(f"{k} {yes_no(v)}" for k, v in consent.items())
    writer.write(root, SOURCES_FILE, expected, lambda text: writer.edit_yaml(text, change, path=SOURCES_FILE),
                 attempted=f"{source_id} consent: {shown}")


def set_review(root: Path, story: Story, expected: str, *, status: str, reviewer: str,
               today: datetime.date | None = None) -> None:
    """A story's review status; `reviewed` and `approved` record the reviewer and the date."""
    rel = Path(story.file)
    reviewer = " ".join(reviewer.split())
    if status in ("reviewed", "approved") and not reviewer:
        raise WriteRefused("a review needs the reviewer's name", path=rel,
                           hint="type your name (or your panel's) in the Reviewer box")
    when = today or datetime.date.today()

    def change(tree):
        put(tree, "status", status, after=("themes", "voice"))
        if status != "draft":
            put(tree, "reviewer", reviewer, after=("status",))
            put(tree, "reviewed_on", when, after=("reviewer",))

    writer.write(root, rel, expected, lambda text: writer.edit_front_matter(text, change, path=rel),
                 attempted=f"status: {status}, reviewer: {reviewer}, reviewed_on: {when.isoformat()}")
