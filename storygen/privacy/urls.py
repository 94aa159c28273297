"""Which web-address-shaped strings in feedback are web addresses.

Presidio's URL recognizer matches any "word.word" whose ending is a top-level domain,
and nowadays almost every dictionary word is one. People writing feedback drop the
space after a full stop ("Doctors.How", "ambulance….best") far more often than they
write a bare domain, and file names ("index.html") look like domains too. The
detector keeps a URL match only when it has a scheme, "www.", a path or an "@", or
ends in one of the few top-level domains people do write bare ("nhs.uk", "mind.org").

`may_hold_an_address` is what every kept match needs, so that the recognizer (about a
millisecond a text) is only run on texts that could give one.
"""
from __future__ import annotations

import re

# Country-code TLDs that are also file extensions: "index.html" is not a Haitian web address.
FILE_EXTS = frozenset("htm html md py sh js css json xml txt pdf zip mov mp4 jpg jpeg png gif svg webp vtt srt "
                      "csv yaml yml toml rs pl ps ai".split())
# Top-level domains people actually write in feedback without "www." or "https://". A bare
# "word.word" with any other ending is a full stop without its space ("Doctors.How",
# "ambulance….best"), since every dictionary word is now some registry's TLD.
BARE_TLDS = frozenset("com net org uk io info biz me tv eu ie scot wales cymru london co gov nhs ac app dev".split())
# A bare ending as `missing_space` accepts it: in lower case, the match's last label, and
# (the detector drops a match that runs on into a word) not followed by a word character.
_BARE_ENDING = re.compile(r"\.(?:" + "|".join(sorted(BARE_TLDS)) + r")(?!\w)")


def _written_as_an_address(url: str) -> bool:
    """A scheme, "www." or a path: no sentence or file name is written so."""
    return "://" in url or url.lower().startswith("www.") or "/" in url


def missing_space(url: str) -> bool:
    """A "word.word" match that is a sentence without its space, not an address."""
    if _written_as_an_address(url) or "@" in url:
        return False
    tld = url.rstrip(".").rsplit(".", 1)[-1]
    return tld.lower() not in BARE_TLDS or not tld.islower() or "…" in url or ".." in url


def file_name_like(url: str) -> bool:
    if _written_as_an_address(url):
        return False
    return url.rsplit(".", 1)[-1].lower().rstrip(".") in FILE_EXTS


def may_hold_an_address(text: str) -> bool:
    """False when no URL match in `text` could pass `missing_space`: none holds "/", "@" or
    "www.", and no ".<bare ending>" stands at the end of a word. (A kept match lies inside
    the text, so what it holds the text holds.)"""
    return ("/" in text or "@" in text or "www." in text.lower()
            or _BARE_ENDING.search(text) is not None)
