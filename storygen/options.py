"""The options of a build, declared once.

The command line fills a `BuildOptions`, `build()` reads it, and the up-to-date
fingerprint (storygen/uptodate.py) hashes every field of it: an option added
here can never be forgotten by the check that decides "already up to date".
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class BuildOptions:
    """What `storygen build` was asked for (see `storygen build --help`)."""

    only: str | None = None                 # one output (storygen/outputs.py), or all of them
    slugs: tuple[str, ...] = ()             # only these stories (rules spanning stories still see all)
    drafts: bool = False                    # publish drafts too, marked DRAFT
    out: Path | None = None                 # output folder; None: the project's build.output
    formats: tuple[str, ...] = ()           # video formats, overriding the stories' own
    quality: str | None = None              # video quality: final | draft; None: video.quality
    burn_captions: bool | None = None       # None: video.burn_captions
    jobs: int = 1                           # videos rendered at once
    with_provenance: bool = False           # also the private review pack (build/private/review/)

    def fingerprint_data(self) -> dict:
        """Every field, as JSON-ready values (for the up-to-date fingerprint)."""
        data = {}
        for f in fields(self):
            value = getattr(self, f.name)
            data[f.name] = str(value) if isinstance(value, Path) else \
                list(value) if isinstance(value, tuple) else value
        return data
