"""Detectors on single texts: every identifier type caught, hard negatives left alone, Unicode tricks defeated.

Only safe test values (../shared/knowledge/privacy.md): NHS 999-range numbers with a valid
checksum, Ofcom drama phone ranges, valid-prefix NI numbers.
"""
from __future__ import annotations

import pytest

from storygen.privacy.detect import Detector, Settings
from storygen.privacy.patterns import nhs_valid
from storygen.privacy.textnorm import fold

DET = Detector(Settings(allowed_domains=("example.org",)))


def entities(text: str) -> list[tuple[str, str]]:
    return [(h.entity, h.span) for h in DET.scan(text)]


@pytest.mark.parametrize("text,entity,span", [
    ("Email me at jo.bloggs@example.com please.", "EMAIL", "jo.bloggs@example.com"),
    ("Her address was k.smith@ward7.internal", "EMAIL", "k.smith@ward7.internal"),
    ("Ring 07700 900123 any time.", "PHONE", "07700 900123"),
    ("Ring 07700900123 any time.", "PHONE", "07700900123"),
    ("Ring 07700-900-123 any time.", "PHONE", "07700-900-123"),
    ("Ring +44 7700 900123 any time.", "PHONE", "+44 7700 900123"),
    ("Ring +44 (0)7700 900123 any time.", "PHONE", "+44 (0)7700 900123"),
    ("Ring 0044 7700 900123 any time.", "PHONE", "0044 7700 900123"),
    ("The office is 0113 496 0123.", "PHONE", "0113 496 0123"),
    ("The office is (0113) 496 0123.", "PHONE", "(0113) 496 0123"),
    ("The office is 020 7946 0999.", "PHONE", "020 7946 0999"),
    ("The office is 0207 946 0999.", "PHONE", "0207 946 0999"),
    ("She lives at LS6 2AB now.", "POSTCODE", "LS6 2AB"),
    ("She lives at SW1A 1AA now.", "POSTCODE", "SW1A 1AA"),
    ("Everyone in NE1 knows her.", "POSTCODE", "NE1"),
    ("It's the M1 postcode area.", "POSTCODE", "M1"),
    ("His NHS number is 999 000 0018.", "NHS", "999 000 0018"),
    ("His NHS number is 9990000018.", "NHS", "9990000018"),
    ("His NHS number is 999-000-0018.", "NHS", "999-000-0018"),
    ("NI number AB 12 34 56 C on the form.", "NINO", "AB 12 34 56 C"),
    ("NI number AB123456C on the form.", "NINO", "AB123456C"),
    ("NI number ab123456c on the form.", "NINO", "ab123456c"),
    ("See https://www.facebook.com/jo.bloggs.99 for photos.", "URL", "https://www.facebook.com/jo.bloggs.99"),
    ("Look at bbc.co.uk/news/uk-123 later.", "URL", "bbc.co.uk/news/uk-123"),
    ("Follow @jo_bloggs99 for updates.", "HANDLE", "@jo_bloggs99"),
    ("Her passport number 123456789 was kept.", "PASSPORT", "123456789"),
    ("My car reg was AB12 CDE.", "VEHICLE", "AB12 CDE"),
    ("Licence MORGA657054SM9IJ was on the letter.", "DRIVING", "MORGA657054SM9IJ"),
    ("Card 4111 1111 1111 1111 was declined.", "CARD", "4111 1111 1111 1111"),
    ("Pay into GB82 WEST 1234 5698 7654 32 please.", "IBAN", "GB82 WEST 1234 5698 7654 32"),
    ("The server was 192.168.12.7 then.", "IP", "192.168.12.7"),
    ("She was born on 3rd March 1984.", "DOB", "3rd March 1984"),
    ("Her birthday is 12/05/1984.", "DOB", "12/05/1984"),
    ("We met on 12/05/2019.", "DATE", "12/05/2019"),
    ("It happened on the 4th of July 2020.", "DATE", "the 4th of July 2020"),
    ("It happened on March 12th.", "DATE", "March 12th"),
    ("I was 47 when it happened.", "AGE", "I was 47"),
    ("He is 47 years old.", "AGE", "He is 47"),
    ("A 47-year-old man came in.", "AGE", "47-year-old"),
    ("My nan is ninety-two years old.", "AGE", "ninety-two years old"),
    ("She was aged 16.", "AGE", "aged 16"),
    ("I went to see Sarah Holloway about it.", "PERSON", "Sarah Holloway"),
    ("I asked Priya and she agreed.", "PERSON", "Priya"),
    ("Then Mrs Okafor came round.", "PERSON", "Mrs Okafor"),
    ("Nurse Jo was brilliant.", "PERSON", "Nurse Jo"),
    ("My name is Xanthe-Rae and I work nights.", "PERSON?", "Xanthe-Rae"),
    ("The manager, known as Tinks, said no.", "PERSON?", "Tinks"),
    ("Grace said she'd ring back.", "PERSON", "Grace"),
    ("I told Will it would be fine.", "PERSON", "Will"),
    ("She went to St Aidan's Primary School.", "PLACE", "St Aidan's Primary School"),
    ("We moved to Hartlepool that year.", "PLACE", "Hartlepool"),
    ("They put her on Ward 12 overnight.", "PLACE", "Ward 12"),
    ("I worked for Oakfield Housing Association for ten years.", "ORG", "Oakfield Housing Association"),
    ("The Brierley team were brilliant.", "ORG", "Brierley team"),
    ("It was in the paper after the tribunal.", "EVENT", "was in the paper"),
])
def test_each_identifier_is_found(text, entity, span):
    assert (entity, span) in entities(text)


