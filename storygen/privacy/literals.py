"""Find known secret values (real names, deny-list terms, source and excerpt ids, text
hashes) in text or raw bytes, fast.

A value matches case-insensitively, with any run of whitespace between its words,
where it starts and ends on a word boundary. With tens of thousands of values (every
excerpt id and text hash of a large project) even a trie-shaped regex takes seconds
to compile, so matching is by token look-up instead: the input is split once into
runs of word characters and each run is looked up in a set.

- A value that is one word (`s001`, a hex hash, `holloway`) matches exactly where a
  word of the input equals it: one set look-up per word.
- A value that starts and ends with a word character but has other characters inside
  (`s001-01`, `margaret holloway`) can only start where the input has its first word;
  it is indexed by that word and confirmed there with a small regex of its own.
- The few values that start or end with something else (`josé` in bytes, `@handle`)
  go into one trie-shaped regex, as before; so do UTF-16 searches of values with
  characters beyond U+00FF.

Raw bytes are searched as UTF-8 (word bytes are ASCII letters and digits), and as
UTF-16 in both byte orders at any alignment (EXIF XPComment, MP4 atoms): runs of
UTF-16 code units are cut out of the bytes, decoded, and every value is looked for
anywhere inside them, with no boundary needed, as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .textnorm import fold, fold_key

_SPACE = object()    # trie edge standing for "one or more whitespace characters"
_WORD = re.compile(r"\w+")                 # str: isalnum() or "_", as _word_char
_WORD_BYTES = re.compile(rb"[0-9a-z]+")    # lowered bytes: as _word_byte


@dataclass(frozen=True)
class LiteralHit:
    start: int
    end: int
    span: str
    label: str             # says what kind of secret, never the value itself


# --- the trie-shaped regex, for the few values token look-up cannot take ------------------

def _trie(keys):
    root: dict = {}
    for key in keys:
        node = root
        for unit in key:
            node = node.setdefault(unit, {})
        node[""] = True
    return root


def _emit(node, esc, space) -> str:
    alts = []
    for unit in sorted((k for k in node if k != ""), key=lambda k: (k is not _SPACE, str(k))):
        alts.append((space if unit is _SPACE else esc(unit)) + _emit(node[unit], esc, space))
    terminal = "" in node
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 and not terminal else "(?:" + "|".join(alts) + ")"
    return body + ("?" if terminal else "")


def _text_pattern(keys: list[str]) -> re.Pattern | None:
    if not keys:
        return None
    trie = _trie([_SPACE if ch == " " else ch for ch in k] for k in keys)
    return re.compile(_emit(trie, re.escape, r"\s+"))


def _bytes_pattern(utf8: list[str], utf16: list[str]) -> re.Pattern | None:
    variants: list[list] = [[_SPACE if b == 0x20 else b for b in k.encode("utf-8")] for k in utf8]
    variants += [list(k.encode(enc)) for k in utf16 for enc in ("utf-16-le", "utf-16-be")]
    if not variants:
        return None
    pattern = _emit(_trie(variants), lambda b: re.escape(bytes([b])).decode("latin-1"), r"\s+")
    return re.compile(pattern.encode("latin-1"))


def _bounded(data, start: int, end: int, is_word) -> bool:
    return (start == 0 or not is_word(data[start - 1])) and (end >= len(data) or not is_word(data[end]))


def _bounded_matches(pattern: re.Pattern, data, is_word):
    """Matches on word boundaries (any match if `is_word` is None), overlapping ones too.

    After a match that is not bounded (or always, without boundaries) the search goes on
    from the next character, not after the match: a shorter value there still counts.
    """
    pos = 0
    while (m := pattern.search(data, pos)) is not None:
        if is_word is None or _bounded(data, m.start(), m.end(), is_word):
            yield m
            pos = m.start() + 1 if is_word is None else m.end()
        else:
            pos = m.start() + 1


def _word_byte(b: int) -> bool:
    return 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


# --- token look-up ---------------------------------------------------------------------

class _Tokens:
    """Values that start and end with a word unit, found by looking words up (str or bytes)."""

    def __init__(self, keys, word: re.Pattern, space):
        self.word = word
        self.space = space                        # r"\s+" as str or bytes
        self.whole: set = set()                   # one-word values
        self.by_first: dict = {}                  # first word -> [longer values starting with it]
        self._confirm: dict = {}                  # value -> its compiled regex, made on first use
        self.odd: list = []                       # values this cannot take
        for key in keys:
            if word.fullmatch(key):
                self.whole.add(key)
            elif key and word.match(key) and word.search(key[-1:]):
                self.by_first.setdefault(word.match(key).group(), []).append(key)
            else:
                self.odd.append(key)
        self.firsts = self.whole | set(self.by_first)

    def _regex(self, key):
        pattern = self._confirm.get(key)
        if pattern is None:
            pieces = key.split(b" " if isinstance(key, bytes) else " ")
            pattern = self._confirm[key] = re.compile(self.space.join(re.escape(p) for p in pieces))
        return pattern

    def find(self, lowered, is_word):
        """[(start, end, key)] of every bounded occurrence in `lowered`."""
        if not self.firsts or self.firsts.isdisjoint(self.word.findall(lowered)):
            return []
        out = []
        for m in self.word.finditer(lowered):
            token = m.group()
            if token in self.whole:
                out.append((m.start(), m.end(), token))
            for key in self.by_first.get(token, ()):
                hit = self._regex(key).match(lowered, m.start())
                if hit and _bounded(lowered, hit.start(), hit.end(), is_word):
                    out.append((hit.start(), hit.end(), key))
        return out


def _leftmost_longest(found: list[tuple]) -> list[tuple]:
    """One hit per place: a hit lying inside a longer one (`S001` in `S001-01`) is left out.

    Hits that only overlap are both kept, so whatever was found is still covered.
    """
    kept: list[tuple] = []
    reach = -1
    for hit in sorted(found, key=lambda h: (h[0], -h[1])):
        if hit[1] > reach:
            kept.append(hit)
            reach = hit[1]
    return kept


def folded_labels(secrets: dict[str, str]) -> dict[str, str]:
    """{value: label} -> {what is searched for (folded, lower case): label}; the first label wins."""
    labels: dict[str, str] = {}
    for value, label in secrets.items():
        key = fold_key(value).lower()
        if key:
            labels.setdefault(key, label)
    return labels


class Literals:
    """Matcher over a {value: label} dict."""

    def __init__(self, secrets: dict[str, str], min_binary: int = 6):
        self.labels = folded_labels(secrets)
        keys = sorted(self.labels)
        self._text = _Tokens(keys, _WORD, r"\s+")
        self._text_odd = _text_pattern(self._text.odd)
        # Raw bytes: UTF-8 and UTF-16 (EXIF XPComment, some MP4 atoms). In compressed
        # binary data a short value would match by chance, so binary files only get
        # values of at least `min_binary` characters.
        long_keys = [k for k in keys if len(k) >= min_binary]
        self._bytes_text = _Bytes(keys)
        self._bytes_binary = _Bytes(long_keys)
        self._byte_labels = {k.encode("utf-8"): k for k in keys}

    def __bool__(self) -> bool:
        return bool(self.labels)

    def find(self, text: str) -> list[LiteralHit]:
        """Secret values in `text` (Unicode-folded first), spans in the original."""
        if not self.labels or not text:
            return []
        folded = fold(text)
        lowered = folded.text.lower()
        if len(lowered) != len(folded.text):          # rare: lower() changed the length ("İ")
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in folded.text)
        found = self._text.find(lowered, _word_char)
        if self._text_odd is not None:
            found += [(m.start(), m.end(), " ".join(m.group().split()))
                      for m in _bounded_matches(self._text_odd, lowered, _word_char)]
        hits = []
        for start, end, key in _leftmost_longest(found):
            a, b = folded.span(start, end)
            hits.append(LiteralHit(a, b, text[a:b], self.labels.get(key, "a private value")))
        return hits

    def find_bytes(self, data: bytes, binary: bool) -> list[LiteralHit]:
        matcher = self._bytes_binary if binary else self._bytes_text
        hits = []
        for start, end, text in _leftmost_longest(matcher.find(data)):
            label = self.labels.get(" ".join(text.lower().split()), "a private value")
            hits.append(LiteralHit(start, end, text, label))
        return hits


class _Bytes:
    """Values in raw bytes: UTF-8 by token look-up, UTF-16 (either byte order, any alignment)."""

    def __init__(self, keys: list[str]):
        self.utf8 = _Tokens([k.encode("utf-8") for k in keys], _WORD_BYTES, rb"\s+")
        # UTF-16 of a value whose characters are all U+0001..U+00FF is a run of code units
        # with one zero byte each: found in cut-out runs. Any other value: the regex.
        self.narrow = {k for k in keys if (k.isascii() and "\x00" not in k) or all(0 < ord(c) <= 0xFF for c in k)}
        self.lengths = sorted({len(k) for k in self.narrow})
        if self.narrow:
            # Where a UTF-16 text of such characters lies, every other byte is zero: runs of
            # zeros, long enough to hold the shortest value, in the bytes at even or odd offsets.
            self.zeros = re.compile(b"\x00{%d,}" % self.lengths[0])
        wide = [k for k in keys if k not in self.narrow]
        self.pattern = _bytes_pattern([k.decode("utf-8") for k in self.utf8.odd], [])
        # Lower-casing bytes garbles these (Ł is 41 01 in UTF-16-LE), so they are searched in the
        # bytes as they are (written in lower, title or upper case) as well as lower-cased.
        self.wide = _bytes_pattern([], sorted({v for k in wide for v in (k, k.title(), k.upper())}))
        self.empty = not keys
        self.keys = set(keys)
        # A handful of ASCII values (a rebuild looks for the one new text hash in files it
        # already knows): each can only be there if its first word (UTF-8) or the whole
        # value (UTF-16, as the run search finds it) occurs in the lower-cased bytes. A
        # substring test per file is far cheaper than splitting every file into words.
        self.signs: list[bytes] | None = None
        if len(keys) <= 32 and all(k.isascii() for k in keys):
            self.signs = [v for k in keys for v in (k.split(" ")[0].encode(), k.encode("utf-16-le"),
                                                   k.encode("utf-16-be"))]

    def find(self, data: bytes) -> list[tuple[int, int, str]]:
        if self.empty:
            return []
        lowered = data.lower()                # ASCII only, length-preserving
        if self.signs is not None and not any(sign in lowered for sign in self.signs):
            return []
        out = [(a, b, data[a:b].decode("utf-8", errors="replace"))
               for a, b, _ in self.utf8.find(lowered, _word_byte)]
        if self.pattern is not None:
            out += [(m.start(), m.end(), data[m.start():m.end()].decode("utf-8", errors="replace"))
                    for m in _bounded_matches(self.pattern, lowered, _word_byte)]
        for source in (data, lowered) if self.wide is not None else ():
            for m in _bounded_matches(self.wide, source, None):
                texts = [data[m.start():m.end()].decode(enc, errors="replace") for enc in ("utf-16-le", "utf-16-be")]
                known = [t for t in texts if " ".join(t.lower().split()) in self.keys]
                out.append((m.start(), m.end(), (known or texts)[0]))
        if self.narrow and b"\x00" in data:
            out += self._utf16(data)
        return out

    def _utf16(self, data: bytes) -> list[tuple[int, int, str]]:
        """Narrow values written in UTF-16, either byte order, at any alignment, anywhere."""
        out = []
        d0, d1, d2 = data[0::2], data[1::2], data[2::2]
        # (low bytes, high bytes, where the first code unit starts): LE and BE at even and odd offsets.
        for low, high, offset in ((d0, d1, 0), (d1, d0, 0), (d1, d2, 1), (d2, d1, 1)):
            end = min(len(low), len(high))
            for m in self.zeros.finditer(high, 0, end):
                at = m.start()
                for piece in low[m.start():m.end()].split(b"\x00"):
                    if len(piece) >= self.lengths[0]:
                        out += self._in_run(piece.decode("latin-1"), offset + 2 * at)
                    at += len(piece) + 1
        return out

    def _in_run(self, run: str, start: int) -> list[tuple[int, int, str]]:
        text = run.lower()
        out = []
        for i in range(len(text)):
            for n in self.lengths:
                piece = text[i:i + n]
                if len(piece) < n:
                    break
                if piece in self.narrow:
                    at = start + 2 * i
                    out.append((at, at + 2 * n, run[i:i + n]))
        return out


# --- a matcher that differs from a compiled one by a few values -------------------------------

def _value_key(span: str) -> str:
    """A hit's text as the values are keyed (folded, lower case, single spaces)."""
    return " ".join(fold_key(span.replace("\x00", "")).lower().split())


