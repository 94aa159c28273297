"""`storygen draft` end to end: real project files, the real reader, the real `check --drafts`.

Chosen as users meet it: feedback-shaped pools (one comment per person, lengths
varying twenty-fold), refusals that name the binding rule, the options, the
shape of the file, and titles, codebook names and sources that try to break it.
"""
import itertools
import os

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from draftkit import new_stories, pool_project, source
from storygen.build import check
from storygen.cli import main
from storygen.compose.draft import shape
from storygen.compose.rules import Limits
from storygen.project import load_project, read_story_file as read_story


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def passes_check(root) -> bool:
    result = check(root, drafts=True)
    return not result.blocking


def only_story(root):
    stories = [p for p in (root / "narratives/stories").iterdir()]
    assert len(stories) == 1, stories
    return stories[0]


def feedback_pool(root, n=40, privacy=False, **kw):
    """One comment per person; the first ids are the long ones (the order that broke the old draft)."""
    lengths = [229, 410, 1784, 35, 60, 48, 70, 66, 12, 95, 81, 57, 140, 68, 73, 30, 44, 210, 52, 61]
    sources, excerpts = {}, []
    subs = ["care/listening", "care/waiting", "care/money"]
    sectors = ["health", "housing", "council"]
    for i in range(n):
        sid = f"P{i:03d}"
        sources[sid] = source(sector=sectors[i % 3])
        excerpts.append({"id": f"C{i:04d}", "source": sid, "words": lengths[i % len(lengths)],
                         "codes": [subs[i % 3]], "featured": i in (7, 13)})
    return pool_project(root, sources, excerpts, privacy=privacy, **kw)


# --- the case ---------------------------------------------------------------

def test_feedback_pool_drafts_a_balanced_story_in_chapters(tmp_path):
    root = feedback_pool(tmp_path / "p", privacy=True)
    result = run("draft", "--project", root, "--theme", "care")
    assert result.exit_code == 0, result.output
    path = only_story(root)
    text = path.read_text()
    assert passes_check(root)
    story = read_story(root, path, load_project(root).codes)
    assert story.status == "draft" and story.themes == ("care",) and story.media == ("site", "video", "report")
    assert story.persona.role == "someone using local services" and story.persona.setting == "a public service"
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Being listened to", "## Waiting", "## Money worries"]     # codebook order
    assert 'excerpt("C0007")' in text and 'excerpt("C0013")' in text                  # featured, fitting
    for long_one in ("C0000", "C0001", "C0002"):
        assert f'excerpt("{long_one}")' not in text
    composite = check(root, drafts=True).composites[-1]
    assert 300 <= composite.stats.quoted_words <= 420
    stats = composite.stats
    assert max(stats.source_words.values()) / stats.quoted_words <= 0.4 and len(stats.sources) >= 3


def test_same_project_same_draft_byte_for_byte(tmp_path):
    first = only_story(_drafted(feedback_pool(tmp_path / "a"))).read_bytes()
    second = only_story(_drafted(feedback_pool(tmp_path / "b"))).read_bytes()
    assert first == second


def _drafted(root, *options):
    result = run("draft", "--project", root, "--theme", "care", *options)
    assert result.exit_code == 0, result.output
    return root


# --- refusals name the binding rule, with numbers -------------------------------------------

def _three(root, lengths, media_ok=True, **kw):
    sources = {f"S{i}": source(video=media_ok) for i in range(len(lengths))}
    excerpts = [{"id": f"S{i}-1", "source": f"S{i}", "words": w} for i, w in enumerate(lengths)]
    return pool_project(root, sources, excerpts, **kw)


def test_refuses_c5_with_the_most_balanced_figure(tmp_path):
    root = _three(tmp_path / "p", [300, 40, 40])
    result = run("draft", "--project", root, "--theme", "care", "--media", "site")
    assert result.exit_code == 2
    assert "the most balanced one there is still gives one interview 79 % (300 of 380 words) (C5)" in result.output
    assert not list((root / "narratives/stories").iterdir())


