"""What the studio's forms change, each as one round-trip edit through writer.write.

Each function names the file, the digest the page read it with, and the change; the
writer refuses on an outside edit, on a file it cannot edit without re-formatting it, and
whenever the project's loader refuses the result (with the loader's own message).
"""
from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from ..model import Story
from ..project import NARRATIVES
from . import writer
from .writer import WriteRefused, put

SOURCES_FILE = Path(NARRATIVES) / "sources.yaml"
SIGNOFFS_FILE = Path(NARRATIVES) / "private" / "signoffs.yaml"
SIGNOFFS_HEADER = ("# PRIVATE — never published. Privacy findings a reviewer has decided may stand, each\n"
                   "# with the finding's key, who decided, when and why. Written by storygen studio;\n"
                   "# a changed text changes the key, and the sign-off then no longer applies.\n")


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


def _excerpt_item(tree, excerpt_id: str, rel: Path):
    items = tree.get("excerpts") if hasattr(tree, "get") else tree
    for item in items or ():
        if hasattr(item, "get") and str(item.get("id", "")).strip() == excerpt_id:
            return item
    raise WriteRefused(f"excerpt `{excerpt_id}` is no longer in this file", path=rel,
                       hint="reload the page: the file changed")


def _same_style(old, new: str):
    """`new` written as `old` was (a `|` block stays a block, a quoted string stays quoted)."""
    return new if type(old) is str else type(old)(new)


def replace_in_excerpt(root: Path, rel: Path, expected: str, excerpt_id: str, span: str,
                       replacement: str) -> tuple[str, str]:
    """Every whole-word `span` in one excerpt's `text` becomes `replacement` (the span's words may
    be split over lines in the file). Returns the text before and after."""
    words = span.split()
    if not words:
        raise WriteRefused("there is nothing to replace", path=rel)
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)")
    texts: dict[str, str] = {}

    def change(tree):
        item = _excerpt_item(tree, excerpt_id, rel)
        old = item.get("text")
        if not isinstance(old, str):
            raise WriteRefused(f"excerpt `{excerpt_id}` has no text to change", path=rel)
        new, count = pattern.subn(lambda _m: replacement, old)
        if not count:
            raise WriteRefused(f"“{span}” is not in the text of excerpt `{excerpt_id}` as the file has it",
                               path=rel, hint="edit the excerpt's text in its file, or reload the page")
        item["text"] = _same_style(old, new)
        texts.update(before=str(old), after=new)

    writer.write(root, rel, expected, lambda text: writer.edit_yaml(text, change, path=rel),
                 attempted=f"{excerpt_id}: “{span}” → “{replacement}”")
    return texts["before"], texts["after"]


def restore_excerpt(root: Path, rel: Path, expected: str, excerpt_id: str, before: str, after: str) -> None:
    """Undo `replace_in_excerpt`: the text goes back to `before`, only while it is still `after`."""
    def change(tree):
        item = _excerpt_item(tree, excerpt_id, rel)
        if str(item.get("text")) != after:
            raise WriteRefused(f"the text of excerpt `{excerpt_id}` changed after the fix, so it cannot be undone",
                               path=rel, hint="change the excerpt's text in its file instead")
        item["text"] = _same_style(item["text"], before)

    writer.write(root, rel, expected, lambda text: writer.edit_yaml(text, change, path=rel),
                 attempted=f"{excerpt_id}: the text as it was before the fix")


def add_signoff(root: Path, expected: str, entry: dict[str, str]) -> None:
    """Append one sign-off to narratives/private/signoffs.yaml (created with a header if missing).

    Every value is written as a double-quoted string (JSON's quoting, which YAML reads), so a
    reviewer's words can never be read as YAML syntax; the loader then validates the file."""
    block = "".join(("- " if i == 0 else "  ") + f"{key}: {json.dumps(value, ensure_ascii=False)}\n"
                    for i, (key, value) in enumerate(entry.items()))
    shown = block.rstrip("\n")
    if not (root / SIGNOFFS_FILE).exists():
        writer.create(root, SIGNOFFS_FILE, (SIGNOFFS_HEADER + block).encode("utf-8"))
        return
    writer.write(root, SIGNOFFS_FILE, expected,
                 lambda text: (text if not text or text.endswith("\n") else text + "\n") + block, attempted=shown)
