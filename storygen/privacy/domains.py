"""Offline domain handling (tldextract with its bundled suffix list only).

Kept apart from engine.py so that code needing only a registered domain does not
import Presidio (and with it spaCy, over a second of start-up).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Must happen before tldextract is imported anywhere (presidio imports it).
os.environ.setdefault("TLDEXTRACT_CACHE", str(Path(tempfile.gettempdir()) / "storygen-tldextract"))

import tldextract  # noqa: E402

# An extractor that only ever uses the snapshot bundled in the wheel.
OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registered_domain(host_or_url: str) -> str:
    """'www.example.org' -> 'example.org', offline."""
    parts = OFFLINE_TLD(host_or_url)
    return parts.top_domain_under_public_suffix if hasattr(parts, "top_domain_under_public_suffix") \
        else parts.registered_domain
