"""The project's private knowledge: `narratives/private/` (never read by renderers).

- `pseudonyms.yaml` — real names (people, places, organisations) → pseudonym,
  with the sources they appear in. The guard blocks any real value that
  reaches a published text, checks the map for consistency (R4) and accepts
  the pseudonyms as names (R2/R3).
- `deny.yaml` — terms the team knows appear in its interviews; always BLOCK.
- `signoffs.yaml` — reviewed findings with reviewer, date and reason, keyed
  by a hash of the rule, the span and the text it was found in: editing the
  text changes the key, so the sign-off no longer applies.

Formats and examples: docs/privacy.md. All files are optional.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ProjectError
from ..model import Origin
from ..project import relative
from ..yamlfile import Map, Seq, load_yaml
from .textnorm import fold_key

PRIVATE_DIR = Path("narratives") / "private"
KINDS = ("people", "places", "organisations")


@dataclass(frozen=True)
class MapEntry:
    kind: str                     # people | places | organisations
    real: str
    also: tuple[str, ...]
    pseudonym: str
    sources: tuple[str, ...]
    origin: Origin

    @property
    def values(self) -> tuple[str, ...]:
        return (self.real, *self.also)


@dataclass(frozen=True)
class DenyTerm:
    term: str
    note: str
    origin: Origin


@dataclass(frozen=True)
class SignOff:
    key: str
    rule: str
    span: str
    story: str
    reviewer: str
    date: str
    reason: str
    origin: Origin


@dataclass
class PrivateKnowledge:
    entries: list[MapEntry] = field(default_factory=list)
    deny: list[DenyTerm] = field(default_factory=list)
    signoffs: dict[str, SignOff] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def secrets(self) -> dict[str, str]:
        """Every private literal -> a label saying where it comes from (never the value)."""
        out: dict[str, str] = {}
        for e in self.entries:
            for value in e.values:
                out.setdefault(value, f"an original value in pseudonyms.yaml ({e.origin})")
        for d in self.deny:
            out.setdefault(d.term, f"a term on the deny-list ({d.origin})")
        return out

    def pseudonyms(self) -> frozenset[str]:
        """Approved pseudonyms (casefolded) that name detection accepts."""
        return frozenset(fold_key(e.pseudonym) for e in self.entries
                         if not e.pseudonym.startswith("["))

    def real_keys(self) -> dict[str, MapEntry]:
        return {fold_key(v): e for e in self.entries for v in e.values}


# --- reading: the project's line-aware YAML reader (storygen/yamlfile.py) ---------------
def _read(path: Path, root: Path):
    rel = relative(root, path)
    return load_yaml(path, shown=rel), rel


def _text(value, rel: Path, line: int, what: str) -> str:
    if not isinstance(value, str):
        raise ProjectError(f"{what} must be a single value", path=rel, line=getattr(value, "line", line))
    return value.strip()


def _texts(value, rel: Path, line: int, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, Seq):
        return tuple(_text(v, rel, n, what) for v, n in zip(value, value.item_lines))
    raise ProjectError(f"{what} must be a list", path=rel, line=getattr(value, "line", line))


# --- loading -----------------------------------------------------------------------
def load_private(root: Path) -> PrivateKnowledge:
    """Read narratives/private/ under `root`; missing files mean empty knowledge."""
    folder = root / PRIVATE_DIR
    know = PrivateKnowledge()
    pseud = folder / "pseudonyms.yaml"
    if pseud.is_file():
        know.files.append(str(PRIVATE_DIR / pseud.name))
        know.entries = _load_map(pseud, root)
    deny = folder / "deny.yaml"
    if deny.is_file():
        know.files.append(str(PRIVATE_DIR / deny.name))
        know.deny = _load_deny(deny, root)
    sign = folder / "signoffs.yaml"
    if sign.is_file():
        know.files.append(str(PRIVATE_DIR / sign.name))
        know.signoffs = _load_signoffs(sign, root)
    return know


def _load_map(path: Path, root: Path) -> list[MapEntry]:
    data, rel = _read(path, root)
    if not data:
        return []
    if not isinstance(data, Map):
        raise ProjectError("pseudonyms.yaml must have sections people:, places:, organisations:",
                           path=rel, line=1, hint="see docs/privacy.md for an example")
    entries: list[MapEntry] = []
    for kind, section in data.items():
        if kind not in KINDS:
            raise ProjectError(f"unknown section `{kind}`", path=rel, line=data.line_of(kind),
                               hint=f"use one of: {', '.join(KINDS)}")
        if not isinstance(section, Seq):
            raise ProjectError(f"`{kind}` must be a list of entries (- real: …)", path=rel,
                               line=data.line_of(kind))
        for item, line in zip(section, section.item_lines):
            if not isinstance(item, Map):
                raise ProjectError("each entry needs `real:` and `pseudonym:`", path=rel, line=line)
            unknown = set(item) - {"real", "also", "pseudonym", "sources", "note"}
            if unknown:
                raise ProjectError(f"unknown key `{sorted(unknown)[0]}`", path=rel, line=line,
                                   hint="keys: real, also, pseudonym, sources, note")
            if "real" not in item or "pseudonym" not in item:
                raise ProjectError("entry needs both `real:` and `pseudonym:`", path=rel, line=line,
                                   hint="e.g.  - real: Margaret Holloway\n           pseudonym: Jean")
            real = _text(item["real"], rel, line, "`real`")
            pseudonym = _text(item["pseudonym"], rel, line, "`pseudonym`")
            if not real or not pseudonym:
                raise ProjectError("`real` and `pseudonym` must not be empty", path=rel, line=line)
            entries.append(MapEntry(kind, real, _texts(item.get("also"), rel, line, "`also`"), pseudonym,
                                    _texts(item.get("sources"), rel, line, "`sources`"), Origin(rel, line)))
    return entries


def _load_deny(path: Path, root: Path) -> list[DenyTerm]:
    data, rel = _read(path, root)
    if not data:
        return []
    if isinstance(data, Map) and "terms" in data:
        data = data["terms"]
    if not isinstance(data, Seq):
        raise ProjectError("deny.yaml must be a list of terms", path=rel, line=1,
                           hint="e.g.  - Oakfield Estate\n        - term: Brierley Ward\n          note: S02's ward")
    terms = []
    for item, line in zip(data, data.item_lines):
        if isinstance(item, str):
            term, note = item.strip(), ""
        elif isinstance(item, Map) and "term" in item:
            term = _text(item["term"], rel, line, "`term`")
            note = _text(item["note"], rel, line, "`note`") if "note" in item else ""
        else:
            raise ProjectError("each deny-list item is a term or `term:` with an optional `note:`",
                               path=rel, line=line)
        if len(fold_key(term)) < 2:
            raise ProjectError("deny-list term too short to search for safely", path=rel, line=line)
        terms.append(DenyTerm(term, note, Origin(rel, line)))
    return terms


_KEY = re.compile(r"^[0-9a-f]{16}$")


def _load_signoffs(path: Path, root: Path) -> dict[str, SignOff]:
    data, rel = _read(path, root)
    if not data:
        return {}
    if not isinstance(data, Seq):
        raise ProjectError("signoffs.yaml must be a list of sign-offs", path=rel, line=1,
                           hint="copy the entry that `storygen check --privacy-report` prints")
    out: dict[str, SignOff] = {}
    for item, line in zip(data, data.item_lines):
        if not isinstance(item, Map):
            raise ProjectError("each sign-off is a mapping with key, reviewer, date, reason", path=rel, line=line)
        f = {k: _text(v, rel, line, f"`{k}`") for k, v in item.items()}
        for required in ("key", "reviewer", "date", "reason"):
            if not f.get(required):
                raise ProjectError(f"sign-off without `{required}`", path=rel, line=line,
                                   hint="a sign-off needs the finding's key, who decided, when (YYYY-MM-DD) and why")
        if not _KEY.match(f["key"]):
            raise ProjectError(f"`key` {f['key']!r} is not a finding key (16 hex digits)", path=rel, line=line,
                               hint="copy the key from the privacy report")
        try:
            dt.date.fromisoformat(f["date"])
        except ValueError:
            raise ProjectError(f"`date` {f['date']!r} is not a date", path=rel, line=line,
                               hint="write it as YYYY-MM-DD") from None
        if f["key"] in out:
            raise ProjectError(f"key {f['key']} is signed off twice", path=rel, line=line,
                               hint=f"the first is at line {out[f['key']].origin.line}; keep one")
        out[f["key"]] = SignOff(f["key"], f.get("rule", ""), f.get("span", ""), f.get("story", ""),
                                f["reviewer"], f["date"], f["reason"], Origin(rel, line))
    return out
