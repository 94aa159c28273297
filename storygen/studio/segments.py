"""A story body as an ordered list of segments, and back, byte for byte.

The composer's segment view shows the body as the build reads it: paragraphs split at
blank lines (compose/assemble.py's BLOCK_BREAK, the same split the composite's segments
come from), a `## …` paragraph is a heading (assemble's HEADING), a paragraph that is one
`{{ excerpt("ID") }}` call is an excerpt, one `{{ excerpts(…) }}` call a query, one
`{# … #}` a note, anything else the team's bridge text. Only paragraphs move: the blank
lines between them stay where they are, so `join(split(body)) == body` exactly and a
reordered body differs from the original only in the order of its paragraphs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..compose.assemble import BLOCK_BREAK, HEADING

_PIECES = re.compile(f"({BLOCK_BREAK.pattern})")
_EXCERPT = re.compile(r"""\{\{-?\s*excerpt\(\s*["']([^"']+)["']\s*\)\s*-?\}\}""")
_QUERY = re.compile(r"\{\{-?\s*excerpts\(.*\)\s*-?\}\}", re.S)
_NOTE = re.compile(r"\{#.*#\}", re.S)
_LEADING = re.compile(r"\s*\n")
_TRAILING = re.compile(r"\s+\Z")
KINDS = {"heading": "Heading", "bridge": "Your words", "excerpt": "Excerpt", "query": "Excerpts by query",
         "note": "Note (not published)"}


@dataclass(frozen=True)
class Segment:
    kind: str            # heading, bridge, excerpt, query, note
    raw: str             # the paragraph exactly as in the body
    excerpt_id: str = ""

    @property
    def label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class Split:
    lead: str                       # blank lines before the first paragraph
    segments: tuple[Segment, ...]
    glue: tuple[str, ...]           # what stands between paragraph i and i+1 (blank lines)
    tail: str                       # what follows the last paragraph


def kind_of(raw: str) -> Segment:
    text = raw.strip()
    if "\n" not in text and HEADING.match(text):
        return Segment("heading", raw)
    found = _EXCERPT.fullmatch(text)
    if found:
        return Segment("excerpt", raw, found.group(1))
    if _QUERY.fullmatch(text):
        return Segment("query", raw)
    if _NOTE.fullmatch(text):
        return Segment("note", raw)
    return Segment("bridge", raw)


def split(body: str) -> Split:
    pieces = _PIECES.split(body)          # block, break, block, break, …, block
    filled = [i for i in range(0, len(pieces), 2) if pieces[i].strip()]
    if not filled:
        return Split(body, (), (), "")
    # A paragraph's own blank lines before it and spaces after it stay in place (in the glue),
    # so a moved paragraph is exactly its text and reads back as the same paragraph.
    cut = {}
    for i in filled:
        block = pieces[i]
        before = _LEADING.match(block)
        start = before.end() if before else 0
        after = _TRAILING.search(block, start)
        cut[i] = (block[:start], block[start:after.start() if after else len(block)],
                  after.group() if after else "")
    glue = tuple(cut[a][2] + "".join(pieces[a + 1:b]) + cut[b][0] for a, b in zip(filled, filled[1:]))
    return Split("".join(pieces[:filled[0]]) + cut[filled[0]][0], tuple(kind_of(cut[i][1]) for i in filled),
                 glue, cut[filled[-1]][2] + "".join(pieces[filled[-1] + 1:]))


def join(parts: Split, order: list[int] | None = None) -> str:
    """The body again; with `order` (a permutation of the segments' positions), reordered."""
    order = list(range(len(parts.segments))) if order is None else order
    if sorted(order) != list(range(len(parts.segments))):
        raise ValueError("order must name every segment once")
    out = [parts.lead]
    for n, i in enumerate(order):
        if n:
            out.append(parts.glue[n - 1])
        out.append(parts.segments[i].raw)
    out.append(parts.tail)
    return "".join(out)