def test_refuses_c15_when_every_balanced_selection_is_too_long_for_video(tmp_path):
    root = _three(tmp_path / "p", [280, 280, 280])
    result = run("draft", "--project", root, "--theme", "care")
    assert result.exit_code == 2
    assert "the shortest quotes 840 words, and a video script is capped at 750 (C15)" in result.output
    assert "--media site" in result.output
    site = run("draft", "--project", root, "--theme", "care", "--media", "site")
    assert site.exit_code == 0, site.output
    assert passes_check(root)


def test_refuses_c4_naming_where_the_material_went(tmp_path):
    sources = {"S0": source(), "S1": source(withdrawn=True), "S2": source(video=False), "S3": source()}
    excerpts = [{"id": "S0-1", "source": "S0", "words": 50}, {"id": "S1-1", "source": "S1", "words": 50},
                {"id": "S2-1", "source": "S2", "words": 50}, {"id": "S3-1", "source": "S3", "words": 50,
                                                              "singular": True},
                {"id": "S3-2", "source": "S3", "words": 900}]
    root = pool_project(tmp_path / "p", sources, excerpts)
    result = run("draft", "--project", root, "--theme", "care")
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "only 2 interviews can be quoted on this theme, and a story needs 3 (C4)" in out
    assert "Of the 5 excerpts from 4 interviews on the theme" in out
    for part in ("1 excerpt (1 interview): marked singular (C9)", "1 excerpt (1 interview): withdrawn (C12)",
                 "1 excerpt (1 interview): no consent to video (C12)"):
        assert part in out


def test_refuses_c6_when_no_single_role_has_enough(tmp_path):
    sources = {f"S{i}": source(role="staff" if i < 2 else "community") for i in range(4)}
    excerpts = [{"id": f"S{i}-1", "source": f"S{i}", "words": 60} for i in range(4)]
    root = pool_project(tmp_path / "p", sources, excerpts)
    result = run("draft", "--project", root, "--theme", "care")
    assert result.exit_code == 2
    assert "a story keeps to one role (C6)" in result.output and "2 in the role `community`" in result.output
    mixed = pool_project(tmp_path / "q", sources, excerpts, rules="homogeneous_role = false")
    assert run("draft", "--project", mixed, "--theme", "care").exit_code == 0
    assert "someone who works in or uses local services" in only_story(mixed).read_text()
    assert passes_check(mixed)


# --- options --------------------------------------------------------------------------------

def test_sub_sector_exclude_role_media_words(tmp_path):
    root = feedback_pool(tmp_path / "p")
    result = run("draft", "--project", root, "--theme", "care", "--sub", "waiting", "--sector", "housing",
                 "--exclude", "C0004,C0013", "--exclude", "C0022", "--media", "site", "--words", "300",
                 "--role", "community")
    assert result.exit_code == 0, result.output
    path = only_story(root)
    story = read_story(root, path, load_project(root).codes)
    project = load_project(root)
    ids = [line.split('"')[1] for line in story.body.splitlines() if line.startswith("{{ excerpt(")]
    assert ids and not {"C0004", "C0013", "C0022"} & set(ids)
    for i in ids:
        excerpt = project.excerpts[i]
        assert excerpt.codes == ("care/waiting",) and project.sources[excerpt.source_id].sector == "housing"
    assert story.media == ("site",) and story.voice == "third"
    assert story.persona.setting == "a housing service"
    assert [line for line in story.body.splitlines() if line.startswith("## ")] == ["## Waiting"]
    assert passes_check(root)


