"""Incremental compose: after an edit, only the stories that can see it are composed again,
in `storygen serve` (the kept build context) and in `storygen build` (the traces on disk),
and the result is the same as a cold build's, down to the byte."""
import filecmp
import os
from pathlib import Path

import pytest

from projectkit import STORY, edit, sentence, write_project
from storygen.build import BuildOptions, build, publishable
from storygen.compose import assemble
from storygen.compose.assemble import compose_all
from storygen.context import BuildContext
from storygen.project import load_project

NAMED_ONLY = STORY.replace('{{ excerpts(codes=["working-together"], role="staff", count=2) }}\n', "")

LENIENT = """
[rules]
min_sources = 2
max_source_share = 1.0
min_theme_sources = 1
max_bridge_share = 0.9
"""
CODES = [["turning-off-targets/time-to-listen"], ["working-together/shared-records"], ["turning-off-targets"],
         ["working-together"], ["turning-off-targets/time-to-listen", "working-together"], ["working-together"]]


def query_story(title: str, calls: list[str]) -> str:
    body = "\n\n".join(["## Part", f"{title} begins."] + ["{{ " + c + " }}" for c in calls])
    return STORY.replace("title: Time to listen", f"title: {title}").replace(
        "media: [site, video]", "media: [site]").split("---\n## Before")[0] + "---\n" + body + "\n"


STORIES = {
    "a-first": ['excerpts(codes=["working-together"], role="staff", count=3)',
                'excerpts(codes=["turning-off-targets"], role="staff", count=2)'],
    "b-second": ['excerpt("S02-05")', 'excerpts(codes=["working-together"], role="staff", count=3)'],
    "c-third": ['excerpts(codes=["turning-off-targets/time-to-listen"], count=2)',
                'excerpts(codes=["working-together"], role="community", sector="health", count=2)'],
    "d-fourth": ['excerpts(codes=["working-together"], role="staff", count=3)',
                 'excerpts(codes=["turning-off-targets"], featured=false, count=2)'],
}


def query_project(root: Path) -> Path:
    """Four stories whose queries overlap, so an edit can move excerpts between them."""
    write_project(root, privacy=False)
    with (root / "storygen.toml").open("a") as config:
        config.write(LENIENT)
    (root / "narratives" / "stories" / "time-to-listen.md").unlink()
    for n, source in enumerate(("S01", "S02", "S03", "S04", "S05", "S06", "S07")):
        lines = [f"source: {source}", "excerpts:"]
        for k, codes in enumerate(CODES, 1):
            lines += [f"  - id: {source}-{k:02d}", f"    codes: [{', '.join(codes)}]"]
            if (n + k) % 5 == 0:
                lines.append("    featured: yes")
            lines += ["    text: |", f"      {sentence(k * 3 + n * 7)}"]
        (root / "narratives" / "excerpts" / f"{source}.yaml").write_text("\n".join(lines) + "\n")
    for slug, calls in STORIES.items():
        (root / "narratives" / "stories" / f"{slug}.md").write_text(query_story(slug, calls))
    return root


def _compose(root, context):
    project = load_project(root, yaml_trees=context.yaml_trees)
    return compose_all(project, publishable(project, drafts=True), context=context)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(folder))
    return folder


def test_a_story_naming_its_excerpts_is_reused_until_one_of_them_changes(tmp_path, cache):
    root = write_project(tmp_path / "p", story=NAMED_ONLY)
    context = BuildContext()      # `storygen serve` keeps one between rebuilds
    [first] = _compose(root, context)
    [again] = _compose(root, context)
    assert again is first                                     # nothing changed: the same composite
    path = root / "narratives" / "excerpts" / "S02.yaml"
    old = first.excerpt_segments[1].text.split("\n")[0]
    edit(path, old, old + " Zanzibarish")
    [after] = _compose(root, context)
    assert after is not first and "Zanzibarish" in after.excerpt_segments[1].text
    assert after.excerpt_segments[1].text_hash != first.excerpt_segments[1].text_hash
    # A change to the story itself, or to the codebook, composes it again too.
    edit(root / "narratives" / "stories" / "time-to-listen.md", "for years.", "for many years.")
    [story_edit] = _compose(root, context)
    assert story_edit is not after and "for many years." in story_edit.segments[1].text
    codebook = root / "narratives" / "codebook.yaml"
    codebook.write_text(codebook.read_text() + "\nextra-theme:\n  name: Extra\n")
    [code_edit] = _compose(root, context)
    assert code_edit is not story_edit and code_edit == story_edit


