"""Unicode folding that keeps a map back to the original text.

Detectors run on a folded copy of each text so that Unicode tricks cannot
hide an identifier: full-width digits (NFKC), non-breaking and other odd
spaces (mapped to a plain space), zero-width characters and soft hyphens
(removed), Unicode dashes (mapped to "-") and a few Cyrillic/Greek look-alike
letters (mapped to Latin). Every character of the folded text remembers the
index of the original character it came from, so a finding can quote the
original span exactly as the author typed it.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Invisible characters that can be slipped inside a name or number.
_REMOVE = {
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e",
    "\u2061", "\u2062", "\u2063", "\u2064", "\u034f",
}
# Look-alike letters: enough to defeat the obvious "Sаrah" (Cyrillic а) trick.
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ι": "i",
})


@dataclass(frozen=True)
class Folded:
    """A folded text and, per folded character, the index of its original character."""

    original: str
    text: str
    index: tuple[int, ...] | range     # a range when nothing was folded (the identity map)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span [start, end) back to the original text."""
        if start >= end or not self.index:
            return start, end
        first = self.index[min(start, len(self.index) - 1)]
        last = self.index[min(end, len(self.index)) - 1]
        return first, last + 1


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _REMOVE:
        return ""
    if ch.isascii():
        return ch
    cat = unicodedata.category(ch)
    if cat == "Zs" or ch in "\u2028\u2029":
        return " "
    if cat == "Pd" or ch == "\u2212":
        return "-"
    if cat == "Cf":          # any other format control is invisible: drop it
        return ""
    folded = unicodedata.normalize("NFKC", ch)
    return folded.translate(_CONFUSABLES)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold(text: str) -> Folded:
    """Fold `text` for detection; see the module docstring."""
    if text.isascii():
        # The common case: nothing to fold, identity map (a range: nothing is built).
        return Folded(text, text, range(len(text)))
    # ASCII characters fold to themselves (none is in _REMOVE): copy the runs between
    # non-ASCII characters whole, and fold only those.
    out: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _NON_ASCII.finditer(text):
        i = m.start()
        if i > pos:
            out.append(text[pos:i])
            index.extend(range(pos, i))
        folded = _fold_char(m.group())
        out.append(folded)
        index.extend([i] * len(folded))
        pos = i + 1
    out.append(text[pos:])
    index.extend(range(pos, len(text)))
    return Folded(text, "".join(out), tuple(index))


def fold_key(text: str) -> str:
    """Comparison key for literal values (names, deny-list terms): folded, casefolded, spaces collapsed."""
    return " ".join(fold(text).text.casefold().split())
