"""All detectors over one text, with per-entity thresholds and a content-hash cache.

`Detector.scan(text)` folds the text (textnorm), runs Presidio's pattern
recognizers and our own patterns, names and quasi-identifier rules on the
folded copy, resolves overlaps, maps spans back to the original text and
returns `Hit`s. Results are cached in memory, keyed by a hash of the text
and of the settings, so the output scan re-reading the same words costs a
dictionary look-up. Between runs only the hashes of texts that were found
clean are kept (see `use_clean_cache`): no span or other text is ever
written to disk by the detector.
"""
from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from dataclasses import dataclass, field

from . import fusion, names, ner, patterns, quasi, urls
from .entities import PRESIDIO_ENTITIES
from .rx import caseless_finditer
from .textnorm import fold
from .verdicts import Verdicts

# entity -> (rule, action, what to do)
ENTITY_RULES: dict[str, tuple[str, str, str]] = {
    "EMAIL": ("R1", "block", "remove the email address or replace it with [email]"),
    "PHONE": ("R1", "block", "remove the phone number or replace it with [phone number]"),
    "POSTCODE": ("R1", "block", "remove the postcode or generalise the place (\"a town in the North East\")"),
    "NHS": ("R1", "block", "remove the NHS number"),
    "NINO": ("R1", "block", "remove the National Insurance number"),
    "URL": ("R1", "block", "remove the web address, or add its domain to [privacy] allowed_domains"),
    "HANDLE": ("R1", "block", "remove the social media handle"),
    "IP": ("R1", "block", "remove the IP address"),
    "CARD": ("R1", "block", "remove the card number"),
    "IBAN": ("R1", "block", "remove the bank account number"),
    "PASSPORT": ("R1", "block", "remove the passport number"),
    "DRIVING": ("R1", "block", "remove the driving licence number"),
    "VEHICLE": ("R1", "block", "remove the vehicle registration"),
    "PERSON": ("R2", "block", "replace the name with its pseudonym from narratives/private/pseudonyms.yaml, "
                              "or with a [bracketed] role such as [my manager]"),
    "PERSON?": ("R3", "block", "a person-like name that no list knows: replace it with a pseudonym from the "
                               "map or a [bracketed] role"),
    "DOB": ("R8", "block", "remove the date of birth; say \"in her 40s\" instead"),
    "DATE": ("R8", "warn", "an absolute date can single someone out: prefer \"that spring\" or a year"),
    "AGE": ("R9", "warn", "band the age: \"in her 40s\""),
    "AGE90": ("R9", "signoff", "ages of 90 and over are always banded (\"over 90\")"),
    "PLACE": ("R6", "signoff", "generalise the place (\"a town in the North East\") or record a sign-off"),
    "ORG": ("R7", "signoff", "generalise the organisation (\"a housing association\") or record a sign-off"),
    "UNIQUE": ("R10", "signoff", "a uniqueness marker next to a place or organisation singles a person out: "
                                 "drop one of them or record a sign-off"),
    "EVENT": ("R12", "signoff", "a singular event can be looked up: leave it out, blur it, or record a sign-off"),
}
_IDENTITY = frozenset({"PERSON", "PERSON?", "PLACE", "ORG"})
STRUCTURED = ("EMAIL", "PHONE", "POSTCODE", "NHS", "NINO", "URL", "HANDLE", "IP", "CARD", "IBAN",
              "PASSPORT", "DRIVING", "VEHICLE")
# Overlap resolution: earlier wins when two hits overlap.
PRIORITY = ["NHS", "NINO", "CARD", "IBAN", "DRIVING", "EMAIL", "PASSPORT", "PHONE", "IP", "URL", "HANDLE",
            "VEHICLE", "POSTCODE", "DOB", "DATE", "AGE", "PERSON", "ORG", "PLACE", "UNIQUE", "EVENT"]
DEFAULT_THRESHOLDS = {"EMAIL": 0.5, "PHONE": 0.4, "NHS": 0.5, "NINO": 0.5, "URL": 0.5, "IP": 0.5,
                      "CARD": 0.5, "IBAN": 0.5, "DRIVING": 0.5}


@dataclass(frozen=True)
class Hit:
    """One detected span in the original (unfolded) text."""

    entity: str            # see ENTITY_RULES; PERSON found only by a cue is "PERSON?"
    start: int
    end: int
    span: str
    score: float
    rule: str
    action: str
    hint: str
    detail: str = ""       # e.g. the age value


