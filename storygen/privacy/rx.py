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


# Characters a case-insensitive pattern of ASCII letters matches differently from the same
# pattern, without the flag, on `str.lower()`'s copy of the text: "İ" (lower-cased to two
# characters), "ı" and "ſ" (which the flag matches to "i" and "s" and lower() keeps). Every
# other character matches the same either way; test_privacy_speed_paths.py reads them all.
CASE_SPECIAL = ("\u0130", "\u0131", "\u017f")
_ESCAPES_AND_GROUP_NAMES = re.compile(r"\\.|\(\?P<\w+>|\(\?P=\w+\)")


def lower_twin(rx: re.Pattern) -> re.Pattern:
    """`rx` (case-insensitive) without the flag, for `caseless_finditer`'s lower-cased text.

    `re` tries each letter of a case-insensitive pattern against both cases through a slower
    path: on feedback-sized texts the twin on a lower-cased copy runs two to three times
    faster. The pattern's letters must be written in lower case (under the flag it is the
    same pattern), which is checked here rather than assumed."""
    if not rx.flags & re.I:
        raise ValueError(f"{rx.pattern[:40]!r} is not case-insensitive")
    if any(c.isupper() for c in _ESCAPES_AND_GROUP_NAMES.sub("", rx.pattern)):
        raise ValueError(f"{rx.pattern[:40]!r} has capitals: write its letters in lower case")
    return re.compile(rx.pattern, rx.flags & ~re.I)


def caseless_finditer(rx: re.Pattern, twin: re.Pattern, text: str):
    """`rx.finditer(text)`, by `twin` (lower_twin(rx)) on the lower-cased text where that finds
    the same matches. The matches' positions are the text's; their group text may be in
    lower case."""
    if any(c in text for c in CASE_SPECIAL):
        return rx.finditer(text)
    return twin.finditer(text.lower())
