"""What was found once is looked for everywhere.

One organisation's interviews name the same wards, streets and people again and again,
and often in lower case the second time ("Kingsley ward ... back on kingsley"). Every
name, place and organisation the detectors flag in any text of a run, and every
deny-list term, is searched in every other text of that run as whole words, ignoring
case and accents. A flagged word that is also an everyday English word ("Rose",
"Topaz") is only searched with its capital, so "the sun rose" stays clean.

A run is what one command checks together: the published texts of every story for
`build` and `check`, the whole pool for `check --all`, the imported excerpts for an import.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable

from .names import lists

KINDS = ("PERSON", "PERSON?", "PLACE", "ORG")
_WORD = re.compile(r"\w+(?:['’]\w+)*")
MAX_WORDS = 6


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=4096)
def _plain_char(ch: str) -> str:
    base = unicodedata.normalize("NFKD", ch)[0]
    return base if len(base) == 1 else ch


def _plain(text: str) -> str:
    """Lower case without accents, the same length as `text` (offsets stay valid)."""
    low = text.lower()
    if text.isascii():
        return low                   # nothing to strip, and str.lower keeps ASCII's length
    if len(low) == len(text):        # only the non-ASCII letters need looking at
        return _NON_ASCII.sub(lambda m: _plain_char(m.group()), low)
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[0].lower() if not ch.isascii() else ch.lower()
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


def _words(plain: str) -> tuple[str, ...]:
    return tuple(w.removesuffix("'s").removesuffix("’s") for w in _WORD.findall(plain))


class Propagation:
    """Terms learned from a run's findings, and where they occur in any text."""

    def __init__(self, found: Iterable[tuple[str, str]], allowed: Iterable[str] = ()):
        """`found`: (entity, span) pairs flagged anywhere in the run; `allowed`: approved names."""
        _first, _surnames, dictionary = lists()
        skip = {_words(_plain(a)) for a in allowed}
        self.terms: dict[tuple[str, ...], str] = {}
        self.capital_only: set[tuple[str, ...]] = set()
        for entity, span in found:
            if entity not in KINDS:
                continue
            key = _words(_plain(span))
            if not key or len(key) > MAX_WORDS or key in skip or sum(len(w) for w in key) < 3:
                continue
            self.terms.setdefault(key, entity.rstrip("?"))
            if len(key) == 1 and key[0] in dictionary:
                self.capital_only.add(key)
        self.longest = max((len(k) for k in self.terms), default=0)
        # First word of each term -> the most words a term starting with it has: a token
        # that starts no term costs one look-up instead of a try at every length.
        self.heads: dict[str, int] = {}
        for key in self.terms:
            self.heads[key[0]] = max(self.heads.get(key[0], 0), len(key))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def digest(self) -> str:
        """What a cached 'clean' verdict must depend on: the learned terms, hashed."""
        data = "\n".join(sorted(" ".join(k) + "\t" + v for k, v in self.terms.items()))
        return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(entity, start, end) of every learned term in `text`."""
        if not self.terms or not text:
            return []
        plain = _plain(text)
        tokens = [(m.start(), m.end(), m.group().removesuffix("'s").removesuffix("’s"))
                  for m in _WORD.finditer(plain)]
        out, i = [], 0
        heads = self.heads
        while i < len(tokens):
            for n in range(min(heads.get(tokens[i][2], 0), len(tokens) - i), 0, -1):
                run = tokens[i:i + n]
                if any(not plain[a[1]:b[0]].isspace() and plain[a[1]:b[0]] not in ("-", " - ")
                       for a, b in zip(run, run[1:])):
                    continue
                key = tuple(t[2] for t in run)
                entity = self.terms.get(key)
                if entity is None or (key in self.capital_only and not text[run[0][0]].isupper()):
                    continue
                end = run[-1][0] + len(run[-1][2])
                out.append((entity, run[0][0], end))
                i += n - 1
                break
            i += 1
        return out