@dataclass(frozen=True)
class Settings:
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    context_window: int = 40
    allowed_domains: tuple[str, ...] = ()
    allowed_names: frozenset[str] = frozenset()     # casefolded pseudonyms and persona names
    allowed_values: frozenset[str] = frozenset()    # casefolded exact values accepted project-wide
    names: bool = True
    quasi: bool = True
    ner_model: str = ""            # [privacy] ner_model: "" = en_core_web_sm if installed, "none" = off

    def fingerprint(self) -> str:
        data = {"t": sorted(self.thresholds.items()), "w": self.context_window,
                "d": sorted(self.allowed_domains), "n": sorted(self.allowed_names),
                "v": sorted(self.allowed_values), "names": self.names, "quasi": self.quasi,
                "ner": [_model_identity(ner.resolve(self.ner_model)), self.ner_model.strip().lower() == ner.OFF]}
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]

    def describe(self) -> dict:
        """What runs, for the audit log (R17)."""
        return {
            "presidio": {"version": _presidio_version(), "nlp_engine": "no_op",
                         "recognizers": sorted(PRESIDIO_ENTITIES.values())},
            "own_patterns": ["PHONE (permissive UK)", "POSTCODE (full + outward, case-sensitive)",
                             "NHS (mod-11, any grouping)", "NINO", "HANDLE", "PASSPORT (context)",
                             "VEHICLE (context for old formats)", "DATE/DOB", "AGE"],
            "names": "first-name and surname lists + title/cue patterns" if self.names else "off",
            "ner_model": ner.describe(ner.resolve(self.ner_model)),
            "quasi_identifiers": "R6 R7 R10 R11 R12 R15" if self.quasi else "off",
            "thresholds": dict(sorted(self.thresholds.items())),
            "context_window": self.context_window,
            "allowed_domains": sorted(self.allowed_domains),
            "allowed_names": len(self.allowed_names),
            "allowed_values": len(self.allowed_values),
            "unicode_folding": "NFKC, zero-width removed, spaces and dashes unified, look-alikes mapped",
        }


def _consistent_case(value: str) -> bool:
    letters = [c for c in value if c.isalpha()]
    return all(c.isupper() for c in letters) or all(c.islower() for c in letters)


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of everything that decides what the detectors find."""
    digest = hashlib.sha256(_presidio_version().encode())
    package = Path(__file__).parent
    for path in sorted([*package.glob("*.py"), *(package / "data").rglob("*")]):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _model_identity(model: str | None) -> str:
    """The pipeline's name and installed version: a new model must re-check every text."""
    if model is None:
        return ""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return f"{model} {version(model)}"
    except (PackageNotFoundError, ValueError):
        return model


def _presidio_version() -> str:
    from importlib.metadata import version
    return version("presidio-analyzer")


