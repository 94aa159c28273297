"""Build small, real story projects on disk for tests.

`write_project(root)` writes a valid project: 4 staff and 3 community sources,
excerpts on two themes, and one approved story that passes every rule. Tests
then break one thing and check the error.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

CONFIG = """\
[site]
title = "Test stories"
base_url = "https://example.org/stories/"
"""

CODEBOOK = """\
turning-off-targets:
  name: Turning off targets
  description: What changed when the numbers stopped driving the work.
  colour: "#8a3b12"
  codes:
    time-to-listen:
      name: Time to listen
working-together:
  name: Working together
  colour: "#1f6f8b"
  codes:
    shared-records:
      name: Shared records
"""

SOURCES = """\
S01: {role: staff, sector: council, consent: {composite: yes, web: yes, video: yes}}
S02: {role: staff, sector: health, consent: {composite: yes, web: yes, video: yes}}
S03: {role: staff, sector: housing, consent: {composite: yes, web: yes, video: yes}}
S04: {role: staff, sector: council, consent: {composite: yes, web: yes, video: no}}
S05: {role: community, sector: council, consent: {composite: yes, web: yes, video: yes}}
S06: {role: community, sector: health, consent: {composite: yes, web: yes, video: yes}}
S07: {role: community, sector: housing, consent: {composite: yes, web: yes, video: yes}, withdrawn: yes}
"""

WORDS = ("we stopped counting how fast we closed things and started asking whether the person "
         "would need to come back and that changed the whole feel of the day for everyone").split()


def sentence(seed: int, n: int = 24) -> str:
    return " ".join(WORDS[(seed + i) % len(WORDS)] for i in range(n)).capitalize() + "."


def excerpts_file(source: str, codes_per_excerpt: list[list[str]], start: int = 1) -> str:
    lines = [f"source: {source}", "excerpts:"]
    for offset, codes in enumerate(codes_per_excerpt):
        number = start + offset
        lines += [f"  - id: {source}-{number:02d}", f"    codes: [{', '.join(codes)}]", "    text: |",
                  f"      {sentence(number * 3 + int(source[1:]) * 7)}", f"      {sentence(number * 5)}"]
    return "\n".join(lines) + "\n"


STORY = """\
---
title: Time to listen
summary: What changed when the targets went.
persona:
  name: Robin
  role: support worker
  setting: a council in the north of England
voice: first
themes: [turning-off-targets, working-together]
status: approved
reviewer: Comms review panel
reviewed_on: 2026-11-02
media: [site, video]
---
## Before

Robin has worked on the front desk for years.

{{ excerpt("S01-01") }}

{{ excerpt("S02-01") }}

## After

{{ excerpt("S03-01") }}

{{ excerpts(codes=["working-together"], role="staff", count=2) }}
"""


def write_project(root: Path, story: str = STORY, privacy: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "storygen.toml").write_text(CONFIG + ("" if privacy else "\n[privacy]\nenabled = false\n"))
    narratives = root / "narratives"
    (narratives / "excerpts").mkdir(parents=True, exist_ok=True)
    (narratives / "stories").mkdir(parents=True, exist_ok=True)
    (root / "assets").mkdir(exist_ok=True)
    (narratives / "codebook.yaml").write_text(CODEBOOK)
    (narratives / "sources.yaml").write_text(SOURCES)
    both = ["turning-off-targets/time-to-listen", "working-together/shared-records"]
    for source in ("S01", "S02", "S03", "S04", "S05", "S06", "S07"):
        (narratives / "excerpts" / f"{source}.yaml").write_text(
            excerpts_file(source, [both, ["working-together"], ["turning-off-targets"]]))
    (narratives / "stories" / "time-to-listen.md").write_text(story)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
