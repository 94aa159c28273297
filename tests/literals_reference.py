"""The trie-regex literal matcher storygen used before token look-up (storygen/privacy/literals.py
until the token rewrite), kept as the reference the new matcher must cover: every place this one
flags, the new one flags too (tests/test_privacy_fastpaths.py).
"""
from __future__ import annotations

import re

# The trie, its regex emitter, the word-boundary test, the hit type and the folding of
# values into search keys are shared with the product, which still uses them for values
# token look-up cannot take; what is kept here is the old way of matching every value.
from storygen.privacy.literals import (LiteralHit, _bounded, _emit, _SPACE, _trie, _word_byte,
                                       _word_char, folded_labels)
from storygen.privacy.textnorm import fold


def _text_units(key: str) -> list:
    units: list = []
    for ch in key:
        if ch == " ":
            units.append(_SPACE)
        else:
            units.append(ch)
    return units


def _text_pattern(keys: list[str]) -> re.Pattern:
    trie = _trie(_text_units(k) for k in keys)
    return re.compile(_emit(trie, re.escape, r"\s+"))


def _bytes_pattern(keys: list[str]) -> re.Pattern:
    variants: list[list] = []
    for k in keys:
        variants.append([_SPACE if b == 0x20 else b for b in k.encode("utf-8")])
        for enc in ("utf-16-le", "utf-16-be"):
            variants.append(list(k.encode(enc)))
    trie = _trie(variants)
    pattern = _emit(trie, lambda b: re.escape(bytes([b])).decode("latin-1"), r"\s+")
    return re.compile(pattern.encode("latin-1"))


class Literals:
    """Matcher over a {value: label} dict."""

    def __init__(self, secrets: dict[str, str], min_binary: int = 6):
        self.labels = folded_labels(secrets)
        keys = sorted(self.labels)
        self._text = _text_pattern(keys) if keys else None
        # Raw bytes: UTF-8 and UTF-16 (EXIF XPComment, some MP4 atoms). In compressed
        # binary data a short value would match by chance, so binary files only get
        # values of at least `min_binary` characters.
        self._bytes_text = _bytes_pattern(keys) if keys else None
        long_keys = [k for k in keys if len(k) >= min_binary]
        self._bytes_binary = _bytes_pattern(long_keys) if long_keys else None

    def __bool__(self) -> bool:
        return bool(self.labels)

    def find(self, text: str) -> list[LiteralHit]:
        """Secret values in `text` (Unicode-folded first), spans in the original."""
        if self._text is None or not text:
            return []
        folded = fold(text)
        lowered = folded.text.lower()
        if len(lowered) != len(folded.text):          # rare: lower() changed the length ("İ")
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in folded.text)
        hits = []
        for m in self._text.finditer(lowered):
            if not _bounded(lowered, m.start(), m.end(), _word_char):
                continue
            a, b = folded.span(m.start(), m.end())
            label = self.labels.get(" ".join(m.group().split()), "a private value")
            hits.append(LiteralHit(a, b, text[a:b], label))
        return hits

    def find_bytes(self, data: bytes, binary: bool) -> list[LiteralHit]:
        pattern = self._bytes_binary if binary else self._bytes_text
        if pattern is None:
            return []
        lowered = data.lower()                # ASCII only, length-preserving
        hits = []
        for m in pattern.finditer(lowered):
            raw = data[m.start():m.end()]
            if b"\x00" in raw:
                enc = "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"
                text = raw.decode(enc, errors="replace")
            else:
                if not _bounded(lowered, m.start(), m.end(), _word_byte):
                    continue
                text = raw.decode("utf-8", errors="replace")
            label = self.labels.get(" ".join(text.lower().split()), "a private value")
            hits.append(LiteralHit(m.start(), m.end(), text, label))
        return hits
