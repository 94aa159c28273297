"""The story composer: a new story, or an existing story's front matter and body, from a form.

A new story is written as a whole new file (front matter dumped by ruamel.yaml, so any
text a user types is quoted as YAML needs, never able to add a key); an existing story
is changed through the round-trip writer, so only the fields that changed move and the
body is replaced only when it changed. Either way the new text is first read by the
loader `storygen check` uses (writer.validate), and a file it refuses is never written.
Excerpts picked from the library are added at the end of the body as
`{{ excerpt("ID") }}` paragraphs: the same call a person writing the file would type.
"""
from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import StorygenError
from ..model import MEDIA
from ..project import NARRATIVES, SLUG
from . import writer

STORIES = Path(NARRATIVES) / "stories"
VOICES = ("first", "third")
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
PICTURE_FIELDS = ("image", "alt", "caption", "credit")
SPARE_PICTURES = 1          # empty rows the form offers for adding a picture without JavaScript


def _one_line(form, name: str) -> str:
    return " ".join(str(form.get(name, "")).split())


def _body(form, picked: list[str]) -> str:
    body = str(form.get("body", "")).replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    for excerpt_id in picked:
        body += f'\n\n{{{{ excerpt("{excerpt_id}") }}}}'
    return body.lstrip("\n") + "\n"


def _flow(items) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def pictures_in_assets(root: Path) -> list[str]:
    """Every picture file under assets/, as a story names it (relative to assets/), sorted."""
    assets = root / "assets"
    if not assets.is_dir():
        return []
    return sorted(p.relative_to(assets).as_posix() for p in assets.rglob("*")
                  if p.suffix.lower() in PICTURE_SUFFIXES and p.is_file() and not p.is_symlink())


def read_pictures(form) -> list[dict[str, str]]:
    """The form's picture rows, in order: a row whose picture is left empty is dropped (so
    choosing "no picture" removes one). Paths are checked by the loader, like a typed file."""
    count = str(form.get("pictures", ""))
    pictures = []
    for i in range(min(int(count), 100) if count.isdigit() else 0):
        row = {key: _one_line(form, f"picture_{key}_{i}") for key in PICTURE_FIELDS}
        if row["image"]:
            pictures.append(row)
    return pictures


def read_form(form, project) -> dict:
    """The composer form's fields, each checked against the project (codes, excerpt ids)."""
    themes = [t for t in form.getlist("themes") if t in project.codes]
    media = [m for m in form.getlist("media") if m in MEDIA]
    picked = [e for e in form.getlist("add") if e in project.excerpts]
    voice = form.get("voice", "first")
    return {"title": _one_line(form, "title"), "summary": _one_line(form, "summary"),
            "persona": {"name": _one_line(form, "persona_name"), "role": _one_line(form, "persona_role"),
                        "setting": _one_line(form, "persona_setting")},
            "voice": voice if voice in VOICES else "first", "themes": themes, "media": media or list(MEDIA),
            "body": _body(form, picked), "picked": picked, "images": read_pictures(form)}


def new_story(workspace, state, form) -> str:
    """Write narratives/stories/SLUG.md as a draft; returns the slug."""
    slug = _one_line(form, "slug").lower()
    fields = read_form(form, state.project)
    if not SLUG.fullmatch(slug):
        raise StorygenError(f"the page address {slug!r} must be lower-case words joined by hyphens",
                            path=STORIES / f"{slug}.md", hint="for example time-to-listen")
    if not fields["title"]:
        raise StorygenError("a story needs a title", path=STORIES / f"{slug}.md", hint="type one in Title")
    front = CommentedMap()
    front["title"] = fields["title"]
    front["summary"] = fields["summary"]
    persona = CommentedMap((k, v) for k, v in fields["persona"].items() if v or k == "name")
    front["persona"] = persona
    front["voice"] = fields["voice"]
    front["themes"] = _flow(fields["themes"])
    front["status"] = "draft"
    front["media"] = _flow(fields["media"])
    if fields["images"]:
        front["images"] = CommentedSeq(_picture(row) for row in fields["images"])
    out = io.StringIO()
    writer._yaml(writer.LAYOUTS[0]).dump(front, out)
    data = f"---\n{out.getvalue()}---\n{fields['body']}".encode("utf-8")
    rel = STORIES / f"{slug}.md"
    workspace.edit(lambda: create(workspace.root, rel, data))
    return slug


