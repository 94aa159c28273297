"""Our own structured-identifier patterns: what Presidio does not do, or does too loosely.

- UK phone numbers in any written form, whether or not libphonenumber thinks
  the number is allocated (a leak does not care).
- UK postcodes, full and outward code, case-sensitive ("in1 2ab" is not one).
- NHS numbers in any grouping, mod-11 checked (Presidio only knows 3-3-4).
- Social handles, passport numbers and vehicle registrations (the last two
  only with a context word nearby: "the 70s" and "bed 12A" are not plates).
- Absolute dates (and dates of birth), exact ages.

Each function takes folded text (textnorm.fold) and yields
(entity, start, end, score).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from .rx import first_letters

Hit = tuple[str, int, int, float]

# --- phone -----------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![\w+/])"
    r"(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?\(?|\(?0)"     # +44 / 0044 / (0 / 0
    r"\d(?:[ \-.)]{0,2}\d){8,11}"                   # the rest, with light separators
    r"(?![\w/])"
)
_DIGIT = re.compile(r"\d")


@functools.lru_cache(maxsize=4)
def _digits(text: str) -> int:
    """How many characters `\\d` matches in `text`. Every pattern here needs some ([0-9] and
    the literal 0 are among them): a text with fewer than a pattern needs is not searched
    with it. Most prose has no digit or one or two. The minimum each function checks is
    read from its patterns again by tests/test_privacy_speed_paths.py. Remembered for the
    last few texts: the five functions below ask about the same text in turn."""
    return len(_DIGIT.findall(text))


MIN_DIGITS = {"phone": 10, "postcode": 1, "nhs": 10, "nino": 6, "passport": 9, "vehicle": 1, "date": 1}


def phones(text: str) -> Iterator[Hit]:
    if _digits(text) < MIN_DIGITS["phone"]:
        return
    for m in _PHONE.finditer(text):
        digits = "".join(_DIGIT.findall(m.group()))
        if digits.startswith("0044"):
            digits = digits[2:]
        if digits.startswith("44"):
            national = digits[2:].removeprefix("0")
            ok = len(national) in (9, 10)
        else:
            ok = len(digits) in (10, 11)
        if ok:
            yield "PHONE", m.start(), m.end(), 0.7


# --- postcode ----------------------------------------------------------------
# Presidio's shape, compiled case-sensitively (its registry adds IGNORECASE).
_POSTCODE_FULL = re.compile(
    r"\b(GIR ?0AA"
    r"|[A-PR-UWYZ][0-9][ABCDEFGHJKPSTUW]? ?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"|[A-PR-UWYZ][0-9]{2} ?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]? ?[0-9][ABD-HJLNP-UW-Z]{2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{2} ?[0-9][ABD-HJLNP-UW-Z]{2}"
    r")\b"
)
# The 121 postcode areas. An outward code alone ("LS6") counts only when its
# area is real; one-letter areas (B, E, G, L, M, N, S, W) also need a context
# word, because "the M1" is a motorway and "B12" a vitamin.
POSTCODE_AREAS = frozenset("""
AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN
DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY
L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S
SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR
WS WV YO ZE
""".split())
_OUTWARD = re.compile(r"\b([A-Z]{1,2})([0-9][0-9A-Z]?)\b")
_OUTWARD_NOT = frozenset({"CO2", "SO2"})  # chemistry, not Colchester or Southampton
_POSTCODE_CONTEXT = re.compile(r"postcode|post code|area|live[sd]? in|estate|district", re.I)


def postcodes(text: str, window: int) -> Iterator[Hit]:
    if _digits(text) < MIN_DIGITS["postcode"]:
        return
    taken: list[tuple[int, int]] = []
    for m in _POSTCODE_FULL.finditer(text):
        taken.append((m.start(), m.end()))
        yield "POSTCODE", m.start(), m.end(), 0.9
    for m in _OUTWARD.finditer(text):
        area, district = m.group(1), m.group(2)
        if area not in POSTCODE_AREAS or m.group() in _OUTWARD_NOT:
            continue
        if any(a <= m.start() < b for a, b in taken):
            continue
        if district[-1].isalpha() and not (area in {"EC", "WC", "SW", "W", "E", "N", "NW", "SE"}):
            continue
        near = text[max(0, m.start() - window): m.end() + window]
        if len(area) == 1 and not _POSTCODE_CONTEXT.search(near):
            continue
        yield "POSTCODE", m.start(), m.end(), 0.6


# --- NHS number --------------------------------------------------------------
_NHS = re.compile(r"(?<![\d\w])(\d{3})[ \-]?(\d{3})[ \-]?(\d{4})(?![\d\w])|(?<![\d\w])(\d{10})(?![\d\w])")


def nhs_valid(digits: str) -> bool:
    """The NHS number mod-11 check (the 10th digit is the check digit)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def nhs_numbers(text: str) -> Iterator[Hit]:
    if _digits(text) < MIN_DIGITS["nhs"]:
        return
    for m in _NHS.finditer(text):
        if nhs_valid("".join(_DIGIT.findall(m.group()))):
            yield "NHS", m.start(), m.end(), 1.0


