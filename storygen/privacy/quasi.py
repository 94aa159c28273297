"""Quasi-identifiers (R6, R7, R10, R12, and the types R11/R15 count).

None of these is identifying alone; together, and to a colleague who knows
the service, they can be. They are SIGN-OFF findings: a named reviewer looks
at each and records a decision. The vocabularies below are deliberately
small and explicit so a reviewer can read what triggers what.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from .facilities import facility_hits
from .names import lists, places
from .rx import caseless_finditer, first_letters, lower_twin

QHit = tuple[str, int, int, float]

_CAP = r"[A-Z][\w'’&.-]*"
_PLACE_SUFFIX = (r"Street|St|Road|Rd|Lane|Avenue|Close|Drive|Crescent|Terrace|Square|Estate|Park|Green"
                 r"|Primary|Academy|School|College|Surgery|Health Centre|Medical Centre|Practice|Hospital"
                 r"|Infirmary|Ward|Library|Jobcentre|Community Centre|Leisure Centre|Retail Park|Prison")
_PLACE = re.compile(rf"\b(?:St\.? |Saint )?{_CAP}(?: {_CAP}){{0,2}} (?:{_PLACE_SUFFIX})\b|\b[Ww]ard \d+[A-Z]?\b")
_ORG_SUFFIX = (r"Council|Trust|Foundation Trust|Health Board|Housing Association|Housing|Association|Foundation"
               r"|Ltd|Limited|plc|PLC|Group|Partnership|Charity|Centre|Services|Society|Church|Mosque|Temple"
               r"|Gurdwara|Synagogue|Bank|Team|Project|Hub|Network|Forum|Union|Federation|Authority|Agency")
_ORG = re.compile(rf"\b{_CAP}(?: (?:of |and |& )?{_CAP}){{0,3}} (?:{_ORG_SUFFIX})\b|\b[Tt]he (?:{_CAP} ){{1,3}}team\b")
# What every match of _PLACE and _ORG holds: a space and its last word ("... Road", "... Trust")
# or "ward" and a number. Fewer than one comment in five has one: the rest skip the pattern,
# which tries its capitalised words at every capital (test_privacy_speed_paths.py checks).
_PLACE_NEEDS = re.compile(rf" (?:{_PLACE_SUFFIX})\b")     # (a literal first: re scans for it quickly)
_WARD_NUMBER = re.compile(r"[Ww]ard \d")
_ORG_NEEDS = re.compile(rf" (?:{_ORG_SUFFIX})\b| team\b")
_DETERMINERS = frozenset("The A An Our My Your Their His Her This That Every Each Local Social".split())
_PREPOSITION_PLACE = re.compile(r"\b(?:in|from|near|outside|around|round|to|at) ((?:[A-Z][a-z]+)(?: [A-Z][a-z]+)?)\b")

_UNIQUE = (r"the only|the first|the last|the one and only|the youngest|the oldest|head of"
           r"|director of|lead for|chief executive|chair of|manager of|in charge of|founder of")
UNIQUE = re.compile(rf"\b{first_letters(_UNIQUE)}(?:{_UNIQUE})\b", re.I)
UNIQUE_LOW = lower_twin(UNIQUE)
_EVENT = (r"inquiry|inquest|tribunal|court case|in court|trial|prosecuted|prosecution|fire|flood"
          r"|explosion|murder(?:ed)?|killed|died|death|suicide|stabbing|was in the (?:paper|papers|news)"
          r"|on the news|made the news|front page|headlines|serious case review|scandal")
EVENT = re.compile(rf"\b{first_letters(_EVENT)}(?:{_EVENT})\b", re.I)
EVENT_LOW = lower_twin(EVENT)
SPECIAL = {
    "health": re.compile(r"\b(?:cancer|chemo\w*|HIV|AIDS|diabet\w+|depress\w+|anxiety|schizophreni\w+|bipolar"
                         r"|dementia|alzheimer'?s|autis\w+|ADHD|epilep\w+|stroke|MS|multiple sclerosis|pregnan\w+"
                         r"|miscarriage|disabilit\w+|disabled|wheelchair|dialysis|transplant|overdose|addict\w*"
                         r"|alcoholi\w+|sectioned|mental health|psychosis|PTSD)\b", re.I),
    "sexuality": re.compile(r"\b(?:gay|lesbian|bisexual|queer|trans(?:gender)?|non-binary|came out|coming out)\b",
                            re.I),
    "religion": re.compile(r"\b(?:Muslim|Christian|Catholic|Jewish|Sikh|Hindu|Buddhist|mosque|church|synagogue"
                           r"|gurdwara|temple|Ramadan|Eid|Diwali|hijab)\b", re.I),
    "ethnicity": re.compile(r"\b(?:Polish|Romanian|Pakistani|Bangladeshi|Indian|Somali|Nigerian|Ghanaian|Eritrean"
                            r"|Syrian|Afghan|Kurdish|Chinese|Caribbean|Jamaican|Irish Traveller|Gypsy|Roma"
                            r"|Black|Asian|mixed race|Urdu|Punjabi|Bengali|Arabic|Tigrinya|Farsi|Pashto|Welsh-speaking"
                            r"|British Sign Language|BSL)\b"),
    "immigration": re.compile(r"\b(?:asylum|refugee|visa|deport\w*|Home Office|leave to remain|no recourse"
                              r"|undocumented|immigration)\b", re.I),
    "criminal": re.compile(r"\b(?:prison|jail|probation|convict\w*|criminal record|offender|custody|arrested"
                           r"|sentence[d]?)\b", re.I),
}
FAMILY = re.compile(r"\b(?:single (?:mum|mam|mother|dad|father|parent)|twins|triplets|widow(?:ed|er)?|foster\w*"
                    r"|adopted|young carer|carer for|(?:two|three|four|five|six|seven|eight|2|3|4|5|6|7|8) "
                    r"(?:kids|children|sons|daughters|grandchildren))\b", re.I)
AGE_BAND = re.compile(r"\b(?:in (?:my|her|his|their) (?:early |mid |late |mid-)?(?:\d0s|twenties|thirties|forties"
                      r"|fifties|sixties|seventies|eighties|nineties))\b", re.I)
ROLE = re.compile(r"\b(?:director|chief executive|head teacher|headteacher|consultant|councillor|mayor|MP"
                  r"|matron|manager|team leader|lead nurse|senior \w+|principal)\b")


def place_hits(text: str) -> Iterator[QHit]:
    towns, regions = places()
    first, _surnames, words = lists()
    needed = _PLACE_NEEDS.search(text) or ("ard " in text and _WARD_NUMBER.search(text))
    for m in _PLACE.finditer(text) if needed else ():
        if m.group().split(" ", 1)[0] in _DETERMINERS:
            continue
        yield "PLACE", m.start(), m.end(), 0.8
    yield from town_hits(text)
    yield from facility_hits(text)
    for m in _PREPOSITION_PLACE.finditer(text):
        name = m.group(1)
        head = name.split(" ")[0]
        if (name in towns or name in regions or head in regions or head in first
                or head.lower() in words or head in _DETERMINERS or head in CALENDAR):
            continue
        yield "PLACE", m.start(1), m.end(1), 0.5


def org_hits(text: str) -> Iterator[QHit]:
    towns, _regions = places()
    _first, _surnames, dictionary = lists()
    for m in _ORG.finditer(text) if _ORG_NEEDS.search(text) else ():
        words = m.group().split(" ")
        if words[0] in _DETERMINERS and len(words) == 2:
            continue                  # "The Council", "Our Team": generic
        start = m.start() + (len(words[0]) + 1 if words[0] in _DETERMINERS else 0)
        # A name needs a proper noun: "Oakfield Housing Association", "Leeds City Council";
        # "the Housing Team" and "Social Services" are generic.
        names = [w for w in text[start:m.end()].split(" ")[:-1] if w[:1].isupper()]
        if not any(w in towns or w.lower().strip("'’s") not in dictionary for w in names):
            continue
        yield "ORG", start, m.end(), 0.8


_WORD = re.compile(r"[^\W\d_]+(?:['’](?![sS]\b)[^\W\d_]+)*")   # "Stanley's" -> "Stanley"
# Months, days and festivals are towns too (March, Sunday's-well is not, Christmas Common is):
# "in March" is a date far more often than a place.
CALENDAR = frozenset("""January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Christmas Easter Whitsun Advent Lent""".split())
# Words after which a capitalised word that is also an English word is a place: "in Stanley",
# "near Street", "from Reading". Before: "Stanley's chemist", "Hope high street".
_PLACE_BEFORE = re.compile(r"\b(?:in|from|near|outside|around|round|at|to|of|live in|lived in|moved to"
                           r"|born in|grew up in|based in|town of|village of)\s+$", re.I)
_PLACE_AFTER = re.compile(r"^(?:['’]s)?\s+(?:town|village|city|high street|market|chemist|library|station"
                          r"|bus station|hospital|area|estate|jobcentre|branch|office|surgery|clinic)\b", re.I)
MAX_WORDS = 4


@functools.lru_cache(maxsize=1)
def _gazetteer() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(multi-word place names casefolded, their first words, single-word names as written)."""
    towns, _regions = places()
    multi = frozenset(" ".join(t.replace("-", " ").split()).casefold() for t in towns
                      if len(t.replace("-", " ").split()) > 1)
    heads = frozenset(m.split(" ", 1)[0] for m in multi)
    single = frozenset(t for t in towns if len(t.replace("-", " ").split()) == 1)
    return multi, heads, single


