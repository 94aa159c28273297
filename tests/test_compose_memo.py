"""In one process (`storygen serve`), a story is composed again only when something it
depends on changed; a story with an excerpts(…) query is always composed afresh."""
from projectkit import STORY, edit, write_project
from storygen.build import publishable
from storygen.compose.assemble import compose_all
from storygen.context import BuildContext
from storygen.project import load_project

NAMED_ONLY = STORY.replace('{{ excerpts(codes=["working-together"], role="staff", count=2) }}\n', "")


def _compose(root, context):
    project = load_project(root, yaml_trees=context.yaml_trees)
    return compose_all(project, publishable(project, drafts=True), context=context)


def test_a_story_naming_its_excerpts_is_reused_until_one_of_them_changes(tmp_path):
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


def test_a_story_with_a_query_is_always_composed_afresh(tmp_path):
    root = write_project(tmp_path / "p")
    context = BuildContext()
    [first] = _compose(root, context)
    [again] = _compose(root, context)
    assert again is not first and again == first


def test_without_a_context_nothing_is_remembered(tmp_path):
    """A build makes a fresh context: two builds in one process share no composite."""
    root = write_project(tmp_path / "p", story=NAMED_ONLY)
    first, again = (compose_all(p, publishable(p, drafts=True)) for p in (load_project(root), load_project(root)))
    assert again[0] is not first[0] and again == first
