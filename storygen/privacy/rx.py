"""A regular-expression shortcut the detectors share: look at a word's first letter first.

Python's `re` tries every word of an alternation such as `\\b(?:inquiry|inquest|tribunal|…)`
at every word boundary of the text, one after another. A look-ahead for the set of
letters those words begin with, `\\b(?=[itc…])(?:inquiry|…)`, turns away most boundaries
with one character test. It only adds a condition every match already meets, so it finds
exactly what the plain pattern finds (the same flags apply to it, case-insensitivity
included); tests/test_privacy_speed_paths.py compares the two on generated text.
"""
from __future__ import annotations

import re


def first_letters(alternation: str) -> str:
    """`(?=[…])` for an alternation of words ("inquiry|in court|murder(?:ed)?"): the
    characters its alternatives can begin with. Each top-level alternative must begin with
    a literal character (a word), which is checked here rather than assumed."""
    firsts, depth, start_of_alternative, escaped = set(), 0, True, False
    for i, ch in enumerate(alternation):
        if start_of_alternative:
            # a letter or digit that the pattern requires: not "(", "\\", "'" (which may be
            # written ['’]?), nor one followed by "?", "*" or "{" (which may be absent)
            if not ch.isalnum() or alternation[i + 1:i + 2] in ("?", "*", "{"):
                raise ValueError(f"an alternative of {alternation!r} does not begin with a letter")
            firsts.add(ch)
            start_of_alternative = False
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            start_of_alternative = True
    return "(?=[" + "".join(re.escape(c) for c in sorted(firsts)) + "])"