def create(root: Path, rel: Path, data: bytes) -> None:
    """A new story file, checked by the loader first and never written over another (writer.create)."""
    writer.create(root, rel, data, taken=writer.WriteRefused(
        "a story with that page address already exists, so nothing was written", path=rel,
        hint="choose another page address, or open the existing story"))


def edit_story(workspace, state, slug: str, form) -> str:
    """Change an existing story: only the fields that differ, and the body if it differs."""
    story = state.project.story(slug)
    if story is None:
        from .edits import NotFound
        raise NotFound("story")
    fields = read_form(form, state.project)
    if not fields["title"]:
        raise StorygenError("a story needs a title", path=story.file, hint="type one in Title")
    body = fields["body"]

    def change(front):
        for key in ("title", "summary", "voice"):
            if str(front.get(key, "")) != fields[key]:
                writer.put(front, key, fields[key])
        persona = front.get("persona")
        if persona is None:
            persona = front["persona"] = CommentedMap()
        for key, value in fields["persona"].items():
            if str(persona.get(key, "")) != value and (value or key in persona):
                persona[key] = value
        for key in ("themes", "media"):
            if [str(x) for x in front.get(key) or []] != fields[key]:
                front[key] = _flow(fields[key])
        _change_pictures(front, fields["images"])

    def make_new(text: str) -> str:
        text = writer.edit_front_matter(text, change, path=story.file)
        return _with_body(text, body)

    digest = form.get("digest", "")
    workspace.edit(lambda: writer.write(workspace.root, story.file, digest, make_new, attempted=body))
    return slug


def _picture(row: dict[str, str]) -> CommentedMap:
    return CommentedMap((key, row[key]) for key in PICTURE_FIELDS if row[key] or key in ("image", "alt"))


def _change_pictures(front, rows: list[dict[str, str]]) -> None:
    """The story's `images` made to match the form's rows, picture by picture and field by
    field, so changing one alt text changes one line (other keys, such as `decorative`, stay)."""
    old = front.get("images")
    if not rows:
        if old:
            del front["images"]
        return
    if not isinstance(old, CommentedSeq):
        writer.put(front, "images", CommentedSeq(_picture(row) for row in rows), after=("content_note", "media"))
        return
    for i, row in enumerate(rows):
        if i >= len(old) or not isinstance(old[i], CommentedMap):
            if i < len(old):
                old[i] = _picture(row)
            else:
                old.append(_picture(row))
            continue
        for key in PICTURE_FIELDS:
            if str(old[i].get(key, "")) == row[key]:
                continue
            if row[key] or key in ("image", "alt"):     # an empty alt is left for the loader to refuse
                writer.put(old[i], key, row[key], after=PICTURE_FIELDS[:PICTURE_FIELDS.index(key)][::-1])
            else:
                del old[i][key]                          # a caption or credit cleared
    del old[len(rows):]


def _with_body(text: str, body: str) -> str:
    """A story file's text with its body (everything after the closing `---` line) replaced."""
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            old = "\n".join(lines[end + 1:])
            return text if old == body else "\n".join(lines[:end + 1]) + "\n" + body
    return text


def candidates(state, themes, limit: int = 60) -> list:
    """Library rows a story on these themes (none ticked: any theme) may quote: usable on the
    site, least quoted first."""
    prefixes = tuple(themes) or tuple(c for c in state.project.codes if "/" not in c)
    rows = [r for r in state.library.rows
            if "site" in r.usable and any(c == t or c.startswith(t + "/") for c in r.codes for t in prefixes)]
    return sorted(rows, key=lambda r: (len(r.quoted_by), r.id))[:limit]
