"""Queries answered through indexes, and excerpts shared out among stories without rescans.

`select.query` is the definition of what a query returns: it tests every excerpt
in the project. That is clear but costs stories × excerpts per build (10,000
excerpts and 1,800 queries are 18 M tests). `SelectionIndex` answers the same
queries from sets built once per build:

- every excerpt gets a *rank*, its place in the order queries return excerpts in
  (featured first, then by id, `select.natural_key`), so a query's answer is its
  matching ranks in increasing order;
- a set of ranks per code, holding the excerpts coded with it *or any of its
  sub-codes* (what `Code.within` tests), per role, per sector, for featured, and
  per medium for the excerpts eligible to appear in it (C9, C12).

A query intersects the sets it names, once per distinct query; `Allocation` then
shares excerpts out among stories (C10) with a cursor per distinct query that only
moves forward past excerpts earlier stories took, so the whole build costs about
the excerpts the queries can see, not excerpts × calls. tests/test_selection.py
holds both to `select.query` on random projects.
"""
from __future__ import annotations

from collections import Counter

from ..model import MEDIA, Excerpt, Project, Story
from .select import eligible, matches, natural_key


def _code_and_ancestors(code_id: str):
    """`a/b/c` → `a/b/c`, `a/b`, `a`: the codes a query may name to reach an excerpt coded `a/b/c`."""
    parts = code_id.split("/")
    return ("/".join(parts[:n]) for n in range(len(parts), 0, -1))


class SelectionIndex:
    """The project's excerpts, indexed for queries. Built once per build, read-only after."""

    def __init__(self, project: Project):
        self.project = project
        ordered = sorted(project.excerpts.values(), key=lambda e: (not e.featured, natural_key(e.id)))
        self.excerpts: list[Excerpt] = ordered               # by rank
        self.rank: dict[str, int] = {e.id: r for r, e in enumerate(ordered)}
        self.by_code: dict[str, set[int]] = {}
        self.by_role: dict[str, set[int]] = {}
        self.by_sector: dict[str, set[int]] = {}
        self.by_featured: dict[bool, set[int]] = {True: set(), False: set()}
        self.by_medium: dict[str, set[int]] = {}
        self.plural: set[int] = set()                      # not flagged singular (C9)
        media = set(MEDIA).union(*(story.media for story in project.stories))
        for r, excerpt in enumerate(ordered):
            source = project.sources[excerpt.source_id]
            for code in excerpt.codes:
                for reach in _code_and_ancestors(code):
                    self.by_code.setdefault(reach, set()).add(r)
            self.by_role.setdefault(source.role, set()).add(r)
            self.by_sector.setdefault(source.sector, set()).add(r)
            self.by_featured[excerpt.featured].add(r)
            if not excerpt.singular:
                self.plural.add(r)
                for medium in media:
                    if source.usable_for(medium):
                        self.by_medium.setdefault(medium, set()).add(r)
        self._answers: dict[tuple, list[int]] = {}

    def ranks(self, media: tuple[str, ...], codes: tuple[str, ...], role: str | None,
              sector: str | None, featured: bool | None) -> list[int]:
        """Ranks of every excerpt matching the query and eligible for `media`, in query order.

        Remembered per distinct query, so a query that many stories repeat is answered once."""
        key = (media, codes, role, sector, featured)
        found = self._answers.get(key)
        if found is None:
            found = sorted(self._match(*key))
            self._answers[key] = found
        return found

    def _match(self, media, codes, role, sector, featured) -> set[int]:
        empty: set[int] = set()
        wanted = [self.plural]
        if codes:
            wanted.append(set().union(*(self.by_code.get(c, empty) for c in codes)))
        if role is not None:
            wanted.append(self.by_role.get(role, empty))
        if sector is not None:
            wanted.append(self.by_sector.get(sector, empty))
        if featured is not None:
            wanted.append(self.by_featured[featured])
        wanted += [self.by_medium.get(m, empty) for m in media]
        wanted.sort(key=len)                         # intersect from the smallest set
        return wanted[0].intersection(*wanted[1:])

    def query(self, story: Story, *, codes: tuple[str, ...] = (), role: str | None = None,
              sector: str | None = None, featured: bool | None = None, count: int | None = None,
              skip=frozenset()) -> list[Excerpt]:
        """What `select.query` returns for the same arguments, through the index."""
        found = []
        for r in self.ranks(story.media, tuple(codes), role, sector, featured):
            excerpt = self.excerpts[r]
            if excerpt.id in skip:
                continue
            if count is not None and len(found) >= count:
                break
            found.append(excerpt)
        return found


