"""The privacy checks' fast paths find what the slow ones found.

- The literal matcher (privacy.literals): token look-up finds every private value the old
  trie regex found (tests/literals_reference.py), in text and in raw bytes, UTF-8 and UTF-16.
- Unicode folding copies ASCII runs whole: the same text and index map as folding each character.
- Presidio recognizers skipped on texts without the characters they need: the same hits.
"""
from __future__ import annotations

from hypothesis import given, settings, strategies as st
from literals_reference import Literals as Reference

from storygen.privacy.literals import Literals

SECRETS = {"S001": "a source id", "S001-01": "an excerpt id", "3f9a0c1d2e4b5a69": "a text hash",
           "Margaret Holloway": "a real name", "Maggie": "a real name", "Zoë Ó'Brien": "a real name",
           "Łukasz Wróbel": "a real name", "Wrenfield Ward": "a deny-list term", "@maggie_h": "a handle",
           "snake_case_term": "a deny-list term"}


def spans(hits):
    return [(h.span, h.label) for h in hits]


def test_text_values_of_every_shape():
    lit = Literals(SECRETS)
    text = ("Ids S001 and s001-01, hash 3F9A0C1D2E4B5A69; MARGARET\n  holloway met Maggie, "
            "zoë ó'brien and Łukasz Wróbel at Wrenfield   Ward, @maggie_h, snake_case_term.")
    assert spans(lit.find(text)) == [
        ("S001", "a source id"), ("s001-01", "an excerpt id"), ("3F9A0C1D2E4B5A69", "a text hash"),
        ("MARGARET\n  holloway", "a real name"), ("Maggie", "a real name"), ("zoë ó'brien", "a real name"),
        ("Łukasz Wróbel", "a real name"), ("Wrenfield   Ward", "a deny-list term"),
        ("@maggie_h", "a handle"), ("snake_case_term", "a deny-list term")]


def test_word_boundaries():
    lit = Literals(SECRETS)
    assert lit.find("S0011 xS001 Maggies S001_2 3f9a0c1d2e4b5a690") == []
    assert spans(lit.find("(S001-01-b)")) == [("S001-01", "an excerpt id")]
    assert spans(lit.find("S001-012")) == [("S001", "a source id")]   # the longer id is not bounded


def test_bytes_utf8_and_utf16_at_any_alignment():
    lit = Literals(SECRETS)
    for enc in ("utf-16-le", "utf-16-be"):
        for pad in (b"", b"\x07"):
            data = b"\xff\xd8" + pad + "Taken at Maggie's house".encode(enc) + b"\x00\x01"
            assert ("Maggie", "a real name") in spans(lit.find_bytes(data, binary=False))
            data = pad + "for Margaret Holloway, Łukasz Wróbel".encode(enc)
            found = spans(lit.find_bytes(data, binary=True))
            assert ("Margaret Holloway", "a real name") in found and ("Łukasz Wróbel", "a real name") in found
    html = "<p>S001-01 and zoë ó'brien</p>".encode()
    assert spans(lit.find_bytes(html, binary=False)) == [("S001-01", "an excerpt id"),
                                                        ("zoë ó'brien", "a real name")]
    # Binary files get only values of 6 characters or more (short ones match by chance).
    assert spans(lit.find_bytes(b"\x00S001 S001-01", binary=True)) == [("S001-01", "an excerpt id")]


def test_no_values():
    lit = Literals({})
    assert not lit and lit.find("anything") == [] and lit.find_bytes(b"\x00x", binary=True) == []


ALPHABET = "abS01 -_'.@éłЖ\u00a0\n"
values = st.text(alphabet=ALPHABET, min_size=1, max_size=8)


def _covered(old, new):
    """Every span the reference flags overlaps a span the new matcher flags."""
    return all(any(n.start < o.end and o.start < n.end for n in new) for o in old)


