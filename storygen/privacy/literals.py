"""Find known secret values (real names, deny-list terms, source and excerpt ids)
with one compiled alternation, in text or in raw bytes.

One regex with every value as an alternative is what makes scanning a
1,000-page site cheap: the regex engine walks each file once, whatever the
number of secrets. Values are matched case-insensitively, on word
boundaries, with any run of whitespace between words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .textnorm import fold, fold_key


@dataclass(frozen=True)
class LiteralHit:
    start: int
    end: int
    span: str
    label: str             # says what kind of secret, never the value itself


class Literals:
    """Matcher over a {value: label} dict."""

    def __init__(self, secrets: dict[str, str], min_binary: int = 6):
        self.labels: dict[str, str] = {}
        for value, label in secrets.items():
            key = fold_key(value)
            if key:
                self.labels.setdefault(key, label)
        keys = sorted(self.labels, key=len, reverse=True)
        self._text = self._compile([k for k in keys]) if keys else None
        # Raw bytes: UTF-8 and UTF-16 (EXIF XPComment, some MP4 atoms). In
        # compressed binary data a short value would match by chance, so
        # binary files only get values of at least `min_binary` characters.
        self._bytes_text = self._compile_bytes(keys) if keys else None
        long_keys = [k for k in keys if len(k) >= min_binary]
        self._bytes_binary = self._compile_bytes(long_keys) if long_keys else None

    @staticmethod
    def _compile(keys: list[str]) -> re.Pattern:
        alts = [r"\s+".join(re.escape(w) for w in k.split(" ")) for k in keys]
        return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)

    @staticmethod
    def _compile_bytes(keys: list[str]) -> re.Pattern:
        alts: list[bytes] = []
        for k in keys:
            words = k.split(" ")
            alts.append(rb"\s+".join(re.escape(w.encode("utf-8")) for w in words))
            for enc in ("utf-16-le", "utf-16-be"):
                alts.append(re.escape(k.encode(enc)))
        return re.compile(rb"(?<![A-Za-z0-9])(?:" + b"|".join(alts) + rb")(?![A-Za-z0-9])", re.IGNORECASE)

    def __bool__(self) -> bool:
        return bool(self.labels)

    def find(self, text: str) -> list[LiteralHit]:
        """Secret values in `text` (Unicode-folded first), spans in the original."""
        if self._text is None or not text:
            return []
        folded = fold(text)
        hits = []
        for m in self._text.finditer(folded.text):
            a, b = folded.span(m.start(), m.end())
            label = self.labels.get(fold_key(m.group()), "a private value")
            hits.append(LiteralHit(a, b, text[a:b], label))
        return hits

    def find_bytes(self, data: bytes, binary: bool) -> list[LiteralHit]:
        pattern = self._bytes_binary if binary else self._bytes_text
        if pattern is None:
            return []
        hits = []
        for m in pattern.finditer(data):
            raw = m.group()
            text = raw.decode("utf-16-le" if b"\x00" in raw[1::2] and raw[1:2] == b"\x00" else
                              "utf-16-be" if b"\x00" in raw[0::2] and raw[0:1] == b"\x00" else "utf-8",
                              errors="replace")
            label = self.labels.get(fold_key(text), "a private value")
            hits.append(LiteralHit(m.start(), m.end(), text, label))
        return hits
