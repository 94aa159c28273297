"""Read a project folder into the model. The only module that parses project files.

Reading happens in one pass over everything (config, codebook, sources,
excerpts, stories) and cross-references them, so every later phase can trust
the model: codes exist, sources exist, ids are unique.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields as dataclass_fields, replace
from datetime import date
from pathlib import Path

from .config import VIDEO_FORMATS, VideoTheme, load_config, read_toml
from .errors import ProjectError
from .model import (MEDIA, STATUSES, VOICES, Code, Consent, Excerpt, Origin, Persona,
                    Picture, Project, Source, Story)
from .paths import inside, project_file, refuse_linked_folders
from .yamlfile import Fields, Map, Seq, TreeMemory, load_yaml, read_text

# What counts as a project input, answered once: every file under the project except in
# folders starting with a dot (git, .storygen-cache, the build's staging folders) or named
# here, and the output folders. The up-to-date fingerprint hashes exactly these;
# `storygen serve` rebuilds when one changes, except editors' scratch files (written on
# every keystroke; never read by a build, but hashed anyway: a fingerprint errs on the
# side of rebuilding).
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})
SCRATCH_SUFFIXES = (".swp", ".swx", "~", ".tmp", ".part")


def is_input_folder(name: str) -> bool:
    return not name.startswith(".") and name not in SKIPPED_DIRS


NARRATIVES = "narratives"
VIDEO_THEME = Path("templates") / "video" / "theme.toml"
PRIVATE = "private"             # narratives/private/: read only by the privacy guard
# Matched with fullmatch(): `$` would also match before a trailing newline.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass
class _Reading:
    """One load of one project: its root and what the load may remember."""

    root: Path
    trees: TreeMemory | None = None               # parsed YAML from earlier loads (serve)
    # asset reference -> its path inside assets/ (or None: outside), for this load only:
    # a thousand stories share a few pictures, and each resolve is a dozen system calls.
    assets: dict[str, str | None] = field(default_factory=dict)
    # Where the files read may lie, links resolved (storygen/paths.py): the project folder.
    bounds: tuple = ()


def load_project(root: Path, *, yaml_trees: dict | None = None) -> Project:
    """Read and cross-check a whole project. Raises ProjectError on the first problem.

    `yaml_trees` is the build context's memory of parsed YAML (BuildContext.yaml_trees):
    files whose text is unchanged since the last load are not parsed again.
    """
    root = root.resolve()
    config = load_config(root)
    base = root / NARRATIVES
    if not base.is_dir():
        raise ProjectError("no narratives/ folder", path=root,
                           hint="create it, or start a project with `storygen init DIR`")
    bounds = (root,)
    reading = _Reading(root, TreeMemory(yaml_trees) if yaml_trees is not None else None, bounds=bounds)
    codes = _read_codebook(root, base / "codebook.yaml", bounds)
    sources = _read_sources(root, base / "sources.yaml", bounds)
    excerpts = _read_excerpts(reading, base / "excerpts", sources, codes)
    stories = _read_stories(reading, base / "stories", codes)
    if reading.trees is not None:
        reading.trees.forget_unseen()
    return Project(root=root, config=config, codes=codes, sources=sources,
                   excerpts=excerpts, stories=stories)


def read_video_theme(root: Path) -> VideoTheme:
    """`templates/video/theme.toml` over the default look (the defaults when there is none).

    Read only when videos are checked or rendered, so a site-only build never
    depends on it. Font paths are returned as written (relative to the project root).
    """
    path = root / VIDEO_THEME
    theme = VideoTheme()
    if not path.is_file():
        return theme
    project_file(root.resolve(), path, VIDEO_THEME)
    raw = read_toml(path, "video theme", hint="fix the TOML, or delete the file to use the default look")
    known = {f.name for f in dataclass_fields(VideoTheme)}
    changes = {}
    for key, value in raw.items():
        if key not in known:
            raise ProjectError(f"unknown theme key `{key}`", path=path, hint=f"known keys: {', '.join(sorted(known))}")
        try:
            changes[key] = type(getattr(theme, key))(value)
        except (TypeError, ValueError):
            raise ProjectError(f"theme key `{key}` should be {type(getattr(theme, key)).__name__}, "
                               f"not {value!r}", path=path) from None
    for key in ("font", "font_bold"):           # paths in a project are untrusted (storygen/paths.py)
        if key in changes and inside(root, changes[key]) is None:
            raise ProjectError(f"theme key `{key}` = {changes[key]!r} lies outside the project folder",
                               path=VIDEO_THEME, hint="copy the font into the project, e.g. "
                               "templates/video/fonts/, and give its path from the project root")
    return replace(theme, **changes)


def relative(root: Path, path: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path


def require_story(project: Project, slug: str) -> Story:
    """The story with this slug, or an error that suggests the nearest one."""
    story = project.story(slug)
    if story is None:
        raise ProjectError(f"there is no story `{slug}`", path=Path(NARRATIVES) / "stories",
                           hint=did_you_mean(slug, [s.slug for s in project.stories], "narratives/stories/"))
    return story


def did_you_mean(word: str, choices, what: str) -> str:
    guess = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    if guess:
        return f"did you mean `{guess[0]}`?"
    return f"add it to {what}, or check the spelling"


# --- codebook ---------------------------------------------------------------

def _read_codebook(root: Path, path: Path, bounds: tuple) -> dict[str, Code]:
    if not path.is_file():
        raise ProjectError("the codebook is missing", path=relative(root, path),
                           hint="create narratives/codebook.yaml (see docs/project-format.md)")
    rel = relative(root, path)
    project_file(bounds, path, rel)
    data = load_yaml(path, shown=rel)
    if not isinstance(data, Map):
        raise ProjectError("the codebook should list themes as `id:` entries", path=rel, line=1)
    codes: dict[str, Code] = {}
    _read_codes(data, "", rel, codes, inherited_colour="#555555")
    if not codes:
        raise ProjectError("the codebook has no themes", path=rel, hint="add at least one theme")
    return codes


def _read_codes(data: Map, prefix: str, rel: Path, codes: dict[str, Code], inherited_colour: str) -> None:
    for slug, entry in data.items():
        line = data.line_of(slug)
        if not SLUG.fullmatch(slug):
            raise ProjectError(f"code id `{slug}` should be lower-case words joined by hyphens",
                               path=rel, line=line, hint="for example `working-together`")
        code_id = prefix + slug
        fields = Fields(entry if isinstance(entry, Map) else _empty(line), rel, f"code `{code_id}`")
        fields.reject_unknown({"name", "description", "colour", "color", "codes"})
        colour = fields.text("colour") or fields.text("color") or inherited_colour
        if not HEX_COLOUR.fullmatch(colour):
            raise fields.error("colour", f"colour {colour!r} should look like \"#1f6f8b\"")
        codes[code_id] = Code(id=code_id, name=fields.text("name") or slug.replace("-", " ").capitalize(),
                              description=fields.text("description"), colour=colour.lower(),
                              order=len(codes), origin=Origin(rel, line))
        children = fields.table("codes")
        if children:
            _read_codes(children, code_id + "/", rel, codes, colour)


def _empty(line: int) -> Map:
    empty = Map()
    empty.line = line
    empty.key_lines = {}
    return empty


# --- sources ----------------------------------------------------------------

def _read_sources(root: Path, path: Path, bounds: tuple) -> dict[str, Source]:
    rel = relative(root, path)
    if not path.is_file():
        raise ProjectError("the sources list is missing", path=rel,
                           hint="create narratives/sources.yaml with one entry per interview")
    project_file(bounds, path, rel)
    data = load_yaml(path, shown=rel)
    if not isinstance(data, Map):
        raise ProjectError("sources should be listed as `ID:` entries", path=rel, line=1)
    sources: dict[str, Source] = {}
    for source_id, entry in data.items():
        line = data.line_of(source_id)
        if not ID.fullmatch(source_id):
            raise ProjectError(f"source id `{source_id}` may hold only letters, digits, - _ .",
                               path=rel, line=line)
        fields = Fields(entry if isinstance(entry, Map) else _empty(line), rel, f"source `{source_id}`")
        fields.reject_unknown({"role", "sector", "attributes", "consent", "withdrawn"})
        consent = Fields(fields.table("consent"), rel, f"consent of `{source_id}`")
        consent.reject_unknown({"composite", "web", "video", "report"})
        attributes = fields.table("attributes")
        for key, value in attributes.items():
            if not isinstance(value, str):
                raise ProjectError(f"attribute `{key}` should be a short text", path=rel,
                                   line=attributes.line_of(key))
        sources[source_id] = Source(
            id=source_id,
            role=fields.text("role", required=True),
            sector=fields.text("sector", required=True),
            consent=Consent(composite=consent.flag("composite"), web=consent.flag("web"),
                            video=consent.flag("video"),
                            report=consent.flag("report") if "report" in consent.map else None),
            withdrawn=fields.flag("withdrawn"),
            attributes=dict(sorted(attributes.items())),
            origin=Origin(rel, line),
        )
    return sources


# --- excerpts ---------------------------------------------------------------

def _read_excerpts(reading: _Reading, folder: Path, sources: dict[str, Source],
                   codes: dict[str, Code]) -> dict[str, Excerpt]:
    excerpts: dict[str, Excerpt] = {}
    if not folder.is_dir():
        return excerpts
    refuse_linked_folders(folder, reading.bounds or reading.root, lambda path: relative(reading.root, path))
    for path in sorted(folder.rglob("*.yaml")):
        rel = relative(reading.root, path)
        project_file(reading.bounds, path, rel)
        data = load_yaml(path, shown=rel, memory=reading.trees)
        if isinstance(data, Seq):
            default_source, items = "", data
        else:
            top = Fields(data, rel, "an excerpts file")
            top.reject_unknown({"source", "excerpts"})
            default_source = top.text("source")
            items = data.get("excerpts", Seq())
            if not isinstance(items, Seq):
                raise top.error("excerpts", "`excerpts` should be a list, each item starting with `- id:`")
        for index, item in enumerate(items):
            line = items.item_lines[index] if hasattr(items, "item_lines") else None
            if not isinstance(item, Map):
                raise ProjectError("each excerpt should be a set of `key: value` lines starting with `- id:`",
                                   path=rel, line=line)
            excerpt = _read_excerpt(Fields(item, rel, "an excerpt"), default_source, sources, codes)
            if excerpt.id in excerpts:
                first = excerpts[excerpt.id].origin
                raise ProjectError(f"excerpt id `{excerpt.id}` is used twice (first at {first})",
                                   path=rel, line=item.line_of("id"), hint="give each excerpt its own id")
            excerpts[excerpt.id] = excerpt
    return excerpts


def _read_excerpt(fields: Fields, default_source: str, sources, codes) -> Excerpt:
    fields.reject_unknown({"id", "source", "text", "codes", "featured", "singular", "memo"})
    excerpt_id = fields.text("id", required=True).strip()
    if not ID.fullmatch(excerpt_id):
        raise fields.error("id", f"excerpt id `{excerpt_id}` may hold only letters, digits, - _ .")
    fields.what = f"excerpt `{excerpt_id}`"
    source_id = fields.text("source", default_source).strip()
    if not source_id:
        raise fields.error(None, f"excerpt `{excerpt_id}` has no source",
                           hint="add `source: ID` at the top of the file or to the excerpt")
    if source_id not in sources:
        raise fields.error("source" if "source" in fields.map else None,
                           f"excerpt `{excerpt_id}` names source `{source_id}`, which is not in sources.yaml",
                           hint=did_you_mean(source_id, sources, "narratives/sources.yaml"))
    text = fields.text("text", required=True).strip()
    if not text:
        raise fields.error("text", f"excerpt `{excerpt_id}` has empty text")
    excerpt_codes = fields.words("codes")
    if not excerpt_codes:
        raise fields.error(None, f"excerpt `{excerpt_id}` has no codes", hint="add `codes: [theme-id]`")
    for code in excerpt_codes:
        if code not in codes:
            raise fields.error("codes", f"excerpt `{excerpt_id}` has unknown code `{code}`",
                               hint=did_you_mean(code, codes, "narratives/codebook.yaml"))
    return Excerpt(id=excerpt_id, source_id=source_id, text=text, codes=excerpt_codes,
                   featured=fields.flag("featured"), singular=fields.flag("singular"),
                   memo=fields.text("memo").strip(), origin=Origin(fields.path, fields.line))


# --- stories ----------------------------------------------------------------

STORY_FIELDS = {"title", "summary", "persona", "voice", "themes", "status", "reviewer", "reviewed_on",
                "media", "mixed_roles", "content_note", "images", "narration", "video_formats"}


def _read_stories(reading: _Reading, folder: Path, codes: dict[str, Code]) -> list[Story]:
    stories = []
    if not folder.is_dir():
        return stories
    for path in sorted(folder.glob("*.md")):
        if path.stem.upper() == "README":     # notes for the team, not a story
            continue
        stories.append(read_story(reading, path, codes))
    return stories


def split_front_matter(text: str, rel: Path) -> tuple[str, str, int]:
    """Return (front matter, body, line where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ProjectError("a story must start with front matter between `---` lines", path=rel, line=1,
                           hint="put `---` on the first line, the title and other fields, then `---`")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    raise ProjectError("the front matter is never closed", path=rel, line=1,
                       hint="add a line with only `---` after the last field")


def read_story_file(root: Path, path: Path, codes: dict[str, Code]) -> Story:
    """One story file, read and checked exactly as a project load reads it (`storygen draft`
    reads back what it wrote with this before the file may join the project)."""
    return read_story(_Reading(root.resolve()), path, codes)


def read_story(reading: _Reading, path: Path, codes: dict[str, Code]) -> Story:
    root = reading.root
    rel = relative(root, path)
    slug = path.stem
    if not SLUG.fullmatch(slug):
        raise ProjectError(f"story file name `{path.name}` must be lower-case words joined by hyphens",
                           path=rel, hint="rename it, e.g. `time-to-listen.md` (it becomes the page address)")
    if path.is_relative_to(root):       # a project file (draft reads back its own scratch file too)
        project_file(reading.bounds or root, path, rel)
    front, body, body_line = split_front_matter(read_text(path, shown=rel), rel)
    data = load_yaml(path, front, line_offset=1, shown=rel, memory=reading.trees)
    fields = Fields(data, rel, "the story's front matter")
    fields.reject_unknown(STORY_FIELDS)
    persona = Fields(fields.table("persona"), rel, "`persona`")
    persona.reject_unknown({"name", "role", "setting"})
    voice = fields.text("voice", "first")
    status = fields.text("status", "draft")
    for key, value, allowed in (("voice", voice, VOICES), ("status", status, STATUSES)):
        if value not in allowed:
            raise fields.error(key, f"`{key}` is {value!r}; it must be one of {', '.join(allowed)}")
    themes = fields.words("themes")
    for theme in themes:
        if theme not in codes:
            raise fields.error("themes", f"theme `{theme}` is not in the codebook",
                               hint=did_you_mean(theme, codes, "narratives/codebook.yaml"))
    media = fields.words("media") or MEDIA
    for medium in media:
        if medium not in MEDIA:
            raise fields.error("media", f"medium `{medium}` is not one of {', '.join(MEDIA)}")
    formats = fields.words("video_formats") or ("16:9",)
    for fmt in formats:
        if fmt not in VIDEO_FORMATS:
            raise fields.error("video_formats", f"video format `{fmt}` is not one of {', '.join(VIDEO_FORMATS)}")
    reviewed_on = fields.text("reviewed_on")
    if reviewed_on:
        try:
            date.fromisoformat(reviewed_on)
        except ValueError:
            raise fields.error("reviewed_on", f"`reviewed_on` {reviewed_on!r} is not a date",
                               hint="write it as YYYY-MM-DD, e.g. 2026-11-02") from None
    story = Story(
        slug=slug,
        title=fields.text("title", required=True).strip(),
        summary=fields.text("summary").strip(),
        persona=Persona(name=persona.text("name", required=True).strip(),
                        role=persona.text("role").strip(), setting=persona.text("setting").strip()),
        voice=voice, themes=themes, status=status,
        reviewer=fields.text("reviewer").strip(), reviewed_on=reviewed_on,
        media=media, body=body, body_line=body_line,
        mixed_roles=fields.flag("mixed_roles"),
        content_note=fields.text("content_note").strip(),
        images=_read_pictures(reading, fields, rel),
        narration=_asset_path(reading, fields, "narration") if fields.text("narration") else "",
        video_formats=formats,
        origin=Origin(rel, 1),
    )
    return story


def _read_pictures(reading: _Reading, fields: Fields, rel: Path) -> tuple[Picture, ...]:
    items = fields.map.get("images")
    fields.used.add("images")
    if items in (None, ""):
        return ()
    if not isinstance(items, Seq):
        raise fields.error("images", "`images` should be a list, each item starting with `- image:`")
    pictures = []
    for item in items:
        picture = Fields(item, rel, "an image")
        picture.reject_unknown({"image", "alt", "credit", "caption", "decorative"})
        decorative = picture.flag("decorative")
        alt = picture.text("alt").strip()
        if not alt and not decorative:
            raise picture.error(None, "an image has no alt text",
                                hint="describe what it shows in `alt:`, or mark it `decorative: yes`")
        pictures.append(Picture(image=_asset_path(reading, picture, "image"), alt=alt,
                                credit=picture.text("credit").strip(),
                                caption=picture.text("caption").strip(), decorative=decorative))
    return tuple(pictures)


def _asset_path(reading: _Reading, fields: Fields, key: str) -> str:
    """An asset reference, checked to stay inside assets/ (paths in files are untrusted)."""
    value = fields.text(key, required=True).strip()
    if value not in reading.assets:
        reading.assets[value] = _inside_assets(reading.root, value)
    inside = reading.assets[value]
    if inside is None:
        raise fields.error(key, f"`{value}` points outside the project's assets/ folder",
                           hint="give a path relative to assets/, e.g. photos/table.jpg")
    return inside


def _inside_assets(root: Path, value: str) -> str | None:
    """`value` resolved (symlinks too) relative to assets/, or None when it leads outside."""
    assets = (root / "assets").resolve()
    target = (assets / value).resolve()
    if value.startswith(("/", "\\")) or not target.is_relative_to(assets):
        return None
    return target.relative_to(assets).as_posix()
