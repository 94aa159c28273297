"""The excerpt library: every excerpt as a row the studio can filter, search and sort.

Rows are built once per load (workspace.py) so that filtering 10,000 excerpts is a
pass over plain tuples, not over the model: the issue asks for under 200 ms.
Only pseudonymous ids are shown (source S01, role, sector); the studio never shows a
real name, because the project files never hold one outside narratives/private/.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Composite, Finding, Project

SORTS = {"id": "excerpt id", "source": "source", "words": "longest first", "quoted": "least quoted first"}
PAGE = 100          # rows shown at once: a page of 10,000 excerpts is too long to use


@dataclass(frozen=True)
class Row:
    id: str
    source: str
    role: str
    sector: str
    text: str
    memo: str
    codes: tuple[str, ...]
    words: int
    featured: bool
    singular: bool
    withdrawn: bool
    usable: tuple[str, ...]          # media this excerpt may be published in (consent, not withdrawn)
    quoted_by: tuple[str, ...]       # story slugs whose composite quotes it
    findings: tuple[Finding, ...]
    folded: str                      # lower-cased id, text and memo: what full-text search reads


@dataclass
class Query:
    """What the library form asks for; every field optional."""

    q: str = ""
    theme: str = ""
    role: str = ""
    sector: str = ""
    source: str = ""
    usable: str = ""                 # "site", "video", "report" or ""
    featured: bool = False
    flagged: bool = False            # has privacy findings
    sort: str = "id"
    page: int = 1

    @classmethod
    def from_params(cls, params) -> "Query":
        def flag(name):
            return params.get(name, "") in ("1", "on", "yes")
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            page = 1
        sort = params.get("sort", "id")
        return cls(q=params.get("q", "").strip()[:200], theme=params.get("theme", ""), role=params.get("role", ""),
                   sector=params.get("sector", ""), source=params.get("source", ""),
                   usable=params.get("usable", ""), featured=flag("featured"), flagged=flag("flagged"),
                   sort=sort if sort in SORTS else "id", page=page)


@dataclass
class Result:
    rows: list[Row]
    total: int                       # matches before paging
    page: int
    pages: int


@dataclass
class Library:
    project: Project
    composites: dict[str, Composite]
    excerpt_findings: dict[str, list[Finding]]
    rows: list[Row] = field(init=False)
    by_id: dict[str, Row] = field(init=False)

    def __post_init__(self):
        quoted: dict[str, list[str]] = {}
        for slug, composite in sorted(self.composites.items()):
            for segment in composite.excerpt_segments:
                quoted.setdefault(segment.excerpt_id, [])
                if slug not in quoted[segment.excerpt_id]:
                    quoted[segment.excerpt_id].append(slug)
        rows = []
        for excerpt in self.project.excerpts.values():
            source = self.project.sources[excerpt.source_id]
            usable = () if excerpt.singular else tuple(m for m in ("site", "video", "report") if source.usable_for(m))
            rows.append(Row(
                id=excerpt.id, source=source.id, role=source.role, sector=source.sector, text=excerpt.text,
                memo=excerpt.memo, codes=excerpt.codes, words=excerpt.words, featured=excerpt.featured,
                singular=excerpt.singular, withdrawn=source.withdrawn, usable=usable,
                quoted_by=tuple(quoted.get(excerpt.id, ())), findings=tuple(self.excerpt_findings.get(excerpt.id, ())),
                folded=f"{excerpt.id}\n{excerpt.text}\n{excerpt.memo}".casefold()))
        self.rows = sorted(rows, key=lambda r: r.id)
        self.by_id = {r.id: r for r in self.rows}

    def choices(self) -> dict[str, list[str]]:
        """The values each filter offers, from the project itself."""
        return {"role": sorted({r.role for r in self.rows}), "sector": sorted({r.sector for r in self.rows}),
                "source": sorted(self.project.sources)}

    def search(self, query: Query) -> Result:
        rows = self.rows
        if query.theme:
            prefix = query.theme + "/"
            rows = [r for r in rows if any(c == query.theme or c.startswith(prefix) for c in r.codes)]
        if query.role:
            rows = [r for r in rows if r.role == query.role]
        if query.sector:
            rows = [r for r in rows if r.sector == query.sector]
        if query.source:
            rows = [r for r in rows if r.source == query.source]
        if query.usable:
            rows = [r for r in rows if query.usable in r.usable]
        if query.featured:
            rows = [r for r in rows if r.featured]
        if query.flagged:
            rows = [r for r in rows if r.findings]
        if query.q:
            words = query.q.casefold().split()
            rows = [r for r in rows if all(w in r.folded for w in words)]
        if query.sort == "source":
            rows = sorted(rows, key=lambda r: (r.source, r.id))
        elif query.sort == "words":
            rows = sorted(rows, key=lambda r: (-r.words, r.id))
        elif query.sort == "quoted":
            rows = sorted(rows, key=lambda r: (len(r.quoted_by), r.id))
        pages = max(1, -(-len(rows) // PAGE))
        page = min(query.page, pages)
        return Result(rows[(page - 1) * PAGE: page * PAGE], len(rows), page, pages)