def test_option_mistakes_are_clear_errors(tmp_path):
    root = feedback_pool(tmp_path / "p")
    cases = {("--exclude", "C00001"): "did you mean `C0001`", ("--sub", "wating"): "did you mean `waiting`",
             ("--role", "stafff"): "no interview has the role `stafff`", ("--sector", "huosing"): "did you mean",
             ("--words", "800"): "longer than a video script may be (750 words, C15)",
             ("--words", "10"): "too short", ("--theme", "car"): "did you mean `care`"}
    for option, message in cases.items():
        args = ["draft", "--project", root, "--theme", "care", *option]
        result = run(*args)
        assert result.exit_code == 2, (option, result.output)
        assert message in result.output and "Traceback" not in result.output
    assert not list((root / "narratives/stories").iterdir())


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path):
    root = feedback_pool(tmp_path / "p")
    before = sorted(p.relative_to(root) for p in root.rglob("*") if ".storygen-cache" not in p.parts)
    result = run("draft", "--project", root, "--theme", "care", "--dry-run")
    assert result.exit_code == 0, result.output
    for part in ("nothing written", "## Being listened to", "C4   interviews", "C5   largest share",
                 "C3   bridge text", "C15  video length", "aiming at 360"):
        assert part in result.output
    after = sorted(p.relative_to(root) for p in root.rglob("*") if ".storygen-cache" not in p.parts)
    assert after == before


# --- shape ----------------------------------------------------------------------------------

def test_chapters_progression_and_bridge_budget(tmp_path):
    sources = {f"S{i}": source(region="North of England" if i < 4 else None, sector="council") for i in range(4)}
    excerpts = [{"id": "S0-1", "source": "S0", "words": 60, "codes": ["care/money"]},
                {"id": "S1-1", "source": "S1", "words": 60, "codes": ["care"]},
                {"id": "S2-1", "source": "S2", "words": 60, "codes": ["care/money"], "featured": True},
                {"id": "S3-1", "source": "S3", "words": 60, "codes": ["care/listening", "care/money"]}]
    root = pool_project(tmp_path / "p", sources, excerpts)
    assert run("draft", "--project", root, "--theme", "care", "--media", "site").exit_code == 0
    text = only_story(root).read_text()
    order = [line for line in text.splitlines() if line.startswith(("## ", "{{ excerpt"))]
    assert order == ["## Care that listens", '{{ excerpt("S1-1") }}', "## Being listened to",
                     '{{ excerpt("S3-1") }}', "## Money worries", '{{ excerpt("S2-1") }}', '{{ excerpt("S0-1") }}']
    story = read_story(root, only_story(root), load_project(root).codes)
    assert story.persona.setting == "a council service, North of England"
    room = Limits.of(load_project(root)).bridge_room(240) - len("Care that listens Being listened to Money "
                                                                "worries".split())
    assert f"{room} are free in the whole story" in text and f"bridge text may add up to {room} words" in text
    assert passes_check(root)


def test_persona_never_takes_one_sources_attribute(tmp_path):
    sources = {f"S{i}": source(region=f"Region {i}", sector="health" if i else "housing") for i in range(3)}
    excerpts = [{"id": f"S{i}-1", "source": f"S{i}", "words": 60} for i in range(3)]
    root = pool_project(tmp_path / "p", sources, excerpts)
    assert run("draft", "--project", root, "--theme", "care").exit_code == 0
    story = read_story(root, only_story(root), load_project(root).codes)
    assert story.persona.setting == "a public service" and "Region" not in only_story(root).read_text()


def test_headings_dropped_when_they_would_break_the_bridge_rule(tmp_path):
    codebook = ("care:\n  name: Care\n  codes:\n    listening:\n      name: A very long heading that "
                "counts as bridge text\n")
    sources = {f"S{i}": source() for i in range(3)}
    excerpts = [{"id": f"S{i}-1", "source": f"S{i}", "words": 5} for i in range(3)]
    root = pool_project(tmp_path / "p", sources, excerpts, codebook=codebook)
    assert run("draft", "--project", root, "--theme", "care").exit_code == 0
    assert "## " not in only_story(root).read_text()
    assert passes_check(root)


def test_other_stories_keep_their_excerpts(tmp_path):
    story = ("---\ntitle: Earlier draft\npersona: {name: Pat}\nthemes: [care]\nstatus: draft\n---\n"
             + "".join(f'{{{{ excerpt("C{i:04d}") }}}}\n\n' for i in (6, 7, 13)))
    root = feedback_pool(tmp_path / "p", stories={"earlier": story})
    assert run("draft", "--project", root, "--theme", "care").exit_code == 0
    new = new_stories(root, {"earlier.md"})[0].read_text()
    assert not any(f'excerpt("C{i:04d}")' in new for i in (6, 7, 13))
    assert "name: Pat" not in new
    assert passes_check(root)


