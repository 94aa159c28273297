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
    # lower-cased again: a decomposition may be a capital ("𝜜", mathematical alpha, is "Α")
    base = unicodedata.normalize("NFKD", ch)[0].lower()
    return base if len(base) == 1 else ch


def _plain(text: str) -> str:
    """Lower case without accents, the same length as `text` (offsets stay valid)."""
    if text.isascii():
        return text.lower()          # nothing to strip, and str.lower keeps ASCII's length
    # Only the non-ASCII letters need looking at, each kind once: str.replace per kind (a
    # few curly quotes and accents) is several times faster than str.translate's look-up
    # of every character. Each is replaced before lower-casing, as the loop below does.
    plain = text
    for ch in set(_NON_ASCII.findall(text)):
        base = _plain_char(ch)
        if base != ch:
            plain = plain.replace(ch, base)
    low = plain.lower()
    if len(low) == len(text):
        return low
    return "".join(ch.lower() if ch.isascii() else _plain_char(ch) for ch in text)


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
        # The first two words of each longer term: "the" heads "the iris team" and starts
        # hundreds of other phrases, which end at their second word.
        self.pairs = frozenset(key[:2] for key in self.terms if len(key) > 1)
        self._starts_re: re.Pattern | None = None

    def __bool__(self) -> bool:
        return bool(self.terms)

    def digest(self) -> str:
        """What a cached 'clean' verdict must depend on: the learned terms, hashed."""
        data = "\n".join(sorted(" ".join(k) + "\t" + v for k, v in self.terms.items()))
        return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(entity, start, end) of every learned term in `text`.

        A term can only start at one of the terms' first words, so the text is not cut into
        words at all: one regular expression of those first words finds where to look
        (run by the regex engine, not word by word in Python), and only there are the
        following words read. test_privacy_speed_paths.py checks it against the word-by-word
        reading it replaced."""
        if not self.terms or not text:
            return []
        plain = _plain(text)
        out: list[tuple[str, int, int]] = []
        heads, pos = self.heads, 0
        for m in self._starts().finditer(plain):
            s = m.start()
            if s < pos or (s > 1 and plain[s - 1] in "'’" and _WORDCHAR.match(plain, s - 2)):
                continue          # inside the last term found, or inside a word like "o'neill"
            word = _WORD.match(plain, s)
            run = [(s, word.end(), _bare(word.group()))]
            if run[0][2] not in heads:
                continue          # "kingsley'x": a longer word that only begins like a term
            while len(run) < heads[run[0][2]]:
                nxt = _WORD.search(plain, run[-1][1])
                if nxt is None:
                    break
                run.append((nxt.start(), nxt.end(), _bare(nxt.group())))
                if len(run) == 2 and (run[0][2], run[1][2]) not in self.pairs:
                    run.pop()             # no longer term goes on with this word
                    break
            for n in range(len(run), 0, -1):
                part = run[:n]
                if any(not plain[a[1]:b[0]].isspace() and plain[a[1]:b[0]] not in ("-", " - ")
                       for a, b in zip(part, part[1:])):
                    continue
                key = tuple(t[2] for t in part)
                entity = self.terms.get(key)
                if entity is None or (key in self.capital_only and not text[s].isupper()):
                    continue
                out.append((entity, s, part[-1][0] + len(part[-1][2])))
                pos = part[-1][1]
                break
        return out

    def _starts(self) -> re.Pattern:
        if self._starts_re is None:
            self._starts_re = re.compile(r"\b" + _trie(self.heads) + r"\b")
        return self._starts_re


def _trie(words) -> str:
    """The alternation of `words` as a tree of their letters: "king(?:sley|s)?" rather than
    "kingsley|kings|king". `re` tries an alternation's words one after another at every word
    boundary; in a tree only the words that share the letters read so far are tried, and
    at each letter at most one branch can go on. Longer words still come first (a branch
    before the word that ends at its fork, the optional group greedy), so the same match is
    found as with the words longest first; test_privacy_speed_paths.py compares them."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}                     # a word ends here

    def pattern(node: dict) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:                    # a word may end here: the longer ones are tried first
            return "(?:" + body + ")?"
        return body

    return "(?:" + pattern(tree) + ")"


_WORDCHAR = re.compile(r"\w")


def _bare(word: str) -> str:
    return word.removesuffix("'s").removesuffix("’s")