@pytest.mark.parametrize("text", [
    "We were in the 70s. She had bed 12A by the window.",
    "Version 1.2.3 came out; we updated to 2.2.366 later.",
    "The caption starts at 00:00:01.000 and ends at 00:00:04.500.",
    "The colour was #1f6f8b on the poster.",
    "It took six months, maybe 18 months, to sort out.",
    "Will you come to the meeting? May I ask why?",
    "Hope you are well. Grace under pressure is what they wanted.",
    "In March we moved. In May it got worse. June was better.",
    "Social Services called. The Council wrote back. Universal Credit stopped.",
    "A council in the north of England, a town in the North East.",
    "I'm 5 minutes away. I was 30 minutes late.",
    "She scored 100 out of 100 and won 2 to 1.",
    "The NHS and the DWP both wrote. The M1 was closed.",
    "Page 12 of 40, figure 3.2, table 7.",
    "Reference 1234567890 is not a checksum-valid NHS number.",
    "Cost was £1,200.50 in 2019, up from £950 in 2018.",
    "in1 2ab is lower case, not a postcode.",
    "We talked about CO2 levels in the office.",
    "Open index.html or read kitchen-table.jpg in the folder.",
    "Every Monday the team met at 9.30am for twenty minutes.",
])
def test_hard_negatives_are_left_alone(text):
    blocking = [(h.entity, h.span) for h in DET.scan(text) if h.action == "block"]
    assert blocking == []


def test_allowed_domain_is_not_a_finding():
    assert entities("Read more at https://example.org/stories/time-to-listen/") == []
    assert entities("Read more at https://evil.example.net/x")[0][0] == "URL"


def test_invalid_nhs_checksum_is_not_an_nhs_number():
    assert nhs_valid("9990000018")
    assert not nhs_valid("9990000019")
    assert ("NHS", "999 000 0019") not in entities("Number 999 000 0019 here.")


@pytest.mark.parametrize("text,entity,digits", [
    ("Ring 07700\u00a0900\u00a0123 now.", "PHONE", "07700900123"),                 # non-breaking spaces
    ("Ring ０７７００ ９００１２３ now.", "PHONE", "07700900123"),                        # full-width digits
    ("Ring 077\u200b00 900\u200d123 now.", "PHONE", "07700900123"),                 # zero-width inside
    ("Ring 07700\u2011900\u2011123 now.", "PHONE", "07700900123"),                  # non-breaking hyphens
    ("NHS 999\u202f000\u202f0018.", "NHS", "9990000018"),                           # narrow no-break spaces
])
def test_unicode_tricks_do_not_hide_numbers(text, entity, digits):
    hits = [h for h in DET.scan(text) if h.entity == entity]
    assert hits, text
    # The span is quoted from the original text, exactly as typed.
    assert hits[0].span in text
    assert "".join(c for c in fold(hits[0].span).text if c.isdigit()) == digits