def test_excerpts_the_privacy_guard_stops_are_left_out(tmp_path):
    root = feedback_pool(tmp_path / "p", privacy=True)
    path = root / "narratives/excerpts/all.yaml"
    text = path.read_text()
    featured_text = text.split("id: C0007")[1].split("text: ")[1].split("\n")[0]
    path.write_text(text.replace(featured_text, "ring me on 07700 900123 " + featured_text, 1))
    result = run("draft", "--project", root, "--theme", "care")
    assert result.exit_code == 0, result.output
    assert "C0007" in result.output and 'excerpt("C0007")' not in only_story(root).read_text()
    assert passes_check(root)


# --- a draft never breaks the project (issue 16, item 3) -----------------------------------

HOSTILE_TITLES = [
    "Rent\\Council", "C:\\Users\\x\\", '"quoted" and \'single\'', "key: value", "- a list?", "[flow, seq]",
    "{flow: map}", "line one\nline two", "a\n---\nb", "---", "...", "{{ 7 * 7 }}", "{% raw %}", "{# x #}",
    "}}{{", "&anchor *alias", "!!python/object:os.system", "no", "null", "~", "010", "1.10", "# comment",
    "%YAML 1.2", "\u202eevil\u202c", "\u200fRTL\u200e mark", "\ufeffBOM", "Café ☕ 日本語 😀 👩\u200d👩\u200d👧",
    "tab\there", "nul\x00byte", "\x1b[31mred", "\u2028line sep\u2029", "x" * 2000, "'", '"', "\\",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=lambda t: repr(t)[:24])
def test_any_title_gives_a_file_that_parses_and_passes_or_nothing(tmp_path, title):
    root = feedback_pool(tmp_path / "p", n=12, privacy=True)
    result = run("draft", "--project", root, "--theme", "care", "--title", title)
    assert "Traceback" not in result.output
    stories = list((root / "narratives/stories").iterdir())
    if result.exit_code != 0:
        assert stories == [], "a failed draft left something behind"
        assert "error:" in result.output
        return
    assert len(stories) == 1 and stories[0].suffix == ".md"
    story = read_story(root, stories[0], load_project(root).codes)
    assert story.title == shape.one_line(title)
    assert passes_check(root)


def test_hostile_codebook_names_and_source_fields_cannot_run_or_break(tmp_path):
    codebook = ('care:\n  name: "{{ cycler.__init__.__globals__ }}"\n  codes:\n'
                '    listening:\n      name: "{% include \'x\' %} and {# no"\n')
    sources = {f"S{i}": source(sector="hous\ning\n---", region="a\u202eb") for i in range(3)}
    excerpts = [{"id": f"S{i}-1", "source": f"S{i}", "words": 80} for i in range(3)]
    root = pool_project(tmp_path / "p", sources, excerpts, codebook=codebook)
    result = run("draft", "--project", root, "--theme", "care")
    assert result.exit_code == 0, result.output
    composite = check(root, drafts=True).composites[-1]
    assert [s.text for s in composite.segments if s.kind == "heading"] == ["{% include 'x' %} and {# no"]
    story = read_story(root, only_story(root), load_project(root).codes)
    assert "\n" not in story.persona.setting and "\u202e" not in story.persona.setting
    assert passes_check(root)


def test_a_file_that_would_not_read_back_is_never_written(tmp_path, monkeypatch):
    root = feedback_pool(tmp_path / "p", n=12)
    monkeypatch.setattr(shape, "front_matter", lambda fields: "---\ntitle: \"\\q\"\n---\n")
    result = run("draft", "--project", root, "--theme", "care")
    assert result.exit_code == 1 and "could not be read back" in result.output
    assert list((root / "narratives/stories").iterdir()) == []


