"""The model's entities, fused with what the lists and patterns found.

The model (ner.py) is good at shape — a capitalised run in a person or place slot — and
poor at knowing which names are public: it tags "the NHS" and "Covid" as organisations
and "Mum" as a person. Its spans are kept unless they name something nobody can be
recognised by: national bodies and kinds of service (data/national_services.txt),
regions and wider areas, kin words, approved pseudonyms and persona names. What survives
joins the other detectors' hits; where two overlap the stronger or longer wins (detect.py).
"""
from __future__ import annotations

import functools
import re
from importlib import resources

from .names import TITLES, lists, places

_KIN_WORDS = frozenset("""
mum mam mom mummy mother dad daddy father nan nana nanna gran granny grandma grandad grandpa grandmother
grandfather auntie aunty aunt uncle sister brother son daughter husband wife partner baby
""".split())
_DETERMINERS = ("the ", "a ", "an ", "my ", "our ", "your ", "their ", "his ", "her ")
SCORE = 0.75
_AFTER_ARTICLE = re.compile(r"\b(?:[Tt]he|[Aa]n?|[Tt]his|[Tt]hat)\s+$")
# "Nobody'd", "Everyone's", "Someone'll": an everyday word with a contraction is still that word
_CLITIC = re.compile(r"(?:['’](?:s|d|ll|ve|re|m)|n['’]t)$")


@functools.lru_cache(maxsize=1)
def national_services() -> frozenset[str]:
    text = resources.files("storygen.privacy.data").joinpath("national_services.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Without a leading determiner or trailing possessive/punctuation: "the Bracken House's" -> "Bracken House"."""
    span = text[start:end]
    low = span.casefold()
    for d in _DETERMINERS:
        if low.startswith(d):
            start += len(d)
            break
    while end > start and text[end - 1] in ".,;:!?'’\")":
        end -= 1
    if text[start:end].endswith(("'s", "’s")):
        end -= 2
    return start, end


def _public(entity: str, span: str, allowed: frozenset[str]) -> bool:
    """True when the span names nothing that could identify anyone."""
    key = span.casefold()
    if not any(c.isalpha() for c in span) or key in allowed:
        return True
    if key in national_services():
        return True
    _towns, regions = places()
    if span in regions:
        return True
    # numbers say nothing about a name ("Kitchen Table 1600", an image variant's file name)
    words = [_CLITIC.sub("", w.strip(".,'’")) for w in key.split() if any(c.isalpha() for c in w)]
    if not words:
        return True
    from .facilities import service_words
    if all(w.removesuffix("'s").removesuffix("’s") in service_words() for w in words):
        return True               # "the Family Support Service", "Therapy Team": a kind, not a name
    if entity == "PERSON" and all(w in _KIN_WORDS or w.capitalize() in TITLES for w in words):
        return True
    first, surnames, dictionary = lists()
    towns, _regions = places()
    if len(words) == 1 and words[0] in dictionary and span not in first and span not in towns:
        return True               # one everyday word: "the Responder", "Breastfeeding" (lists judge these in context)
    if (entity == "PERSON" and all(w in dictionary for w in words)
            and not any(w.capitalize() in first or w.capitalize() in surnames or w.capitalize() in towns
                        for w in words)):
        return True               # "Kitchen Table" (a picture's file name): everyday words, none ever a name
    if len(words) == 1 and _PRODUCT.fullmatch(span.strip(".,'’")) and not any(
            _name_word(part) for part in [span, *_CAMEL_PARTS.findall(span)]):
        return True               # "JavaScript", "PowerPoint": a product; "MaryAnn", "DeShawn" stay
    if not any(c.isupper() for c in span) and entity != "PLACE":
        # the small model's lower-case people and organisations are mostly ordinary words
        first, surnames, dictionary = lists()
        if all(w in dictionary for w in words):
            return True
    return False


# One word with a capital inside it after four or more small letters: "JavaScript", "DejaVuSans";
# not the short prefixes of names ("McKay", "DeShawn", "LaToya").
_PRODUCT = re.compile(r"[A-Z][a-z]{3,}[A-Z]\w*")
_CAMEL_PARTS = re.compile(r"[A-Z][a-z]+")
_WORD = re.compile(r"[^\W\d_]+")
TITLED_WORDS = 12


def _name_word(word: str) -> bool:
    """A word the lists know as a name: a first name, a town, or a surname that is no everyday word."""
    first, surnames, dictionary = lists()
    towns, _regions = places()
    word = word.strip(".,'’").capitalize()
    return word in first or word in towns or (word in surnames and word.casefold() not in dictionary)


def _titled(text: str) -> bool:
    """A short text with a capital on every word: a title, a heading, or a file name made into
    words ("Pagefind Worker", from pagefind-worker.js). The capitals there say nothing."""
    words = _WORD.findall(text)
    return 0 < len(words) <= TITLED_WORDS and all(w[0].isupper() for w in words)


def _only_capitals_say_so(span: str) -> bool:
    """In a titled text: the span holds no name the lists know and is not one unknown word
    ("Thank You Thandiwe" keeps its name; "Pagefind Worker", "DejaVuSans Bold" are not people)."""
    words = _WORD.findall(span)
    if any(_name_word(w) for w in words):
        return False
    _first, _surnames, dictionary = lists()
    return not (len(span.split()) == 1 and span.strip(".,'’").casefold() not in dictionary)


def model_hits(text: str, ents, settings):
    """The model's entities in folded `text` as raw detector hits (entity, start, end, score, detail)."""
    if not ents:
        return                    # most texts without a model: nothing to read, not even the words
    titled = _titled(text)
    for entity, start, end in ents:
        start, end = _trim(text, start, end)
        if end <= start:
            continue
        if titled and _only_capitals_say_so(text[start:end]):
            continue              # the model read every capital as a name
        if _public(entity, text[start:end], settings.allowed_names):
            continue
        if entity == "PERSON" and _AFTER_ARTICLE.search(text, 0, start):
            continue              # "the Responder", "a Carer": nobody is "the Sarah"
        yield entity, start, end, SCORE, "model"
