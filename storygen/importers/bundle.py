"""The in-memory result of reading a foreign export: codes, sources, excerpts.

Every importer (csv, taguette, qualcoder, refi) turns its file into one
`Bundle`; `writer.merge_bundle` is the only code that touches project files.
A bundle also carries the data-loss report (what could not be imported and
why) and notes for the summary, so nothing is dropped silently.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from ..errors import ImportError_
from ..project import ID as ID_RE   # what the project loader accepts (fullmatch)

# Fields of a source the importers may set; anything else becomes an attribute.
SOURCE_FIELDS = ("role", "sector", "consent_composite", "consent_web", "consent_video", "withdrawn")
YES = {"yes", "y", "true", "1", "x", "ja", "oui"}
NO = {"no", "n", "false", "0", ""}


def slug(name: str) -> str:
    """A code-id segment from a human name: `Working together` -> `working-together`.

    Accents are folded to ASCII so ids are easy to type; a name with no Latin
    letters at all (e.g. Greek, CJK) keeps a short hash so it still has an id.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not out:
        out = "code-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return out




def safe_id(name: str) -> str:
    """A source/excerpt id from a name: letters, digits, `_ . -` only (`case one` -> `case-one`)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^A-Za-z0-9_.-]+", "-", folded).strip("-_.")
    return out or "id-" + short_hash(name)


def check_id(value: str, what: str, where: str, path) -> str:
    if not ID_RE.fullmatch(value):
        raise ImportError_(f"{where}: {what} {value!r} may only contain letters, digits, `_`, `.` "
                           "and `-`, starting with a letter or digit", path=path,
                           hint=f"for example {safe_id(value)!r}")
    return value


def hex_colour(value: str) -> str:
    """#abc / #AABBCC -> #aabbcc; anything else -> "" (the codebook's default applies)."""
    value = (value or "").strip()
    if re.fullmatch(r"#[0-9A-Fa-f]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    return value.lower() if re.fullmatch(r"#[0-9A-Fa-f]{6}", value) else ""


def short_hash(text: str, n: int = 6) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def clean_text(text: str) -> str:
    """Verbatim text in the project's form: LF line ends, no trailing spaces, no outer blank lines.

    Only invisible whitespace changes; the words stay exactly as spoken.
    """
    # YAML (and the project's loader) reads NEL and the Unicode line/paragraph separators
    # as line breaks too: normalise them here, or the written file would not read back.
    text = text.replace("\r\n", "\n").replace("\ufeff", "")
    text = re.sub("[\r\x85\u2028\u2029]", "\n", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n").strip()


def parse_flag(value: str, *, what: str, where: str, path) -> bool | None:
    """yes/no-ish spreadsheet values -> bool; empty -> None (not stated)."""
    v = (value or "").strip().lower()
    if v == "":
        return None
    if v in YES:
        return True
    if v in NO:
        return False
    raise ImportError_(f"{where}: `{what}` must be yes or no, not {value!r}", path=path,
                       hint="use yes/no (or true/false, 1/0), or leave it empty")


@dataclass
class CodeIn:
    id: str                      # slug path, e.g. working-together/shared-records
    names: tuple[str, ...]       # the human name path, e.g. ("Working together", "Shared records")
    description: str = ""
    colour: str = ""

    @property
    def name(self) -> str:
        return self.names[-1]


@dataclass
class SourceIn:
    id: str
    role: str = ""
    sector: str = ""
    consent: dict[str, bool] = field(default_factory=dict)   # only keys the export stated
    withdrawn: bool | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class ExcerptIn:
    id: str
    source_id: str
    text: str
    codes: list[str]
    featured: bool | None = None
    singular: bool | None = None
    memo: str = ""
    where: str = ""              # e.g. "row 7", "selection 1a2b…" for messages


@dataclass
class Bundle:
    """Everything one export holds, in the order the export gave it."""

    fmt: str
    codes: dict[str, CodeIn] = field(default_factory=dict)
    sources: dict[str, SourceIn] = field(default_factory=dict)
    excerpts: list[ExcerptIn] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)   # data-loss report lines
    notes: list[str] = field(default_factory=list)    # what the user should know
    _by_names: dict[tuple[str, ...], str] = field(default_factory=dict, repr=False)
    _excerpt_where: dict[str, str] = field(default_factory=dict, repr=False)

    def rename_codes(self, rename: dict[str, str]) -> None:
        """Give codes new ids (old id -> new id), keeping every name that leads to them."""
        self.codes = {rename.get(old, old): code for old, code in self.codes.items()}
        for new_id, code in self.codes.items():
            code.id = new_id
        self._by_names = {names: rename.get(old, old) for names, old in self._by_names.items()}

    def add_code(self, names: list[str] | tuple[str, ...], *, description: str = "",
                 colour: str = "") -> str:
        """Add a code by its name path (parents are created too) and return its id."""
        names = tuple(n.strip() for n in names if n and n.strip())
        if not names:
            raise ValueError("empty code path")
        parent_id = None
        for depth in range(1, len(names) + 1):
            key = names[:depth]
            if key in self._by_names:
                parent_id = self._by_names[key]
                continue
            seg = slug(key[-1])
            cid = f"{parent_id}/{seg}" if parent_id else seg
            same = self.codes.get(cid)
            if same is not None and (key[-1] == seg or same.name == seg):
                # one of the two spellings is the id itself ("turning-off-targets"):
                # the same code, named by its human name
                if same.name == seg and key[-1] != seg:
                    same.names = same.names[:-1] + (key[-1],)
                    self._by_names[same.names] = cid
                self._by_names[key] = cid
                parent_id = cid
                continue
            n = 2
            while cid in self.codes:     # two names that fold to one slug: keep both
                cid = f"{parent_id}/{seg}-{n}" if parent_id else f"{seg}-{n}"
                n += 1
            self.codes[cid] = CodeIn(cid, key)
            self._by_names[key] = cid
            parent_id = cid
        code = self.codes[parent_id]
        if description and not code.description:
            code.description = clean_text(description)
        if hex_colour(colour) and not code.colour:
            code.colour = hex_colour(colour)
        return parent_id

    def source(self, source_id: str) -> SourceIn:
        if source_id not in self.sources:
            self.sources[source_id] = SourceIn(source_id)
        return self.sources[source_id]

    def add_excerpt(self, excerpt: ExcerptIn, path) -> None:
        if excerpt.id in self._excerpt_where:
            raise ImportError_(
                f"{excerpt.where}: duplicate excerpt id {excerpt.id!r} "
                f"(first seen at {self._excerpt_where[excerpt.id]})", path=path,
                hint="every excerpt needs its own id; fix the export and import again")
        self._excerpt_where[excerpt.id] = excerpt.where
        self.source(excerpt.source_id)
        excerpt.codes = list(dict.fromkeys(excerpt.codes))
        self.excerpts.append(excerpt)


def apply_source_fields(src: SourceIn, name: str, value: str, *, where: str, path) -> None:
    """Put a named value on a source: a known field (role, consent_web…) or an attribute."""
    key = name.strip().lower().replace(" ", "_")
    value = (value or "").strip()
    if not value:
        return
    if key in ("role", "sector"):
        setattr(src, key, value)
    elif key.startswith("consent_"):
        flag = parse_flag(value, what=key, where=where, path=path)
        if flag is not None:
            src.consent[key.removeprefix("consent_")] = flag
    elif key == "withdrawn":
        src.withdrawn = parse_flag(value, what=key, where=where, path=path)
    else:
        src.attributes[name.strip()] = value