@settings(max_examples=int(os.environ.get("FUZZ", 40)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(min_size=1, max_size=60))
def test_fuzzed_titles(tmp_path_factory, title):
    root = feedback_pool(tmp_path_factory.mktemp("fuzz"), n=9)
    result = run("draft", "--project", root, "--theme", "care", "--title", title)
    stories = list((root / "narratives/stories").iterdir())
    if result.exit_code != 0:
        assert stories == [] and "Traceback" not in result.output and result.exit_code in (1, 2)
        return
    assert read_story(root, stories[0], load_project(root).codes).title == shape.one_line(title)
    assert passes_check(root)


# --- random pools on disk: a draft exactly when the rules allow one ---------------------------

def _oracle(sources: dict, excerpts: list[dict], media: tuple[str, ...]) -> str:
    """'ok', or the rule no selection can meet ('C4', 'C5', 'C15'), by trying every subset per role."""
    eligible = []
    for e in excerpts:
        s = sources[e["source"]]
        consent = s["consent"]
        if e.get("singular") or s["withdrawn"] == "yes" or consent["composite"] != "yes":
            continue
        if ("site" in media and consent["web"] != "yes") or ("video" in media and consent["video"] != "yes"):
            continue
        eligible.append((e["source"], s["role"], e["words"]))
    verdict = "C4"
    for role in {r for _, r, _ in eligible}:
        mine = [(s, w) for s, r, w in eligible if r == role]
        if len({s for s, _ in mine}) < 3:
            continue
        verdict = "C5" if verdict == "C4" else verdict
        for size in range(1, len(mine) + 1):
            for combo in itertools.combinations(mine, size):
                per = {}
                for s, w in combo:
                    per[s] = per.get(s, 0) + w
                quoted = sum(per.values())
                if len(per) < 3 or any(w / quoted > 0.4 for w in per.values()):
                    continue
                if "video" in media and quoted > 750:
                    verdict = "C15"
                    continue
                return "ok"
    return verdict


@st.composite
def disk_pools(draw):
    n = draw(st.integers(3, 6))
    sources = {f"S{i}": source(role=draw(st.sampled_from(["staff", "community"])),
                               sector=draw(st.sampled_from(["health", "housing"])),
                               video=draw(st.booleans()) or draw(st.booleans()),
                               withdrawn=draw(st.integers(0, 9)) == 0) for i in range(n)}
    excerpts = []
    for i in range(n):
        for k in range(draw(st.integers(1, 2))):
            excerpts.append({"id": f"S{i}-{k}", "source": f"S{i}",
                             "words": draw(st.sampled_from([8, 30, 55, 70, 120, 260, 290, 320])),
                             "codes": [draw(st.sampled_from(["care/listening", "care/waiting", "care"]))],
                             "featured": draw(st.integers(0, 4)) == 0, "singular": draw(st.integers(0, 9)) == 0})
    media = draw(st.sampled_from([("site",), ("site", "video"), ("video",)]))
    return sources, excerpts[:10], media


@settings(max_examples=int(os.environ.get("FUZZ", 30)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pool=disk_pools())
def test_random_pools_draft_exactly_when_a_balanced_selection_exists(tmp_path_factory, pool):
    sources, excerpts, media = pool
    root = pool_project(tmp_path_factory.mktemp("pool"), sources, excerpts)
    expected = _oracle(sources, excerpts, media)
    result = run("draft", "--project", root, "--theme", "care", *[a for m in media for a in ("--media", m)])
    if expected == "ok":
        assert result.exit_code == 0, result.output
        assert passes_check(root)
        story = read_story(root, only_story(root), load_project(root).codes)
        assert story.media == media
    else:
        assert result.exit_code == 2, result.output
        assert f"({expected}" in result.output or f", {expected})" in result.output, (expected, result.output)
        assert not list((root / "narratives/stories").iterdir())


def test_an_unwritable_stories_folder_is_a_clear_error(tmp_path):
    root = feedback_pool(tmp_path / "p", n=9)
    (root / "narratives/stories").rmdir()
    (root / "narratives/stories").write_text("not a folder")
    result = run("draft", "--project", root, "--theme", "care")
    assert result.exit_code == 2 and "narratives/stories: cannot write a draft here" in result.output
    assert (root / "narratives/stories").read_text() == "not a folder"
