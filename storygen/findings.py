"""Findings as the user sees them: one formatter for `check`, `build` and every import.

A finding is printed once however many paths found it (an excerpt quoted by two stories
and checked with the pool, a name found by a list and by the model), worst first, as a
line a person reads or, with `--json`, as one JSON object a line for a script or a
spreadsheet: file, line, excerpt, story, rule, action, text, hint, message.
"""
from __future__ import annotations

import json
import re

from .model import Finding

ORDER = {"block": 0, "signoff": 1, "warn": 2}
_EXCERPT_FIELD = re.compile(r"^excerpt (\S+):")


def unique(findings) -> list[Finding]:
    """Each finding once, worst first, then by story, rule, file and line (deterministic)."""
    kept: dict[tuple, Finding] = {}
    for f in findings:
        key = (str(f.origin or ""), f.story or "", f.rule, f.action, f.span, f.message)
        kept.setdefault(key, f)
    return sorted(kept.values(), key=lambda f: (ORDER.get(f.action, 9), f.story or "", f.rule,
                                                str(f.origin.path) if f.origin else "",
                                                (f.origin.line or 0) if f.origin else 0, f.span))


def lines(findings) -> list[str]:
    return [f.format() for f in unique(findings)]


def excerpt_id(f: Finding) -> str | None:
    """The excerpt a finding is in, when the guard checked it as one ("excerpt S01-02: …")."""
    m = _EXCERPT_FIELD.match(f.message)
    return m.group(1) if m else getattr(f, "excerpt", None)


def as_json(f: Finding) -> str:
    return json.dumps({
        "file": str(f.origin.path) if f.origin else None,
        "line": f.origin.line if f.origin else None,
        "excerpt": excerpt_id(f),
        "story": f.story,
        "rule": f.rule,
        "action": f.action,
        "text": f.span,
        "hint": f.hint,
        "message": f.message,
    }, ensure_ascii=False, sort_keys=False)