@functools.lru_cache(maxsize=1)
def _heads() -> dict[str, int]:
    """First word of each multi-word place, casefolded -> the most words such a name has.
    Only a word in here can start a multi-word place: the rest cost one look-up."""
    heads: dict[str, int] = {}
    for name in _gazetteer()[0]:
        words = name.split(" ")
        heads[words[0]] = max(heads.get(words[0], 0), len(words))
    return heads


@functools.lru_cache(maxsize=1)
def _pairs() -> frozenset[tuple[str, str]]:
    """The first two words of each multi-word place, casefolded: "the" begins a few places
    and hundreds of sentences, but "the lizard" only one of them."""
    return frozenset(tuple(name.split(" ")[:2]) for name in _gazetteer()[0])


@functools.lru_cache(maxsize=1)
def _starts() -> frozenset[str]:
    """Every casefolded word that can begin a place: a multi-word name's first word or a one-word name."""
    return frozenset(_heads()) | frozenset(t.casefold() for t in _gazetteer()[2])


def town_hits(text: str) -> Iterator[QHit]:
    """UK places from the gazetteer (GeoNames, 500 people or more).

    Multi-word names in any case ("west bridgford", "Sutton in Ashfield"). Single words:
    capitalised, or in lower case when no English word ("hucknall"); a single word that is
    also an English word ("Street", "Hope", "Deal") only where a place is named ("in Street",
    "Hope's library")."""
    multi, _, single = _gazetteer()
    _first, _surnames, dictionary = lists()   # "Sarah Holloway" is a person, not the London district
    heads = _heads()
    starts = _starts()
    pairs = _pairs()
    words = list(_WORD.finditer(text))
    keys = list(map(str.casefold, map(re.Match.group, words)))
    # Most words begin no place name: one look-up each, in one pass, and the loop below
    # visits only those that do (a name found moves on past its words, hence `resume`).
    # A multi-word name is only tried where the next word is its second word.
    resume = 0
    for i in [k for k, key in enumerate(keys) if key in starts]:
        if i < resume:
            continue
        key = keys[i]
        found = 0
        longest = heads.get(key, 0) if i + 1 < len(keys) and (key, keys[i + 1]) in pairs else 0
        for n in range(min(longest, len(words) - i), 1, -1):
            run = words[i:i + n]
            if any(text[a.end():b.start()] not in (" ", "-") for a, b in zip(run, run[1:])):
                continue
            if " ".join(w.group() for w in run).replace("-", " ").casefold() in multi:
                found = n
                break
        if found:
            yield "PLACE", words[i].start(), words[i + found - 1].end(), 0.9
            resume = i + found
            continue
        w = words[i]
        token = w.group()
        name = token[0].upper() + token[1:] if token.islower() else token
        after_first_name = i > 0 and text[words[i - 1].end():w.start()] == " " and words[i - 1].group() in _first
        if name in single and name not in CALENDAR and not after_first_name and (token == name or (len(token) >= 5 and token not in dictionary)):
            common = token.lower() in dictionary
            if not common or (token == name and (_PLACE_BEFORE.search(text[max(0, w.start() - 20):w.start()])
                                                 or _PLACE_AFTER.match(text[w.end():w.end() + 24]))):
                yield "PLACE", w.start(), w.end(), 0.9 if not common else 0.6


def qi_types(text: str) -> set[str]:
    """The quasi-identifier types present in `text` besides place/org/event/age hits (R11, R15)."""
    found = {f"special:{name}" for name, rx in SPECIAL.items() if rx.search(text)}
    if FAMILY.search(text):
        found.add("family")
    if AGE_BAND.search(text):
        found.add("age")
    if ROLE.search(text):       # "the only" etc. count via UNIQUE hits near a place or organisation
        found.add("role")
    return found