def test_a_story_with_a_query_is_reused_while_its_answers_hold(tmp_path, cache):
    root = write_project(tmp_path / "p")
    context = BuildContext()
    [first] = _compose(root, context)
    [again] = _compose(root, context)
    assert again is first


def test_without_a_context_nothing_is_remembered(tmp_path, cache):
    """Reports and imports compose without a context: nothing is reused or written."""
    root = write_project(tmp_path / "p", story=NAMED_ONLY)
    first, again = (compose_all(p, publishable(p, drafts=True)) for p in (load_project(root), load_project(root)))
    assert again[0] is not first[0] and again == first
    assert not (cache / "compose").exists()


def _edits(root: Path):
    """Edits a team makes, each followed by a check; some move excerpts between stories."""
    excerpts, stories = root / "narratives" / "excerpts", root / "narratives" / "stories"
    yield "text of an excerpt b-second took", lambda: edit(excerpts / "S02.yaml", "  - id: S02-04\n", "  - id: S02-04\n")
    yield "text of a picked excerpt", lambda: _append_text(excerpts / "S01.yaml", "S01-04", "Zanzibarish")
    yield "an unused excerpt now matches a-first's query", lambda: edit(
        excerpts / "S04.yaml", "  - id: S04-01\n    codes: [turning-off-targets/time-to-listen]",
        "  - id: S04-01\n    codes: [working-together]\n    featured: yes")
    yield "a picked excerpt flagged singular", lambda: edit(
        excerpts / "S01.yaml", "  - id: S01-03\n", "  - id: S01-03\n    singular: yes\n")
    yield "a source withdrawn", lambda: edit(root / "narratives" / "sources.yaml",
                                             "S06: {role: community, sector: health,",
                                             "S06: {withdrawn: yes, role: community, sector: health,")
    yield "a story names an excerpt another story's query took", lambda: edit(
        stories / "a-first.md", "a-first begins.", 'a-first begins.\n\n{{ excerpt("S01-06") }}')
    yield "a story's query changed", lambda: edit(stories / "c-third.md", "count=2) }}\n\n", "count=1) }}\n\n")
    yield "a story deleted", lambda: (stories / "b-second.md").unlink()
    yield "a story added", lambda: (stories / "e-fifth.md").write_text(
        query_story("e-fifth", ['excerpts(codes=["working-together"], count=4)']))


def _append_text(path: Path, excerpt_id: str, word: str) -> None:
    text = path.read_text()
    at = text.index(f"  - id: {excerpt_id}\n")
    at = text.index("    text: |\n", at) + len("    text: |\n")
    end = text.index("\n", at)
    path.write_text(text[:end] + f" {word}" + text[end:])


def test_after_each_edit_an_incremental_compose_equals_a_cold_one(tmp_path, cache, monkeypatch):
    root = query_project(tmp_path / "p")
    serve = BuildContext()
    composed = []
    real = assemble.compose
    monkeypatch.setattr(assemble, "compose", lambda project, story, **kw: composed.append(story.slug)
                        or real(project, story, **kw))
    before = {c.story.slug: c for c in _compose(root, serve)}
    assert sorted(composed) == sorted(STORIES)
    for what, change in _edits(root):
        change()
        composed.clear()
        after = _compose(root, serve)                          # storygen serve: the kept context
        recomposed = set(composed)
        from_disk = _compose(root, BuildContext())             # storygen build: the traces on disk
        cold = compose_all(*(lambda p: (p, publishable(p, drafts=True)))(load_project(root)))
        assert after == cold, what
        assert from_disk == cold, what
        now = {c.story.slug: c for c in after}
        changed = {slug for slug, c in now.items() if before.get(slug) != c}
        # Only stories whose composite changed are composed again: the rest are reused as they were.
        assert recomposed == changed, (what, recomposed, changed)
        assert all(now[slug] is before[slug] for slug in now if slug not in recomposed), what
        before = now