@settings(max_examples=400, deadline=None)
@given(keys=st.lists(values, min_size=1, max_size=6), noise=st.lists(values, max_size=6), data=st.data())
def test_finds_everything_the_reference_finds(keys, noise, data):
    """(Few values: the substring pre-check runs for ASCII ones; many: see the next test.)"""
    secrets = {k: "a private value" for k in keys}
    parts = data.draw(st.permutations(keys + noise))
    text = data.draw(st.sampled_from(["", " ", "-", "x"])).join(parts)
    new, old = Literals(secrets), Reference(secrets)
    assert _covered(old.find(text), new.find(text))
    for enc in ("utf-8", "utf-16-le", "utf-16-be"):
        raw = data.draw(st.sampled_from([b"", b"\x00", b"Z"])) + text.encode(enc)
        for binary in (False, True):
            assert _covered(old.find_bytes(raw, binary), new.find_bytes(raw, binary)), (enc, binary)


ASCII_ALPHABET = "abS01 -_'.@\n"


@settings(max_examples=300, deadline=None)
@given(keys=st.lists(st.text(alphabet=ASCII_ALPHABET, min_size=1, max_size=8), min_size=1, max_size=4),
       noise=st.lists(st.text(alphabet=ASCII_ALPHABET, max_size=8), max_size=4), data=st.data())
def test_the_pre_check_for_a_few_values_drops_nothing(keys, noise, data):
    """With 33 values or more there is no pre-check: the same hits must come out either way."""
    secrets = {k: "a private value" for k in keys}
    padded = {**secrets, **{f"zzpad{i}q": "padding" for i in range(40)}}
    text = data.draw(st.sampled_from(["", " ", "-", "x"])).join(data.draw(st.permutations(keys + noise)))
    for enc in ("utf-8", "utf-16-le", "utf-16-be"):
        raw = data.draw(st.sampled_from([b"", b"\x00", b"Z"])) + text.upper().encode(enc)
        for binary in (False, True):
            few = Literals(secrets).find_bytes(raw, binary)
            many = [h for h in Literals(padded).find_bytes(raw, binary) if h.label != "padding"]
            assert Literals(secrets)._bytes_text.signs is not None
            assert [(h.start, h.end, h.span) for h in few] == [(h.start, h.end, h.span) for h in many]


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_fold_copies_ascii_runs_exactly_as_folding_each_character(text):
    from storygen.privacy import textnorm

    out, index = [], []
    for i, ch in enumerate(text):
        folded = textnorm._fold_char(ch)
        out.append(folded)
        index.extend([i] * len(folded))
    result = textnorm.fold(text)
    assert result.text == "".join(out) and tuple(result.index) == tuple(index)


PRESIDIO_ALPHABET = "0123456789 aAbZgbGB@:.-/()+ ٣①²\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet=PRESIDIO_ALPHABET, max_size=14),
                          st.sampled_from(["07700 900123", "jo@ward7.org", "fe80::1", "::", "10.0.0.1",
                                           "GB82 WEST 1234 5698 7654 32", "AB 12 34 56 C", "4111 1111 1111 1111",
                                           "943 476 5919", "MORGA657054SM9IJ", "www.example.org",
                                           "see example.co.uk/x", "E.G. ", "a.İo", ". Then", "0770090012", "077009001",
                                           "١٢٣٤٥٦٧٨٩٠", "Doctors.How", "nhs.uk", "mind.org.", "x.com/a", "index.html",
                                           "ambulance….best", "WWW.Example.COM", "a@b.io", "e.g.uk", "see.Co_",
                                           "bbc.co.uk.", "Leeds.gov.UK", "bit.ly/3xY", "WWW.Example.shop", "jo@ward.shop",
                                           "https://x.travel"])), max_size=5))
