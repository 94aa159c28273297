"""Shaping a chosen set of excerpts into a story file a team can start editing.

- Chapters by sub-theme, each headed by the codebook's name, in codebook order
  (the order the codebook says themes should appear); within a chapter,
  featured excerpts first, then the codebook order of their codes, then id.
- A placeholder for bridge text after each heading, with the words the rules
  (C3, and C15 for video) leave for it.
- A persona from what every chosen source shares (role, sector, region), never
  from any one source's attributes (C7); an invented name.

The file is written as text whose every user-supplied part is made safe for
where it goes: front matter through the YAML library, headings as Jinja
string literals when they hold template syntax. `verify` then reads it back.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import yaml

from ...model import Persona, Project, count_words
from ..rules import VIDEO_WORD_CAP, Limits
from .pool import Candidate

ROLE_BANDS = {"staff": "a member of staff", "community": "someone using local services"}
PERSONA_NAMES = ("Alex", "Sam", "Jo", "Robin", "Charlie", "Jesse", "Kit", "Rowan", "Frankie", "Ash",
                 "Morgan", "Riley", "Sidney", "Jules", "Nic", "Toni")
SUMMARY = "Write one sentence saying what this story shows."
SLUG_LENGTH = 60
# Characters that may not survive a round trip through a one-line text field:
# line breaks, controls, and the invisible format characters that can reorder
# or hide text (bidi overrides and isolates, BOM). Joiners stay: scripts and emoji need them.
_KEEP_FORMAT = {"\u200c", "\u200d"}


@dataclass(frozen=True)
class Chapter:
    code: str                   # the sub-theme's code id (or the theme's own)
    heading: str
    excerpts: tuple[Candidate, ...]


@dataclass(frozen=True)
class Budget:
    """Words of authored text the rules leave: C3 (share), and the video cap (C15)."""

    quoted: int
    headings: int
    room: int                   # bridge words still free once the headings are counted

    @property
    def total(self) -> int:
        return self.quoted + self.headings


def one_line(text: str) -> str:
    """`text` as one clean line: whitespace runs become one space, controls and bidi marks go."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
                   or ch in _KEEP_FORMAT).strip()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_LENGTH].strip("-")


def chapters(project: Project, chosen: list[Candidate]) -> list[Chapter]:
    codes = project.codes
    groups: dict[str, list[Candidate]] = {}
    for c in chosen:
        groups.setdefault(c.chapter, []).append(c)
    out = []
    for code in sorted(groups, key=lambda k: codes[k].order):
        items = sorted(groups[code], key=lambda c: (not c.featured, c.order, c.key))
        out.append(Chapter(code=code, heading=one_line(codes[code].name) or code, excerpts=tuple(items)))
    return out


def budget(limits: Limits, chosen: list[Candidate], parts: list[Chapter], media) -> tuple[Budget, bool]:
    """The bridge budget, and whether chapter headings fit in it at all (they count as bridge text)."""
    quoted = sum(c.words for c in chosen)
    heading_words = sum(count_words(ch.heading) for ch in parts)
    cap = VIDEO_WORD_CAP - quoted if "video" in media else None
    for headings in (heading_words, 0):
        room = limits.bridge_room(quoted) - headings
        if cap is not None:
            room = min(room, cap - headings)
        if room >= 0:
            return Budget(quoted=quoted, headings=headings, room=room), headings > 0
    raise AssertionError("a selection within the video cap always has room for no bridge text")


def persona(project: Project, chosen: list[Candidate], role: str | None, taken_names: set[str],
            plain: bool = False, skip_names: frozenset[str] = frozenset()) -> Persona:
    """What every chosen source shares: role band, sector, region (C7). `plain` (when the privacy
    guard objects to the persona) keeps only the role band and a public service."""
    sources = [project.sources[s] for s in dict.fromkeys(c.source for c in chosen)]
    roles = {one_line(s.role) for s in sources}
    shared_role = next(iter(roles)) if len(roles) == 1 else ""
    generic = "someone who works in or uses local services"
    band = ROLE_BANDS.get(shared_role) or (generic if plain or not shared_role else _article(shared_role))
    sectors = {one_line(s.sector) for s in sources}
    regions = {one_line(s.attributes.get("region", "")) for s in sources}
    setting = "a public service"
    if not plain and len(sectors) == 1 and next(iter(sectors)):
        setting = f"{_article(next(iter(sectors)))} service"
    if not plain and len(regions) == 1 and next(iter(regions)):
        setting += f", {next(iter(regions))}"
    return Persona(name=invented_name(role or shared_role, taken_names | skip_names), role=band, setting=setting)


def invented_name(seed: str, avoid: set[str] | frozenset[str]) -> str:
    """A first name from a fixed list, the same for the same seed, not one another story's persona uses."""
    start = int(hashlib.sha256(seed.encode("utf-8")).hexdigest(), 16) % len(PERSONA_NAMES)
    folded = {a.casefold() for a in avoid}
    for step in range(len(PERSONA_NAMES)):
        name = PERSONA_NAMES[(start + step) % len(PERSONA_NAMES)]
        if name.casefold() not in folded:
            return name
    return PERSONA_NAMES[start]


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


# --- the file -------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, with any text holding a line break written double-quoted on one line,
    so that no line of the front matter can ever read as the closing `---`."""


def _represent_text(dumper: yaml.SafeDumper, value: str):
    style = '"' if any(ch in value for ch in "\n\r\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def front_matter(fields: dict) -> str:
    """Front matter, one key at a time through the YAML library: lists in flow style, the rest blocks."""
    parts = []
    for key, value in fields.items():
        parts.append(yaml.dump({key: value}, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                               width=1_000_000, default_flow_style=None if isinstance(value, list) else False))
    return "---\n" + "".join(parts) + "---\n"


def heading_line(text: str) -> str:
    """A Markdown heading whose text cannot run as template code, whatever the codebook says."""
    if any(mark in text for mark in ("{{", "{%", "{#")):
        return "## {{ " + jinja_literal(text) + " }}"
    return "## " + text


def jinja_literal(text: str) -> str:
    """A Jinja string literal for `text`: everything but plain letters, digits and spaces escaped."""
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch == " "):
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def body(parts: list[Chapter], room: Budget, with_headings: bool, figures: str) -> str:
    lines = ["{# " + figures + " #}", ""]
    each = room.room // max(len(parts), 1)
    for index, chapter in enumerate(parts):
        if with_headings:
            lines += [heading_line(chapter.heading), ""]
        where = "set the scene" if index == 0 else "lead on from the last chapter"
        lines += ["{# Bridge text (optional): " + where + ", in the persona's voice. Setting and transitions "
                  f"only, never an experience nobody described. About {each} words here; "
                  f"{room.room} are free in the whole story. #}}", ""]
        for c in chapter.excerpts:
            lines += [f'{{{{ excerpt("{c.id}") }}}}', ""]
    return "\n".join(lines)
