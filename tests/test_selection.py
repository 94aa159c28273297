"""The indexed selection returns exactly what the linear definition (`select.query`) returns.

Random projects (nested codes, roles, sectors, consent per medium, withdrawn sources,
singular and featured excerpts, ids that sort number by number) are queried both ways;
then whole builds' worth of stories share excerpts out through `Allocation` and through
the rule as it was written before the index (a linear scan per call, skipping what is
used, taken or named elsewhere), and must pick the same excerpts in the same order.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from hypothesis import given, settings, strategies as st

from storygen.compose.index import Allocation, SelectionIndex
from storygen.compose.select import query as linear_query
from storygen.model import Code, Consent, Excerpt, Persona, Project, Source, Story

EXAMPLES = int(os.environ.get("FUZZ", 200))
CODES = ["a", "a/x", "a/y", "a/x/deep", "b", "b/x", "ab", "c"]     # `ab` is not within `a`
ROLES = ["staff", "community"]
SECTORS = ["council", "health"]
MEDIA_CHOICES = [("site",), ("video",), ("site", "video"), ()]


@st.composite
def projects(draw, max_excerpts=40):
    n_sources = draw(st.integers(1, 6))
    sources = {}
    for i in range(1, n_sources + 1):
        sid = f"S{i}"
        sources[sid] = Source(
            id=sid, role=draw(st.sampled_from(ROLES)), sector=draw(st.sampled_from(SECTORS)),
            consent=Consent(composite=draw(st.booleans() | st.just(True)), web=draw(st.booleans() | st.just(True)),
                            video=draw(st.booleans())),
            withdrawn=draw(st.integers(0, 4)) == 0)
    excerpts = {}
    for n in range(draw(st.integers(0, max_excerpts))):
        sid = draw(st.sampled_from(sorted(sources)))
        eid = f"{sid}-{draw(st.integers(1, 12))}" + draw(st.sampled_from(["", "", "b"]))
        if eid in excerpts:
            continue
        excerpts[eid] = Excerpt(id=eid, source_id=sid, text=f"words {n}",
                                codes=tuple(draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True))),
                                featured=draw(st.booleans()), singular=draw(st.integers(0, 5)) == 0)
    codes = {c: Code(id=c, name=c) for c in CODES}
    return Project(root=Path("."), config=None, codes=codes, sources=sources, excerpts=excerpts, stories=[])


def story(slug: str, media=("site",), status="approved") -> Story:
    return Story(slug=slug, title=slug, summary="", persona=Persona("Robin", "worker", "a town"), voice="first",
                 themes=(), status=status, media=media)


queries = st.fixed_dictionaries({
    "codes": st.lists(st.sampled_from(CODES + ["zz"]), max_size=3).map(tuple),
    "role": st.none() | st.sampled_from(ROLES + ["volunteer"]),
    "sector": st.none() | st.sampled_from(SECTORS),
    "featured": st.none() | st.booleans(),
    "count": st.none() | st.integers(0, 6),
})


@settings(max_examples=EXAMPLES, deadline=None)
@given(project=projects(), media=st.sampled_from(MEDIA_CHOICES), asks=st.lists(queries, min_size=1, max_size=6),
       data=st.data())
def test_the_index_answers_every_query_as_the_linear_scan_does(project, media, asks, data):
    index = SelectionIndex(project)
    reader = story("s", media)
    for ask in asks:
        skip = set(data.draw(st.lists(st.sampled_from(sorted(project.excerpts) or ["none"]), max_size=5)))
        expected = linear_query(project, reader, skip=skip, **ask)
        assert index.query(reader, skip=skip, **ask) == expected
        assert [e.id for e in expected] == [e.id for e in index.query(reader, skip=skip, **ask)]


@st.composite
def builds(draw):
    """A project and its stories, each a script of excerpt("ID") and excerpts(…) calls."""
    project = draw(projects(max_excerpts=60))
    ids = sorted(project.excerpts) or ["S1-1"]
    scripts = {}
    for k in range(draw(st.integers(1, 6))):
        calls = draw(st.lists(st.one_of(st.tuples(st.just("id"), st.sampled_from(ids)),
                                        st.tuples(st.just("query"), queries)), max_size=5))
        scripts[f"story-{k}"] = (story(f"story-{k}", draw(st.sampled_from(MEDIA_CHOICES)),
                                       draw(st.sampled_from(["approved", "draft"]))), calls)
    return project, scripts


def _linear_build(project, scripts):
    """The allocation as compose_all did it before the index: a linear scan per call."""
    named = {slug: {c[1] for c in calls if c[0] == "id"} for slug, (_, calls) in scripts.items()}
    counts = Counter(i for ids in named.values() for i in ids)
    taken, result = set(), {}
    for slug, (reader, calls) in _in_build_order(scripts):
        used, picked = set(), []
        own = named[slug]

        class Skip:
            def __contains__(self, i):
                return i in used or i in taken or counts[i] > (i in own)

        for kind, arg in calls:
            found = [project.excerpts[arg]] if kind == "id" else linear_query(project, reader, skip=Skip(), **arg)
            used.update(e.id for e in found)
            picked += [e.id for e in found]
        result[slug] = picked
        taken.update(picked)
    return result


def _indexed_build(project, scripts):
    named = {slug: {c[1] for c in calls if c[0] == "id"} for slug, (_, calls) in scripts.items()}
    allocation = Allocation(SelectionIndex(project), named)
    result = {}
    for slug, (reader, calls) in _in_build_order(scripts):
        used, picked = set(), []
        for kind, arg in calls:
            found = [project.excerpts[arg]] if kind == "id" else allocation.query(reader, used=used, **arg)
            used.update(e.id for e in found)
            picked += [e.id for e in found]
        result[slug] = picked
        allocation.commit(picked)
    return result


def _in_build_order(scripts):
    return sorted(scripts.items(), key=lambda item: (item[1][0].status != "approved", item[0]))


@settings(max_examples=EXAMPLES, deadline=None)
@given(build=builds())
def test_sharing_out_through_the_index_picks_what_the_linear_rule_picks(build):
    project, scripts = build
    scripts = {slug: (reader, [c for c in calls if c[0] == "query" or c[1] in project.excerpts])
               for slug, (reader, calls) in scripts.items()}
    assert _indexed_build(project, scripts) == _linear_build(project, scripts)


def test_a_sub_code_is_reached_through_each_ancestor_but_not_a_lookalike():
    project = Project(root=Path("."), config=None, codes={c: Code(id=c, name=c) for c in CODES},
                      sources={"S1": Source(id="S1", role="staff", sector="council",
                                            consent=Consent(True, True, True))},
                      excerpts={"S1-1": Excerpt("S1-1", "S1", "t", ("a/x/deep",)),
                                "S1-2": Excerpt("S1-2", "S1", "t", ("ab",))}, stories=[])
    index = SelectionIndex(project)
    reader = story("s")
    for code, expected in (("a", ["S1-1"]), ("a/x", ["S1-1"]), ("a/x/deep", ["S1-1"]), ("a/y", []),
                           ("ab", ["S1-2"])):
        assert [e.id for e in index.query(reader, codes=(code,))] == expected


def test_a_query_repeated_by_many_stories_steps_over_each_taken_excerpt_once():
    """The cursor: the thousandth story asking the same query does not rescan what earlier ones took."""
    sources = {"S1": Source(id="S1", role="staff", sector="council", consent=Consent(True, True, True))}
    excerpts = {f"S1-{n}": Excerpt(f"S1-{n}", "S1", "t", ("a",)) for n in range(1, 3001)}
    project = Project(root=Path("."), config=None, codes={"a": Code("a", "a")}, sources=sources,
                      excerpts=excerpts, stories=[])
    allocation = Allocation(SelectionIndex(project), {})
    looked = Counter()

    class Watched(set):
        def __contains__(self, item):
            looked[item] += 1
            return super().__contains__(item)

    allocation.taken = Watched()
    for k in range(1000):
        picked = allocation.query(story(f"s{k}"), codes=("a",), count=3)
        assert [e.id for e in picked] == [f"S1-{3 * k + n}" for n in (1, 2, 3)]
        allocation.commit(e.id for e in picked)
    assert max(looked.values()) <= 3


# --- incremental compose, on random projects and random edits -----------------------------

def _body(calls) -> str:
    parts = []
    for kind, arg in calls:
        if kind == "id":
            parts.append(f'{{{{ excerpt("{arg}") }}}}')
        else:
            args = [f"codes={list(arg['codes'])!r}".replace("'", '"')]
            args += [f'{key}="{arg[key]}"' for key in ("role", "sector") if arg[key] is not None]
            if arg["featured"] is not None:
                args.append(f"featured={str(arg['featured']).lower()}")
            if arg["count"] is not None:
                args.append(f"count={arg['count']}")
            parts.append("{{ excerpts(" + ", ".join(args) + ") }}")
    return "Bridge.\n\n" + "\n\n".join(parts) + "\n"


edits = st.lists(st.tuples(st.sampled_from(["text", "codes", "singular", "featured", "withdraw", "delete"]),
                           st.integers(0, 10_000), st.sampled_from(CODES)), min_size=1, max_size=4)


@settings(max_examples=max(EXAMPLES // 4, 10), deadline=None)
@given(build=builds(), changes=edits)
def test_an_incremental_compose_after_random_edits_equals_a_cold_one(tmp_path_factory, build, changes):
    """Compose, edit excerpts and sources at random, compose again through the kept context and
    through the traces on disk: both equal a cold compose of the edited project."""
    from dataclasses import replace

    from storygen.compose.assemble import compose_all
    from storygen.config import Config
    from storygen.context import BuildContext
    from storygen.model import Origin

    project, scripts = build
    root = tmp_path_factory.mktemp("p")
    os.environ["STORYGEN_CACHE_DIR"] = str(root / "cache")
    try:
        project.root, project.config = root, Config()
        project.codes = {**project.codes, "zz": Code(id="zz", name="zz")}
        project.stories = [replace(reader, body=_body([c for c in calls if c[0] == "query" or c[1] in project.excerpts]),
                                   origin=Origin(Path(f"narratives/stories/{slug}.md"), 1))
                           for slug, (reader, calls) in scripts.items()]
        serve = BuildContext()
        compose_all(project, project.stories, context=serve)
        ids = sorted(project.excerpts)
        for kind, n, code in changes:
            if not ids:
                break
            item = project.excerpts[ids[n % len(ids)]]
            if kind == "text":
                project.excerpts[item.id] = replace(item, text=item.text + " edited")
            elif kind == "codes":
                project.excerpts[item.id] = replace(item, codes=(code,))
            elif kind == "singular":
                project.excerpts[item.id] = replace(item, singular=not item.singular)
            elif kind == "featured":
                project.excerpts[item.id] = replace(item, featured=not item.featured)
            elif kind == "withdraw":
                source = project.sources[item.source_id]
                project.sources[item.source_id] = replace(source, withdrawn=not source.withdrawn)
            elif not any(f'"{item.id}"' in s.body for s in project.stories):
                del project.excerpts[item.id]
                ids.remove(item.id)
        cold = compose_all(project, project.stories)
        assert compose_all(project, project.stories, context=serve) == cold
        assert compose_all(project, project.stories, context=BuildContext()) == cold
    finally:
        del os.environ["STORYGEN_CACHE_DIR"]