# --- handles, passports, vehicles, NINO ---------------------------------------
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?(?![\w@])")
_PASSPORT = re.compile(r"(?<!\d)\d{9}(?!\d)")
_PASSPORT_CONTEXT = re.compile(r"passport", re.I)
_VEHICLE_NEW = re.compile(r"\b[A-HJ-PR-Y][A-HJ-PR-Y][0-9]{2} ?[A-HJ-PR-Z]{3}\b")
_VEHICLE_OLD = re.compile(r"\b(?:[A-HJ-NPR-TV-Y][0-9]{1,3} ?[A-Z]{3}|[A-Z]{3} ?[0-9]{1,3}[A-HJ-NPR-TV-Y])\b")
_VEHICLE_CONTEXT = re.compile(r"\breg\b|registration|number ?plate|plates?\b|\bcar\b|\bvan\b|vehicle", re.I)
# Presidio's NINO pattern is case-insensitive; upper-case NINOs written with
# dashes or dots slip past it.
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"[ .\-]?\d{2}[ .\-]?\d{2}[ .\-]?\d{2}[ .\-]?[A-D]\b"
)


def others(text: str, window: int) -> Iterator[Hit]:
    if "@" in text:                             # _HANDLE's one literal
        for m in _HANDLE.finditer(text):
            yield "HANDLE", m.start(), m.end(), 0.8
    digits = _digits(text)
    if digits < min(MIN_DIGITS[k] for k in ("nino", "passport", "vehicle")):
        return
    for m in _NINO.finditer(text) if digits >= MIN_DIGITS["nino"] else ():
        yield "NINO", m.start(), m.end(), 0.9
    for m in _PASSPORT.finditer(text) if digits >= MIN_DIGITS["passport"] else ():
        if _PASSPORT_CONTEXT.search(text[max(0, m.start() - window): m.end() + window]):
            yield "PASSPORT", m.start(), m.end(), 0.8
    for m in _VEHICLE_NEW.finditer(text) if digits >= MIN_DIGITS["vehicle"] else ():
        yield "VEHICLE", m.start(), m.end(), 0.7
    for m in _VEHICLE_OLD.finditer(text) if digits >= MIN_DIGITS["vehicle"] else ():
        if _VEHICLE_CONTEXT.search(text[max(0, m.start() - window): m.end() + window]):
            yield "VEHICLE", m.start(), m.end(), 0.6


# --- dates ---------------------------------------------------------------------
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_ORD = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    r"\b(?:"
    rf"(?:the\s+)?(?:[12][0-9]|3[01]|0?[1-9]){_ORD}(?:\s+of)?\s+{_MONTH}\b\.?(?:,?\s+(?:19|20)\d\d\b)?"
    rf"|{_MONTH}\s+(?:the\s+)?(?:[12][0-9]|3[01]|0?[1-9]){_ORD}\b(?:,?\s+(?:19|20)\d\d\b)?"
    r"|(?:[12][0-9]|3[01]|0?[1-9])[/.\-](?:1[0-2]|0?[1-9])[/.\-](?:(?:19|20)\d\d|\d\d)(?!\d|\.\d)"
    r"|(?:19|20)\d\d-(?:1[0-2]|0[1-9])-(?:[12][0-9]|3[01]|0[1-9])"
    r")"
)
_BIRTH = re.compile(r"\bborn\b|birthday|date of birth|\bd\.?o\.?b\b", re.I)


