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

from .domains import OFFLINE_TLD, registered_domain  # noqa: F401  (sets the offline cache first)
from .entities import PRESIDIO_ENTITIES  # noqa: F401
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


def presidio_hits(text: str) -> list[tuple[str, int, int, float]]:
    """(entity, start, end, score) for every Presidio pattern match in `text`.

    We call the registry's recognizers directly rather than `AnalyzerEngine.analyze`:
    with the no_op engine its context enhancement has nothing to work with (no
    lemmas) and deep-copies every result, which cost a third of the time. Our own
    context window replaces it (detect.py).
    """
    entities = list(PRESIDIO_ENTITIES)
    out = []
    for recognizer in _recognizers():
        for r in recognizer.analyze(text=text, entities=entities, nlp_artifacts=None) or ():
            if r.entity_type in PRESIDIO_ENTITIES and r.score > 0:
                out.append((PRESIDIO_ENTITIES[r.entity_type], r.start, r.end, r.score))
    return out