class Allocation:
    """Shares excerpts out among the stories of one build, so that queries never reuse one (C10).

    A story's query never returns an excerpt that an earlier story took (`commit`), that
    another story names with excerpt("…"), or that this story already used. Excerpts named
    explicitly are kept out of the indexed answers altogether and offered only to the one
    story that names them (an excerpt two stories name is offered to neither), so the only
    excerpts a query steps over are ones earlier stories took, and a cursor per distinct
    query steps over each of those once per build. Everything else a call looks at is the
    story's own: the `count` it asked for and the excerpts it used already.
    """

    def __init__(self, index: SelectionIndex, named: dict[str, set[str]]):
        self.index = index
        self.named = Counter(i for ids in named.values() for i in ids)
        self.own = {slug: {i for i in ids if self.named[i] == 1 and i in index.rank} for slug, ids in named.items()}
        self.taken: set[str] = set()
        self._answers: dict[tuple, list[int]] = {}
        self._cursor: dict[tuple, int] = {}

    def commit(self, excerpt_ids) -> None:
        """A story is composed: the excerpts it used are no longer offered to later stories."""
        self.taken.update(excerpt_ids)

    def query(self, story: Story, *, codes: tuple[str, ...] = (), role: str | None = None,
              sector: str | None = None, featured: bool | None = None, count: int | None = None,
              used=frozenset()) -> list[Excerpt]:
        """The story's query answered as `select.query` would with every claimed excerpt skipped.

        Leaves the allocation as it was apart from cursors (a cursor only passes excerpts
        that are taken for good), so a caller may replay a query to see whether its answer
        changed."""
        key = (story.media, tuple(codes), role, sector, featured)
        answer = self._answers.get(key)
        if answer is None:
            named = self.named
            ranks = self.index.ranks(*key)
            answer = self._answers[key] = [r for r in ranks if self.index.excerpts[r].id not in named]
        excerpts, taken = self.index.excerpts, self.taken
        start = self._cursor.get(key, 0)
        while start < len(answer) and excerpts[answer[start]].id in taken:
            start += 1
        self._cursor[key] = start
        own = self._own_matches(story, codes, role, sector, featured, used)
        limit = len(answer) + len(own) if count is None else count
        found: list[Excerpt] = []
        position, mine = start, 0
        while len(found) < limit:
            # Merge the indexed answer with the story's own named excerpts, both in rank order.
            next_rank = answer[position] if position < len(answer) else None
            own_rank = own[mine] if mine < len(own) else None
            if next_rank is None and own_rank is None:
                break
            if next_rank is None or (own_rank is not None and own_rank < next_rank):
                found.append(excerpts[own_rank])
                mine += 1
                continue
            position += 1
            item = excerpts[next_rank]
            if item.id in taken or item.id in used:
                continue
            found.append(item)
        return found

    def _own_matches(self, story, codes, role, sector, featured, used) -> list[int]:
        """Ranks of the excerpts only this story names that its query may also return."""
        mine = self.own.get(story.slug)
        if not mine:
            return []
        project = self.index.project
        return sorted(self.index.rank[i] for i in mine
                      if i not in self.taken and i not in used
                      and eligible(project, project.excerpts[i], story.media)
                      and matches(project, project.excerpts[i], tuple(codes), role, sector, featured))
