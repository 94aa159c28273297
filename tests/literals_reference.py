"""A plain regex literal matcher, the reference storygen's token look-up must cover: every
place this one flags, the product's matcher flags too (tests/test_privacy_fastpaths.py).
"""
from __future__ import annotations

import re

# Written to stand alone: nothing here comes from storygen/privacy/literals.py, the module it
# checks. Values are matched by one plain alternation, longest first, spaces as any run of
# whitespace; only the folding of text and values (textnorm) is shared, as the definition of
# what "the same value" means.
from dataclasses import dataclass

from storygen.privacy.textnorm import fold, fold_key


@dataclass(frozen=True)
class LiteralHit:
    start: int
    end: int
    span: str
    label: str


def folded_labels(secrets: dict[str, str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for value, label in secrets.items():
        key = fold_key(value).lower()
        if key:
            labels.setdefault(key, label)
    return labels


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _word_byte(b: int) -> bool:
    return 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122


def _bounded(data, start: int, end: int, is_word) -> bool:
    return (start == 0 or not is_word(data[start - 1])) and (end >= len(data) or not is_word(data[end]))


def _text_pattern(keys: list[str]) -> re.Pattern:
    ordered = sorted(keys, key=len, reverse=True)
    return re.compile("|".join(r"\s+".join(re.escape(part) for part in k.split(" ")) for k in ordered))


def _bytes_pattern(keys: list[str]) -> re.Pattern:
    variants = []
    for k in sorted(keys, key=len, reverse=True):
        variants.append(rb"\s+".join(re.escape(part.encode("utf-8")) for part in k.split(" ")))
        variants += [re.escape(k.encode(enc)) for enc in ("utf-16-le", "utf-16-be")]
    return re.compile(b"|".join(variants))


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