def test_a_text_edit_recomposes_only_the_story_that_used_the_excerpt(tmp_path, cache, monkeypatch):
    root = query_project(tmp_path / "p")
    [a] = [c for c in _compose(root, BuildContext()) if c.story.slug == "a-first"]
    composed = []
    real = assemble.compose
    monkeypatch.setattr(assemble, "compose", lambda project, story, **kw: composed.append(story.slug)
                        or real(project, story, **kw))
    used = a.excerpt_segments[0].excerpt_id
    _append_text(root / "narratives" / "excerpts" / f"{used.split('-')[0]}.yaml", used, "Zanzibarish")
    after = _compose(root, BuildContext())                     # a fresh process: from the disk copy
    assert composed == ["a-first"]
    assert "Zanzibarish" in next(c for c in after if c.story.slug == "a-first").excerpt_segments[0].text


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "build-stamp.json"}


@pytest.mark.parametrize("edit_kind", ["text", "codes"])
def test_an_incremental_build_is_byte_identical_to_a_cold_build(tmp_path, monkeypatch, edit_kind):
    root = query_project(tmp_path / "p")
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / "warm"))
    options = BuildOptions(only="site")
    build(root, options)
    if edit_kind == "text":
        _append_text(root / "narratives" / "excerpts" / "S01.yaml", "S01-02", "Zanzibarish")
    else:       # moves excerpts between stories: a-first's query now finds S04-01 first
        edit(root / "narratives" / "excerpts" / "S04.yaml", "  - id: S04-01\n    codes: [turning-off-targets/time-to-listen]",
             "  - id: S04-01\n    codes: [working-together]\n    featured: yes")
    composed = []
    real = assemble.compose
    monkeypatch.setattr(assemble, "compose", lambda project, story, **kw: composed.append(story.slug)
                        or real(project, story, **kw))
    build(root, options)
    assert 0 < len(composed) < len(STORIES)                    # it was incremental
    incremental = _tree(root / "build")
    assert any(b"Zanzibarish" in data for data in incremental.values()) or edit_kind != "text"
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / "cold"))
    composed.clear()
    build(root, options)
    assert sorted(composed) == sorted(STORIES)                 # it was cold
    cold = _tree(root / "build")
    assert incremental.keys() == cold.keys()
    different = [name for name in cold if cold[name] != incremental[name]]
    assert not different


def test_a_damaged_trace_file_only_costs_a_full_compose(tmp_path, cache):
    root = query_project(tmp_path / "p")
    first = _compose(root, BuildContext())
    [traces] = (cache / "compose").glob("traces-*.pickle")
    traces.write_bytes(traces.read_bytes()[:100])
    assert _compose(root, BuildContext()) == first
    traces.write_bytes(b"not a pickle at all")
    assert _compose(root, BuildContext()) == first


def test_traces_left_by_other_code_are_removed(tmp_path, cache):
    root = query_project(tmp_path / "p")
    _compose(root, BuildContext())
    [current] = (cache / "compose").glob("traces-*.pickle")
    project_key = current.name.split("-")[1]
    old = current.with_name(f"traces-{project_key}-0123456789abcdef.pickle")
    other_project = current.with_name("traces-fedcba9876543210-0123456789abcdef.pickle")
    for path in (old, other_project):
        path.write_bytes(current.read_bytes())
    edit(root / "narratives" / "stories" / "a-first.md", "a-first begins.", "a-first starts.")
    _compose(root, BuildContext())
    assert sorted(p.name for p in (cache / "compose").iterdir()) == sorted([current.name, other_project.name])