@pytest.mark.parametrize("text,span", [
    ("I spoke to Sa\u200brah about it.", "Sa\u200brah"),          # zero-width space in a name
    ("I spoke to Sar\u200dah about it.", "Sar\u200dah"),          # zero-width joiner
    ("I spoke to S\u0430rah about it.", "S\u0430rah"),            # Cyrillic а
    ("I spoke to Ｓａｒａｈ about it.", "Ｓａｒａｈ"),                  # full-width letters
])
def test_unicode_tricks_do_not_hide_names(text, span):
    assert ("PERSON", span) in entities(text)


def test_allowed_names_are_not_reported():
    det = Detector(Settings(allowed_names=frozenset({"jean"})))
    assert [h.entity for h in det.scan("Jean said it was fine, and Sarah agreed.")] == ["PERSON"]


def test_ages_of_ninety_and_over_need_a_signoff():
    hits = [h for h in DET.scan("My nan was 93 years old.") if h.entity == "AGE"]
    assert hits[0].action == "signoff" and hits[0].rule == "R9"
    hits = [h for h in DET.scan("My nan was 63 years old.") if h.entity == "AGE"]
    assert hits[0].action == "warn"


def test_cache_returns_the_same_result_and_is_keyed_by_content():
    det = Detector()
    first = det.scan("Ring 07700 900123 now.")
    assert det.scan("Ring 07700 900123 now.") is first
    assert det.scan("Ring 07700 900124 now.") is not first


# --- properties -----------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
SPACES = [" ", "\u00a0", "\u202f", "\u2009", "\u2007"]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 999), st.lists(st.sampled_from(INVISIBLE + [""] * 6), min_size=11, max_size=11),
       st.sampled_from(SPACES), st.booleans())
def test_phone_survives_any_invisible_characters(n, gaps, space, fullwidth):
    digits = f"07700900{n:03d}"
    if fullwidth:
        digits = "".join(chr(ord(c) - ord("0") + 0xFF10) for c in digits)
    written = ""
    for i, d in enumerate(digits):
        written += d + gaps[i]
        if i == 4:
            written += space
    text = f"Ring me on {written} tonight."
    hits = [h for h in DET.scan(text) if h.entity == "PHONE"]
    assert hits, repr(text)
    assert "".join(c for c in fold(hits[0].span).text if c.isdigit()) == f"07700900{n:03d}"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc 0123.-") + INVISIBLE + SPACES + ["ﬁ", "１", "е", "–"]),
               max_size=40))
def test_folded_spans_map_back_inside_the_original(text):
    folded = fold(text)
    assert list(folded.index) == sorted(folded.index)
    for i in range(len(folded.text)):
        for j in range(i + 1, min(len(folded.text), i + 6) + 1):
            a, b = folded.span(i, j)
            assert 0 <= a < b <= len(text)
            # The original span folds to (at least) the folded slice: nothing is lost.
            assert folded.text[i:j] in fold(text[a:b]).text


def test_detectors_never_touch_the_network():
    """Presidio's email recognizer and tldextract try to download on first use; ours must not.
    A fresh interpreter with sockets disabled runs every detector and the domain helper."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent('''
        import socket
        def refuse(*a, **k):
            raise RuntimeError("network access attempted")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from storygen.privacy.detect import Detector
        from storygen.privacy.engine import registered_domain
        hits = Detector().scan("Email jo@example.com, see https://www.example.co.uk/x, ring 07700 900123, Sarah.")
        assert {h.entity for h in hits} >= {"EMAIL", "URL", "PHONE", "PERSON"}, hits
        assert registered_domain("https://www.example.co.uk/x") == "example.co.uk"
        print("offline ok")
    ''')
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "offline ok" in run.stdout


@pytest.mark.parametrize("text", [
    "The Housing Team said they'd look into it.",
    "Social Services called twice.",
    "The Community Mental Health Team came out.",
])
def test_generic_teams_are_not_named_organisations(text):
    assert [h.entity for h in DET.scan(text) if h.entity == "ORG"] == []