def _text_key(text: str) -> str:
    """What the caches know a text by: a hash, never the text."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# A pool of new texts this long or longer is read by every CPU, each its share. Below it
# the fork (about 10 ms here, whatever the work) and the pages a child copies cost what
# they save. Measured on 2 CPUs with real comments, best of 7 (one CPU vs split): without a
# model 15,000 characters 18 vs 26 ms, 34,000 42 vs 36 ms, 72,000 91 vs 63 ms; with the
# model, whose memory a child copies as it reads, 34,000 150 vs 183 ms, 72,000 363 vs 305 ms.
SPLIT_FROM_CHARS = 30_000
SPLIT_WITH_MODEL = 50_000


def _by_length(items: list[tuple[str, str]], parts: int) -> list[list[tuple[str, str]]]:
    """`items` cut into up to `parts` runs of about the same number of characters, in order."""
    total = sum(len(text) for _key, text in items)
    chunks: list[list[tuple[str, str]]] = [[]]
    done = 0
    for item in items:
        if chunks[-1] and done >= total * len(chunks) / parts and len(chunks) < parts:
            chunks.append([])
        chunks[-1].append(item)
        done += len(item[1])
    return chunks


def _scan_chunk(detector: "Detector", items: list[tuple[str, str]]) -> list[tuple[str, tuple[Hit, ...]]]:
    return detector.scan_share(items)


class Detector:
    """Runs every detector; one instance per settings, reused across texts."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._key = self.settings.fingerprint()
        self._cache: dict[str, tuple[Hit, ...]] = {}
        self._verdicts = Verdicts()          # what is remembered between runs (verdicts.py)
        self._qi: dict[str, str] | None = None  # text hash -> "+"-joined types, from the qi file
        self._allowed_domains = {d.lower().lstrip(".") for d in self.settings.allowed_domains}
        self.model = ner.resolve(self.settings.ner_model)   # None: lists and patterns only

    @property
    def notice(self) -> str | None:
        """The one line every report carries when no NER model runs (None when one does)."""
        return None if self.model or self.settings.ner_model.strip().lower() == ner.OFF else ner.NOTICE

    def scan_many(self, texts) -> list[tuple[Hit, ...]]:
        """`scan` for many texts: the model reads the texts not yet known in batches."""
        texts = list(texts)
        todo: dict[str, str] = {}
        for text in texts:
            if text and text.strip():
                key = _text_key(text)
                if key not in self._verdicts.texts and key not in self._cache:
                    todo.setdefault(key, text)
        items = list(todo.items())
        if items and sum(len(text) for _key, text in items) >= (SPLIT_WITH_MODEL if self.model else SPLIT_FROM_CHARS):
            from ..parallel import split_shared, workers

            # Each CPU reads its share of a cold pool (forked children inherit the loaded
            # pipeline and word lists; only hits come back).
            for part in split_shared(_scan_chunk, self, _by_length(items, workers())):
                self._cache.update(part)
        elif items:
            self._cache.update(self.scan_share(items))
        return [self.scan(t) for t in texts]

    def scan(self, text: str) -> tuple[Hit, ...]:
        """All hits in `text`, sorted by position (cached by content hash)."""
        if not text or not text.strip():
            return ()
        key = _text_key(text)
        if key in self._verdicts.texts:
            return ()
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._scan(text)
        if not cached:
            self._verdicts.texts.add(key)
        return cached

    # -- verdicts kept on disk (verdicts.py) ---------------------------------------
    # Only hashes of texts in which nothing was found are kept between runs: no span,
    # no position, nothing identifying ever reaches the disk. A text with a finding is
    # simply scanned again. The file names carry the settings and a digest of the
    # detector code and word lists, so any change to either starts afresh.
    def use_clean_cache(self, folder: Path) -> None:
        if self._verdicts.folder == folder:
            return
        # One detector serves every project of a build context: each cache folder starts
        # from its own files, never from another project's verdicts.
        self._verdicts = Verdicts(folder, self._key, code_digest())
        self._qi = None

    def qi_types(self, text: str) -> set[str]:
        """`quasi.qi_types(text)`, remembered between runs in the qi file.

        An entry is `<hash of the text>=<types>`: the types are rule labels
        ("age", "special:health"), never text, so nothing identifying reaches the disk.
        """
        key = hashlib.blake2b(b"qi\0" + text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        if self._qi is None:
            self._qi = dict(e.split("=", 1) for e in self._verdicts.qi.entries if "=" in e)
        known = self._qi.get(key)
        if known is not None:
            return set(known.split("+")) if known else set()
        found = quasi.qi_types(text)
        entry = "+".join(sorted(found))
        self._qi[key] = entry
        self._verdicts.qi.add(f"{key}={entry}")
        return found

    def remember_composite(self, key: str) -> None:
        """Remember a composite found clean as a whole (the guard's key over its texts)."""
        self._verdicts.composites.add(key)

    def composite_remembered(self, key: str) -> bool:
        return key in self._verdicts.composites

    def known_clean(self, text: str) -> bool:
        """True when `text` is remembered as clean (a cheap look-up, no scan)."""
        if not text or not text.strip():
            return True
        return _text_key(text) in self._verdicts.texts

    def drain_clean(self) -> dict[str, list[str]]:
        """Verdicts found since the last call, by kind: a worker process hands them back."""
        return self._verdicts.drain()

    def add_clean(self, added: dict[str, list[str]]) -> None:
        """Merge the verdicts a worker process found (`drain_clean`'s result)."""
        self._verdicts.merge(added)
        if added and added.get("qi"):
            self._qi = None

    def save_clean_cache(self) -> None:
        self._verdicts.save()

    # -- the work ------------------------------------------------------------
    def _scan(self, text: str) -> tuple[Hit, ...]:
        return self.scan_share([("", text)])[0][1]

    def scan_share(self, items: list[tuple[str, str]]) -> list[tuple[str, tuple[Hit, ...]]]:
        """(key, hits) for each (key, text). Lists and patterns run first; the model then
        reads, in one batch, only the stretches around capitalised words they left
        unexplained: where they found something, the model's span would give way to
        theirs anyway (_resolve), so reading it again costs time and changes nothing."""
        folded = [fold(text) for _key, text in items]
        own = [self._own_hits(f) for f in folded]
        if self.model:
            covered = [[(h[1], h[2]) for h in raw if h[0] in _IDENTITY] for raw in own]
            found = ner.entities(self.model, [f.text for f in folded], covered)
        else:
            found = [[] for _ in folded]
        return [(key, self._finish(f, raw, ents)) for (key, _text), f, raw, ents in zip(items, folded, own, found)]

    def _own_hits(self, folded) -> list[tuple[str, int, int, float, str]]:
        """Every lists-and-patterns hit in a folded text, before overlaps are resolved."""
        t = folded.text
        window = self.settings.context_window
        raw: list[tuple[str, int, int, float, str]] = []
        thresholds = self.settings.thresholds
        from . import engine      # imported on first real scan: Presidio pulls in spaCy (~1.5 s)

        for entity, start, end, score in engine.presidio_hits(t):
            if score < thresholds.get(entity, 0.5):
                continue
            if entity == "PHONE" and (sum(c.isdigit() for c in t[start:end]) < 10 or t[start] not in "0+("):
                continue          # POSSIBLE-leniency matches of bare digit runs ("01.000", "1234567890")
            if entity == "NINO" and not _consistent_case(t[start:end]):
                continue          # "En 582841b": a hashed file name, not a NINO written by a person
            raw.append((entity, start, end, score, ""))
        for gen in (patterns.phones(t), patterns.postcodes(t, window), patterns.nhs_numbers(t),
                    patterns.others(t, window), patterns.dates(t, window)):
            raw.extend((e, s, en, sc, "") for e, s, en, sc in gen)
        for e, s, en, sc, value in patterns.ages(t):
            raw.append(("AGE", s, en, sc, str(value)))
        if self.settings.names:
            for e, s, en, sc, via in names.find_names(t, self.settings.allowed_names):
                raw.append(("PERSON" if via == "list" else "PERSON?", s, en, sc, via))
        if self.settings.quasi:
            raw.extend((e, s, en, sc, "") for e, s, en, sc in quasi.place_hits(t))
            raw.extend((e, s, en, sc, "") for e, s, en, sc in quasi.org_hits(t))
            anchors = [(s, en) for e, s, en, *_ in raw if e in ("PLACE", "ORG")]
            for m in caseless_finditer(quasi.UNIQUE, quasi.UNIQUE_LOW, t) if anchors else ():  # near one only
                if any(abs(m.start() - a) <= window * 2 or abs(b - m.end()) <= window * 2 for a, b in anchors):
                    raw.append(("UNIQUE", m.start(), m.end(), 0.7, ""))
            events = caseless_finditer(quasi.EVENT, quasi.EVENT_LOW, t)
            raw.extend(("EVENT", m.start(), m.end(), 0.6, "") for m in events)
        return raw

    def _finish(self, folded, raw, ents: list[tuple[str, int, int]]) -> tuple[Hit, ...]:
        t = folded.text
        raw = raw + list(fusion.model_hits(t, ents, self.settings))
        return tuple(self._resolve(folded, raw))

    def _resolve(self, folded, raw):
        # The lists and patterns know where a name starts and ends ("Larkspur ward", not the
        # model's "Larkspur"): a model span that overlaps one of theirs gives way to it.
        own = [(h[1], h[2]) for h in raw if h[4] != "model"]
        raw = [h for h in raw if h[4] != "model" or not any(h[1] < b and a < h[2] for a, b in own)]
        order = {e: i for i, e in enumerate(PRIORITY)}
        raw.sort(key=lambda h: (order.get(h[0].rstrip("?"), 99), -(h[2] - h[1]), h[1]))
        kept: list[tuple[str, int, int, float, str]] = []
        for hit in raw:
            entity, start, end = hit[0], hit[1], hit[2]
            if any(start < k[2] and k[1] < end for k in kept):
                continue          # overlaps a stronger or longer hit
            kept.append(hit)
        out: list[Hit] = []
        for entity, start, end, score, detail in sorted(kept, key=lambda h: (h[1], h[2])):
            a, b = folded.span(start, end)
            span = folded.original[a:b]
            if span.casefold() in self.settings.allowed_values:
                continue
            if entity == "URL" and (self._domain_allowed(folded.text[start:end])
                                    or urls.file_name_like(folded.text[start:end])
                                    or urls.missing_space(folded.text[start:end])
                                    or _word_char(folded.text[end:end + 1])):
                # the last: Presidio stops at a known TLD inside a longer word ("photo.jp|g")
                continue
            rule_key = entity
            if entity == "AGE" and detail.isdigit() and int(detail) >= 90:
                rule_key = "AGE90"
            rule, action, hint = ENTITY_RULES[rule_key]
            out.append(Hit(entity, a, b, span, round(score, 2), rule, action, hint, detail))
        return out

    def _domain_allowed(self, url: str) -> bool:
        if not self._allowed_domains:
            return False
        host = url.split("//", 1)[-1].split("/", 1)[0].split("@")[-1].lower()
        return any(host == d or host.endswith("." + d) for d in self._allowed_domains)