def dates(text: str, window: int) -> Iterator[Hit]:
    if _digits(text) < MIN_DIGITS["date"]:
        return
    for m in _DATE.finditer(text):
        near = text[max(0, m.start() - window): m.end() + window]
        yield ("DOB" if _BIRTH.search(near) else "DATE"), m.start(), m.end(), 0.8


# --- ages ----------------------------------------------------------------------
_NUMBER_WORDS = (r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four"
                 r"|five|six|seven|eight|nine))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
                 r"|seventeen|eighteen|nineteen|one|two|three|four|five|six|seven|eight|nine|a hundred)")
_AGE_NUM = rf"(?:\d{{1,3}}|{_NUMBER_WORDS})"
_PRONOUN_IS = r"I'm|I am|she's|he's|she is|he is|they're|I was|she was|he was"
# The four ways an exact age is written, in the order they are tried at a position, each
# with what every one of its matches holds (tested first, so a text that has none of it
# skips that way entirely): "aged 47" / "turning forty" (a word starting "age" or "turn"),
# "forty years old" ("years old"), "she was only 47" (a digit), "born in 1984" ("born in").
# Before a need's search (case-insensitive, a scan of the text), the letters it holds are
# looked for in the lower-cased text, which costs next to nothing. No character other than
# these letters' capitals matches them case-insensitively ("ı" does match "i", hence "born"
# rather than "born in"); a way with no letters is always searched.
_AGE_WAYS = (   # (way, its need, the need's letters)
    (rf"\b(?:aged?|age of|turned|turning)\s+(?P<a>{_AGE_NUM})\b"
     r"(?!\s*(?:%|per ?cent|minutes|hours|days|weeks|months|times|pounds|quid))",
     r"\b(?:age|turn)", ("age", "turn")),
    (rf"\b(?P<b>{_AGE_NUM})[\s-]+(?:years?|yrs?)[\s-]+old\b", r"\b(?:years?|yrs?)[\s-]+old\b", ("old",)),
    (rf"\b{first_letters(_PRONOUN_IS)}(?:{_PRONOUN_IS})"
     r"\s+(?:only\s+|just\s+|nearly\s+|almost\s+|barely\s+|still\s+)?(?P<c>\d{1,3})\b"
     r"(?=\s*(?:[.,;!?]|$|now|next|this|when|and|but|years?|at the time|then))",
     r"\d", ()),
    (r"\bborn in (?P<d>(?:19|20)\d\d)\b", r"\bborn in \d", ("born",)),
)
_AGE = re.compile("|".join(way for way, _needs, _letters in _AGE_WAYS), re.I)   # every way at once
_AGE_NEEDS = tuple((re.compile(needs, re.I), letters) for _way, needs, letters in _AGE_WAYS)


@functools.lru_cache(maxsize=16)
def _age_ways(present: tuple[bool, ...]) -> re.Pattern:
    """The alternation of only the ways whose needs a text meets, in the same order: it finds
    exactly what _AGE finds there (a way that cannot match anywhere in the text changes no
    match), without trying the number words at every word of most texts."""
    return re.compile("|".join(way for (way, _n, _l), keep in zip(_AGE_WAYS, present) if keep), re.I)


_WORD_VALUES = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}


def age_value(word: str) -> int | None:
    """'47' -> 47, 'forty-seven' -> 47, 'a hundred' -> 100."""
    word = word.lower()
    if word.isdigit():
        return int(word)
    if word == "a hundred":
        return 100
    parts = re.split(r"[\s-]", word)
    total = 0
    for part in parts:
        if part in _TENS:
            total += _TENS[part]
        elif part in _WORD_VALUES:
            total += _WORD_VALUES[part]
        else:
            return None
    return total


def ages(text: str, precheck: bool = True) -> Iterator[tuple[str, int, int, float, int]]:
    """(entity, start, end, score, age); "born in 1984" yields the year as the value.
    `precheck=False` runs the whole alternation (what the tests compare the fast path with)."""
    if precheck:
        low = text.lower()
        present = tuple((not letters or any(w in low for w in letters)) and needs.search(text) is not None
                        for needs, letters in _AGE_NEEDS)
        if not any(present):
            return
        matcher = _age_ways(present)
    else:
        matcher = _AGE
    for m in matcher.finditer(text):
        key = m.lastgroup
        value = age_value(m.group(key)) if key != "d" else 0
        if value is None or (key != "d" and not 0 < value < 120):
            continue
        yield "AGE", m.start(), m.end(), 0.8, value
