"""Regenerate the word lists the privacy guard ships (storygen/privacy/data/).

Run by a developer, never at build time (the guard must work offline):

    pip install faker            # MIT: its person providers hold real-world first names and surnames
    apt-get install wbritish     # SCOWL British English word list (permissive licence)
    python scripts/build_privacy_wordlists.py

Outputs are sorted and deterministic, so a re-run without upstream changes is a no-op diff.
"""
from __future__ import annotations

import gzip
import importlib
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "storygen" / "privacy" / "data"
DICTIONARY = Path("/usr/share/dict/british-english")

# Locales whose names people interviewed in the UK plausibly carry. Latin script only:
# the guard's name detector works on capitalised Latin tokens.
FIRST_LOCALES = ["en_GB", "en_US", "en_IE", "en_NZ", "en_IN", "en_PK", "en_NG", "yo_NG", "ig_NG",
                 "ha_NG", "pl_PL", "ro_RO", "it_IT", "pt_PT", "es_ES", "fr_FR", "lt_LT"]
SURNAME_LOCALES = ["en_GB", "en_US", "en_IE", "en_NZ", "en_IN", "en_PK", "en_NG", "yo_NG", "ig_NG",
                   "ha_NG", "ro_RO", "it_IT", "pt_PT", "es_ES", "fr_FR", "lt_LT"]
TOKEN = re.compile(r"^[^\W\d_]+(?:['’\-][^\W\d_]+)*$")


def _names(locale: str, attrs: tuple[str, ...]) -> set[str]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    found: set[str] = set()
    for attr in attrs:
        for name in getattr(provider, attr, ()) or ():
            for part in str(name).split():
                if len(part) >= 2 and TOKEN.match(part) and part[0].isupper():
                    found.add(part)
    return found


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    first: set[str] = set()
    for loc in FIRST_LOCALES:
        first |= _names(loc, ("first_names", "first_names_male", "first_names_female"))
    surnames: set[str] = set()
    for loc in SURNAME_LOCALES:
        surnames |= _names(loc, ("last_names",))
    words = sorted({w for w in DICTIONARY.read_text(encoding="utf-8").split()
                    if w.isalpha() and w.islower() and w.isascii()})
    (DATA / "first_names.txt").write_text("\n".join(sorted(first)) + "\n", encoding="utf-8")
    (DATA / "surnames.txt").write_text("\n".join(sorted(surnames - first)) + "\n", encoding="utf-8")
    with gzip.GzipFile(DATA / "english_words.txt.gz", "wb", mtime=0) as fh:
        fh.write(("\n".join(words) + "\n").encode("utf-8"))
    print(f"{len(first)} first names, {len(surnames - first)} surnames, {len(words)} words")


if __name__ == "__main__":
    main()
