"""Presidio, built in code so that it never touches the network.

Two offline traps (../shared/knowledge/privacy.md):
- `AnalyzerEngine()` with no arguments builds a spaCy NLP engine that tries to
  download a model. We pass the `no_op` engine instead: pattern recognizers
  need no tokens, and we do our own context window (see detect.py).
- Presidio's email recognizer calls `tldextract.extract`, which fetches the
  public suffix list on first use. We point TLDEXTRACT_CACHE at a private
  folder before the import and replace the validation with an offline
  extractor (bundled snapshot, no URLs).

The engine is expensive to build (~0.5 s), so one instance is shared per process.
"""
from __future__ import annotations

import functools
import re

from .domains import OFFLINE_TLD, registered_domain  # noqa: F401  (sets the offline cache first)
from .entities import PRESIDIO_ENTITIES  # noqa: F401
from . import urls
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry  # noqa: E402
from presidio_analyzer.nlp_engine import NoOpNlpEngine  # noqa: E402
from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    NhsRecognizer,
    PhoneRecognizer,
    UkDrivingLicenceRecognizer,
    UrlRecognizer,
)
from presidio_analyzer.predefined_recognizers.country_specific.uk.uk_nino_recognizer import (  # noqa: E402
    UkNinoRecognizer,
)



class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email pattern; an email-shaped string is a leak whatever its TLD."""

    def validate_result(self, pattern_text: str) -> bool:
        # The stock check asks tldextract (network on first use) whether the
        # domain is registrable. "jo@ward7.internal" leaks just as much, so we
        # only require a dot in the domain, which the pattern already does.
        return True


@functools.lru_cache(maxsize=1)
def analyzer() -> AnalyzerEngine:
    """The shared, offline Presidio analyzer (pattern recognizers only)."""
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}])
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        OfflineEmailRecognizer(),
        # GB only: other regions make "0113 496 0000" ambiguous and cost time.
        # Leniency 0 (POSSIBLE): libphonenumber judges some real UK forms invalid.
        PhoneRecognizer(supported_regions=("GB",), leniency=0),
        NhsRecognizer(),
        UkNinoRecognizer(),
        UrlRecognizer(),
        IpRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        UkDrivingLicenceRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


@functools.lru_cache(maxsize=1)
def _recognizers() -> tuple:
    return tuple(analyzer().registry.get_recognizers(language="en", entities=list(PRESIDIO_ENTITIES)))


# What a recognizer cannot match without: every pattern of the card, NHS, NINO, IBAN and
# driving-licence recognizers has a [0-9] or \d; IP addresses need a digit or ":"; email
# needs "@"; every URL pattern has "[.]" followed by a top-level domain, each of which
# starts with a letter (tests/test_privacy_fastpaths.py checks the installed patterns), and
# the detector keeps a URL match only with what urls.may_hold_an_address looks for.
# Phone numbers need digits too, and detect.py drops a phone hit with fewer than ten
# characters for which str.isdigit() is true, so a text with fewer cannot have one.
# Prose has none of these: skipping a recognizer on a text that lacks them changes
# nothing while saving most of Presidio's time.
_DIGIT_ENTITIES = frozenset({"CREDIT_CARD", "UK_NHS", "UK_NINO", "IBAN_CODE", "UK_DRIVING_LICENCE"})
_DIGIT = re.compile(r"\d")
_DOT_LETTER = re.compile(r"\.[^\W\d_]")     # any letter: a superset of [a-z] under IGNORECASE


def _digits(text: str) -> int:
    """How many characters of `text` have str.isdigit() true (as detect.py counts them)."""
    if text.isascii():
        return len(_DIGIT.findall(text))         # in ASCII, isdigit() is exactly 0-9
    return sum(map(str.isdigit, text))


# The fewest digits a match of each recognizer holds, counted from its installed patterns
# (tests/test_privacy_speed_paths.py reads them again): NHS 3+3+4, cards 4+3+3+3 (after a
# first [0-9] the card pattern's digits are \d, which in other scripts may count differently:
# the count is only used on ASCII texts), IBAN's two check digits, a driving licence's
# [0-9] and date of birth, a NINO's six. Most prose that has a digit has one or two ("2 weeks").
_MIN_DIGITS = {"UK_NHS": 10, "CREDIT_CARD": 13, "IBAN_CODE": 2, "UK_DRIVING_LICENCE": 6, "UK_NINO": 6}
_DOTTED_DIGITS = re.compile(r"[0-9]\.[0-9]")     # every IPv4 pattern has one; IPv6 ones have ":"


@functools.lru_cache(maxsize=32)
def _entities(recognizer) -> frozenset[str]:
    return frozenset(recognizer.supported_entities)


def _needed(recognizer, text: str, digit: bool, ascii_digits: int | None = None) -> bool:
    """False when `recognizer` cannot match `text`. `ascii_digits`: how many 0-9 an ASCII
    text holds (None: not counted, or not ASCII)."""
    entities = _entities(recognizer)
    if entities <= _DIGIT_ENTITIES:
        if ascii_digits is not None:
            return ascii_digits >= min(_MIN_DIGITS[e] for e in entities)
        return digit
    if entities == {"PHONE_NUMBER"}:
        # detect.py keeps a phone hit only with ten or more digits in it.
        return _digits(text) >= 10
    if entities == {"IP_ADDRESS"}:
        return ":" in text or (digit and _DOTTED_DIGITS.search(text) is not None)
    if entities == {"EMAIL_ADDRESS"}:
        return "@" in text
    if entities == {"URL"}:
        return _DOT_LETTER.search(text) is not None and urls.may_hold_an_address(text)
    return True


def presidio_hits(text: str, prefilter: bool = True) -> list[tuple[str, int, int, float]]:
    """(entity, start, end, score) for every Presidio pattern match in `text`.

    We call the registry's recognizers directly rather than `AnalyzerEngine.analyze`:
    with the no_op engine its context enhancement has nothing to work with (no
    lemmas) and deep-copies every result, which cost a third of the time. Our own
    context window replaces it (detect.py). Recognizers that cannot match (see
    `_needed`) are not run unless `prefilter` is off (tests compare both).
    """
    entities = list(PRESIDIO_ENTITIES)
    out = []
    digit = _DIGIT.search(text) is not None
    ascii_digits = _digits(text) if digit and text.isascii() else None
    for recognizer in _recognizers():
        if prefilter and not _needed(recognizer, text, digit, ascii_digits):
            continue
        for r in recognizer.analyze(text=text, entities=entities, nlp_artifacts=None) or ():
            if r.entity_type in PRESIDIO_ENTITIES and r.score > 0:
                out.append((PRESIDIO_ENTITIES[r.entity_type], r.start, r.end, r.score))
    return out