def test_presidio_prefilter_changes_no_hit(parts):
    from storygen.privacy import engine, urls
    from storygen.privacy.detect import Detector

    text = " ".join(parts)
    fast, slow = engine.presidio_hits(text), engine.presidio_hits(text, prefilter=False)
    # Phone matches with fewer than ten digits, and URL matches with none of what an address
    # needs, are dropped by the detector: compare the rest here...
    assert fast == [h for h in slow if (h[0] != "PHONE" or sum(c.isdigit() for c in text) >= 10)
                    and (h[0] != "URL" or urls.may_hold_an_address(text))]
    # ... and everything at the detector's level.
    real = engine.presidio_hits
    try:
        engine.presidio_hits = lambda t: real(t, prefilter=False)
        unfiltered = Detector()._scan(text)
    finally:
        engine.presidio_hits = real
    assert Detector()._scan(text) == unfiltered


def test_url_patterns_need_a_dot_and_a_letter():
    """The URL prefilter's premise, checked against the installed Presidio patterns."""
    import re

    from storygen.privacy import engine

    (urls,) = [r for r in engine._recognizers() if "URL" in r.supported_entities]
    for pattern in urls.patterns:
        at = pattern.regex.index("[.](?:(?:com)")
        tlds = re.findall(r"\(\?:([^()|]+)\)", pattern.regex[at + 4:pattern.regex.index("))", at)])
        assert len(tlds) > 100 and all(t[0].isascii() and t[0].isalpha() for t in tlds), pattern.name
        assert "|" not in pattern.regex[:at].replace("(?:", "")     # no alternative around "[.]"


# --- a matcher layered on the last compiled one (privacy.ids.matcher, a serve rebuild) ------------

@settings(max_examples=200, deadline=None)
@given(old=st.sets(st.sampled_from(sorted(SECRETS)), min_size=1), new=st.sets(st.sampled_from(sorted(SECRETS))),
       data=st.data())
def test_a_layered_matcher_finds_what_one_compiled_from_the_values_finds(old, new, data):
    """Values added and removed since the base was compiled (an id renamed, a text hash changed):
    the same hits as a matcher compiled afresh, in text and in bytes, even where a removed value
    holds a shorter one that stays ("S001-01" gone, "S001" kept)."""
    from storygen.privacy.literals import Layered

    base_values = {v: SECRETS[v] for v in old}
    values = {v: SECRETS[v] for v in new}
    layered = Layered(Literals(base_values), values,
                      added={v: l for v, l in values.items() if base_values.get(v) != l},
                      removed={v for v in base_values if values.get(v) != base_values[v]})
    exact = Literals(values)
    words = data.draw(st.lists(st.sampled_from(sorted(SECRETS) + ["and", "S001-012", "(", "-01", "x"]), max_size=8))
    text = " ".join(words)
    assert spans(layered.find(text)) == spans(exact.find(text))
    blob = text.encode("utf-8") + b"\x00" + text.encode("utf-16-le")
    for binary in (False, True):
        assert spans(layered.find_bytes(blob, binary)) == spans(exact.find_bytes(blob, binary))
    assert bool(layered) == bool(exact)


def test_the_context_reuses_its_compiled_matcher_for_a_few_changed_values():
    from storygen.privacy import ids
    from storygen.privacy.literals import Layered

    store: dict = {}
    values = {f"S{n:04d}": "a source id" for n in range(200)}
    first = ids.matcher(values, store)
    assert isinstance(first, Literals) and ids.matcher(dict(values), store) is first
    edited = {**{k: v for k, v in values.items() if k != "S0007"}, "ab12cd34ef56": "an excerpt text hash"}
    layered = ids.matcher(edited, store)
    assert isinstance(layered, Layered) and layered.base is first
    assert spans(layered.find("S0007 ab12cd34ef56 S0008")) == [("ab12cd34ef56", "an excerpt text hash"),
                                                               ("S0008", "a source id")]
    many = {f"T{n:04d}": "a source id" for n in range(ids.LAYER_MAX + 1)} | values
    assert isinstance(ids.matcher(many, store), Literals)
