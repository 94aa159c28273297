"""Wards, units, centres, houses, teams and programmes: the local names of services.

Health and care feedback names where it happened more often than who was there:
"Kingsley ward", "Bracken House", "the Diamond resource centre", "C block", "the
Little Steps group". A word like ward, centre or team is only a kind of place; the
words before it say which one. Those words are walked back from the kind, skipping
the generic vocabulary of services (data/service_words.txt: "the family support
service" names nothing) and a name is reported when any word left is distinctive —
capitalised, unknown to the dictionary, or an acronym. National programmes that lend
their name to local centres ("Sure Start", "Home-Start") and hospital acronyms after
a preposition ("admitted to QMC") are reported too. All are sign-off findings (R6, R7).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from importlib import resources

from .names import lists, places
from .rx import caseless_finditer, first_letters, lower_twin

QHit = tuple[str, int, int, float]

PLACE_KINDS = ("ward wards unit units centre center centres house hospital infirmary surgery practice clinic "
               "school academy block court lodge hall home").split()
ORG_KINDS = ("team group service services project programme program club session sessions class course "
             "network hub pathway").split()
_KINDS = "|".join(PLACE_KINDS + ORG_KINDS)
_KIND = re.compile(rf"\b{first_letters(_KINDS)}(?:{_KINDS})\b(?: [a-z0-9]\b)?", re.I)   # "C block"
_KIND_LOW = lower_twin(_KIND)
_WORD_BEFORE = re.compile(r"([^\W_][\w'’&.]*)([ -])$")
_BEFORE_ACRONYM = "at|in|into|to|from|the|admitted to|transferred to|moved to"
_ACRONYM_AFTER = re.compile(rf"\b{first_letters(_BEFORE_ACRONYM)}(?:{_BEFORE_ACRONYM})\s+"
                            r"((?:[A-Z]\.){2,5}|[A-Z]{2,5})(?=[\s,.;:!?)]|$)")
_ACRONYM_NEEDS = re.compile(r"[A-Z](?:[A-Z]|\.[A-Z])")    # what each acronym above holds
MAX_WORDS = 4


def _lines(name: str) -> list[str]:
    text = resources.files("storygen.privacy.data").joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@functools.lru_cache(maxsize=1)
def service_words() -> frozenset[str]:
    return frozenset(w for line in _lines("service_words.txt") for w in line.split())


@functools.lru_cache(maxsize=1)
def _programmes() -> re.Pattern:
    names = sorted((n.lower() for n in _lines("programmes.txt")), key=len, reverse=True)
    alternation = "|".join(re.escape(n).replace(r"\ ", r"[\s-]?").replace(r"\-", r"[\s-]?")
                           .replace("'", "['’]?") for n in names)
    return re.compile(rf"\b{first_letters('|'.join(names))}(?:{alternation})\b", re.I)


@functools.lru_cache(maxsize=1)
def _programmes_low() -> re.Pattern:
    return lower_twin(_programmes())


@functools.lru_cache(maxsize=1)
def _national() -> frozenset[str]:
    return frozenset(n.casefold() for n in _lines("national_services.txt"))


_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n\"“(]\s*)$")
_ENDS_SENTENCE = frozenset('.!?:;"“(')
_IN_WORD = frozenset("_'’&.")


def _word_before(text: str, pos: int) -> tuple[int, str] | None:
    """(start, word) of `_WORD_BEFORE.search(text, 0, pos)`: the word before a space or
    hyphen that ends at `pos`. Read backwards from `pos`, not forwards from the text's
    start (that search costs the whole text each time, for every word walked back);
    test_privacy_speed_paths.py checks the two agree."""
    end = pos - 1
    if end >= 0 and text[end] == "\n":
        end -= 1              # "$" matches before a final newline too
    if end < 1 or text[end] not in " -":
        return None
    i = end
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in _IN_WORD):
        i -= 1                # the run of [\w'’&.] before the space ...
    for k in range(i, end):
        if text[k].isalnum():  # ... from its first letter or digit ([^\W_])
            return k, text[k:end]
    return None


def _after_sentence_end(text: str, pos: int) -> bool:
    """`_SENTENCE_END.search(text, 0, pos) is not None`, read backwards from `pos`."""
    if pos == 0:
        return True
    j = pos
    while j > 0 and text[j - 1].isspace():
        j -= 1
    return (j > 0 and text[j - 1] in _ENDS_SENTENCE) or "\n" in text[j:pos]


def _distinctive(word: str, dictionary: frozenset[str], first: frozenset[str], towns: frozenset[str],
                 initial: bool) -> bool | None:
    """True: a word that names ("Kingsley", "QMC", "mansfield"); None: a lower-case word no
    dictionary knows, which names only beside one that does ("mary seacole ward", not
    "storygen project"); False: anything else."""
    bare = re.sub(r"['’]s$", "", word).strip(".")
    low = bare.casefold()
    if not bare or low in service_words() or low in _national():
        return False
    if bare[0].isupper():
        # "Kingsley", "Emerald", "QMC", "C" — but not an everyday word opening a sentence
        # ("Absolutely wonderful service", "Thought course", "Time team came round"): a sentence's
        # first word is capitalised whatever it is, so its capital says nothing
        return not (initial and low in dictionary)
    # in lower case: a town, or a first name that is no English word ("mary seacole ward",
    # "mansfield children's centre");
    # other unknown lower-case words are too often product names and typing slips
    if len(low) > 3 and bare.isalpha() and (bare.capitalize() in towns
                                            or (bare.capitalize() in first and low not in dictionary)):
        return True
    return None if len(low) > 3 and bare.isalpha() and low not in dictionary else False


def facility_hits(text: str) -> Iterator[QHit]:
    first, _surnames, dictionary = lists()
    towns, _regions = places()
    for kind in caseless_finditer(_KIND, _KIND_LOW, text):
        start, names, pos, tentative = kind.start(), 0, kind.start(), None
        for _ in range(MAX_WORDS):
            found = _word_before(text, pos)
            if not found:
                break
            word_start, word = found
            if word.casefold() in ("a", "an", "the", "on", "in", "at", "to", "of", "and", "from", "for", "with"):
                break
            verdict = _distinctive(word, dictionary, first, towns, _after_sentence_end(text, word_start))
            if verdict is None:
                tentative = word_start
            elif verdict:
                names += 1
                start = word_start
            elif word.casefold().strip("'’s") not in service_words():
                break                           # an ordinary word ends the name: "helped me on ward"
            pos = word_start
        if names:
            if tentative is not None:
                start = min(start, tentative)
            entity = "PLACE" if kind.group().split()[0].lower() in PLACE_KINDS else "ORG"
            yield entity, start, kind.end(), 0.8
    for m in caseless_finditer(_programmes(), _programmes_low(), text):
        yield "ORG", m.start(), m.end(), 0.8
    for m in _ACRONYM_AFTER.finditer(text) if _ACRONYM_NEEDS.search(text) else ():
        if m.group(1).replace(".", "").casefold() not in _national():
            yield "ORG", m.start(1), m.end(1), 0.6