def _merged(*groups: list[LiteralHit]) -> list[LiteralHit]:
    """The hits of several matchers as one matcher finds them: a hit inside a longer one left out."""
    kept = [LiteralHit(a, b, span, label) for a, b, (span, label) in
            _leftmost_longest([(h.start, h.end, (h.span, h.label)) for g in groups for h in g])]
    return kept


class Layered:
    """Literals over `base`'s values, less `removed`, plus `added`, without compiling the base
    again: a `serve` rebuild after one edit searches for the same tens of thousands of values
    but one (the edited excerpt's new text hash), and compiling them all took ~0.2 s.

    A hit of a removed value (an id renamed because it is also a word) could hide a shorter
    value inside it, so a text or file where one turns up is searched again by a matcher
    compiled from the exact values: the answer is always what `Literals(values)` gives."""

    def __init__(self, base: Literals, values: dict[str, str], added: dict[str, str], removed: set[str]):
        self.base = base
        self.added = Literals(added)
        self.removed = set(folded_labels({v: "" for v in removed}))
        self.values = values
        self._exact: Literals | None = None

    def __bool__(self) -> bool:
        return bool(self.values)

    @property
    def labels(self) -> dict[str, str]:
        """{what is searched for: label}, as Literals(values).labels."""
        return self.exact().labels

    def exact(self) -> Literals:
        if self._exact is None:
            self._exact = Literals(self.values)
        return self._exact

    def _touches_removed(self, hits: list[LiteralHit]) -> bool:
        return bool(self.removed) and any(_value_key(h.span) in self.removed for h in hits)

    def find(self, text: str) -> list[LiteralHit]:
        hits = self.base.find(text)
        if self._touches_removed(hits):
            return self.exact().find(text)
        return _merged(hits, self.added.find(text))

    def find_bytes(self, data: bytes, binary: bool) -> list[LiteralHit]:
        hits = self.base.find_bytes(data, binary)
        if self._touches_removed(hits):
            return self.exact().find_bytes(data, binary)
        return _merged(hits, self.added.find_bytes(data, binary))
