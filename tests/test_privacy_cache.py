"""Between runs the guard remembers only hashes of clean texts: never a span, never a finding."""
import re

import pytest

from projectkit import edit, write_project
from storygen.build import check
from storygen.privacy.detect import Detector


def test_cache_holds_only_hashes_of_clean_texts(tmp_path):
    root = write_project(tmp_path / "p")
    story = root / "narratives/stories/time-to-listen.md"
    edit(story, "for years.", "for years. Ring her on 07700 900123.")
    first = check(root)
    assert any(f.rule == "R1" for f in first.privacy.findings)
    folder = root / ".storygen-cache" / "privacy"
    [cache] = folder.glob("clean-*.txt")
    [qi] = folder.glob("qi-*.txt")
    # One file per kind: clean-text hashes; per text the quasi-identifier types found (labels
    # only). The composite had a finding, so no composite is remembered as clean.
    lines = cache.read_text().split()
    assert lines and all(re.fullmatch(r"[0-9a-f]{32}", line) for line in lines)
    assert qi.read_text().split() and all(re.fullmatch(r"[0-9a-f]{32}=[a-z:+]*", line)
                                          for line in qi.read_text().split())
    assert list(folder.glob("composites-*.txt")) == []
    for path in folder.iterdir():
        assert b"07700" not in path.read_bytes() and b"Ring" not in path.read_bytes()
    # The same text is found again on the next run, in a fresh detector that reads the cache.
    detector = Detector()
    detector.use_clean_cache(cache.parent)
    assert detector.scan("Ring her on 07700 900123.")
    second = check(root)
    assert [f.span for f in second.privacy.findings if f.rule == "R1"] == \
        [f.span for f in first.privacy.findings if f.rule == "R1"]


def test_a_clean_text_is_skipped_then_rescanned_when_the_code_changes(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    one = Detector()
    one.use_clean_cache(folder)
    assert one.scan("We stopped counting calls and started listening.") == ()
    one.save_clean_cache()
    two = Detector()
    two.use_clean_cache(folder)
    assert len(two._verdicts.texts) == 1
    import storygen.privacy.detect as detect
    monkeypatch.setattr(detect, "code_digest", lambda: "changed00000")
    three = Detector()
    three.use_clean_cache(folder)
    assert len(three._verdicts.texts) == 0   # a different detector version never trusts old verdicts


def test_output_scan_rescans_only_changed_files_and_never_trusts_stale_verdicts(tmp_path):
    from storygen.privacy import scan_output

    root = write_project(tmp_path / "p")
    checked = check(root)
    site = tmp_path / "site"
    site.mkdir()
    for i in range(3):
        (site / f"page{i}.html").write_text(f"<p>Page {i}: we stopped counting calls.</p>")
    assert scan_output(site, checked.project, checked.composites) == []
    [verdicts] = (root / ".storygen-cache" / "privacy").glob("files-*.txt")
    [searched] = (root / ".storygen-cache" / "privacy").glob("searched-*.txt")
    assert verdicts.name[len("files-"):] == searched.name[len("searched-"):]
    assert len(verdicts.read_text().split()) == 3
    # The ids and text hashes searched for are listed as hashes only (never the values).
    assert len(searched.read_text().split()) == 2 * len(checked.project.excerpts)
    for path in (verdicts, searched):
        assert b"counting" not in path.read_bytes() and b"S01" not in path.read_bytes()
    # A planted value in a page that scanned clean before is caught: its bytes changed.
    (site / "page1.html").write_text("<p>Page 1: ring 07700 900123.</p>")
    assert any("07700 900123" in f.span for f in scan_output(site, checked.project, checked.composites))
    # A new private value makes every old verdict void: the unchanged page is read again.
    (site / "page1.html").write_text("<p>Page 1: we stopped counting calls.</p>")
    (site / "page2.html").write_text("<p>Page 2: we met at Wrenfield Ward.</p>")
    assert not [f for f in scan_output(site, checked.project, checked.composites) if "Wrenfield" in f.span]
    (root / "narratives/private").mkdir(exist_ok=True)
    (root / "narratives/private/deny.yaml").write_text("- Wrenfield Ward\n")
    rechecked = check(root)
    findings = scan_output(site, rechecked.project, rechecked.composites)
    assert any("Wrenfield" in f.span for f in findings)


def test_a_new_excerpt_id_in_an_unchanged_clean_page_is_still_caught(tmp_path):
    from projectkit import excerpts_file
    from storygen.privacy import scan_output

    root = write_project(tmp_path / "p")
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text("<p>Reference ZS01-10 in the margin.</p>")
    first = check(root)
    assert scan_output(site, first.project, first.composites) == []
    (root / "narratives/excerpts/S01-more.yaml").write_text(
        excerpts_file("S01", [["working-together"]], start=10).replace("id: S01-", "id: ZS01-"))
    second = check(root)
    findings = scan_output(site, second.project, second.composites)
    assert any("ZS01-10" in f.span or "ZS01-10" in f.message for f in findings), [f.format() for f in findings]


def test_after_an_edit_unchanged_pages_are_searched_for_the_new_values_only(tmp_path, monkeypatch):
    from storygen.privacy import scan, scan_output

    root = write_project(tmp_path / "p")
    site = tmp_path / "site"
    site.mkdir()
    for i in range(3):
        (site / f"page{i}.html").write_text(f"<p>Page {i}: we stopped counting calls.</p>")
    first = check(root)
    assert scan_output(site, first.project, first.composites) == []
    searched = []
    real_raw = scan.OutputScanner._raw
    monkeypatch.setattr(scan.OutputScanner, "_raw", lambda self, path, rel, data, literals=None:
                        searched.append(literals) or real_raw(self, path, rel, data, literals))
    assert scan_output(site, first.project, first.composites) == []
    assert searched == []                     # nothing new to look for: the bytes are trusted as they are
    # An edited excerpt has a new text hash: the unchanged pages are searched for it alone.
    excerpt = next(iter(first.project.excerpts.values()))
    path = root / excerpt.origin.path
    path.write_text(path.read_text().replace(excerpt.text.split()[0], "Honestly " + excerpt.text.split()[0], 1))
    second = check(root)
    new_hashes = {e.text_hash for e in second.project.excerpts.values()} - \
        {e.text_hash for e in first.project.excerpts.values()}
    assert len(new_hashes) == 1
    assert scan_output(site, second.project, second.composites) == []
    assert len(searched) == 3 and all(set(lit.labels) == {h.lower() for h in new_hashes} for lit in searched)
    # ... and an unchanged page that scanned clean before the edit but holds the new hash is caught.
    monkeypatch.setenv("STORYGEN_CACHE_DIR", str(tmp_path / "fresh-cache"))
    (site / "page0.html").write_text(f"<p>Page 0: we stopped counting calls.</p><!-- {new_hashes.pop()} -->")
    assert scan_output(site, first.project, first.composites) == []
    findings = scan_output(site, second.project, second.composites)
    assert [f.origin.path.name for f in findings] == ["page0.html"] and searched[-1] is not None


def test_quasi_identifier_types_are_remembered_as_labels(tmp_path, monkeypatch):
    from storygen.privacy import quasi

    text = "She is a single mum in her forties and goes to the mosque."
    one = Detector()
    one.use_clean_cache(tmp_path / "cache")
    found = one.qi_types(text)
    assert found == quasi.qi_types(text) and {"family", "age", "special:religion"} <= found
    assert one.qi_types("We listened.") == set()
    one.save_clean_cache()
    monkeypatch.setattr(quasi, "qi_types", lambda text: pytest.fail("not remembered"))
    two = Detector()
    two.use_clean_cache(tmp_path / "cache")
    assert two.qi_types(text) == found and two.qi_types("We listened.") == set()
    [cache] = (tmp_path / "cache").glob("qi-*.txt")
    assert b"mum" not in cache.read_bytes() and b"mosque" not in cache.read_bytes()


def test_a_clean_composite_is_remembered_until_its_text_or_the_private_knowledge_changes(tmp_path, monkeypatch):
    from storygen.privacy.guard import Guard

    checked = []
    inner = Guard._check_composite
    monkeypatch.setattr(Guard, "_check_composite",
                        lambda self, c, texts: checked.append(c.story.slug) or inner(self, c, texts))
    root = write_project(tmp_path / "p")
    first = check(root)
    assert first.privacy.verdicts == {"time-to-listen": "pass"} and checked == ["time-to-listen"]
    [cache] = (root / ".storygen-cache" / "privacy").glob("composites-*.txt")
    assert len(cache.read_text().split()) == 1
    checked.clear()
    assert check(root).privacy.findings == [] and checked == []          # remembered: not checked again
    # A word of the story on the deny-list: the same text is checked again, and blocked.
    (root / "narratives" / "private").mkdir(parents=True, exist_ok=True)
    (root / "narratives" / "private" / "deny.yaml").write_text("- front desk\n", encoding="utf-8")
    blocked = check(root)
    assert checked == ["time-to-listen"] and blocked.privacy.verdicts["time-to-listen"] == "blocked"
    (root / "narratives" / "private" / "deny.yaml").unlink()
    checked.clear()
    assert check(root).privacy.findings == [] and checked == []          # back to what was remembered
    edit(root / "narratives/stories/time-to-listen.md", "for years.", "for years. Ring her on 07700 900123.")
    assert any(f.rule == "R1" for f in check(root).privacy.findings) and checked == ["time-to-listen"]


def test_the_clean_composite_key_covers_every_text_the_check_reads(tmp_path, monkeypatch):
    """The key and the check read one list (Guard.published_texts): every text the check
    looks at is in it, and a change to any of them changes the key."""
    from privacy_fixtures import make_project

    from storygen.model import Picture
    from storygen.privacy.guard import Guard

    pic = Picture(image="assets/desk.jpg", alt="A desk", caption="The front desk", credit="Photo: team")
    project, [composite] = make_project(tmp_path, images=(pic,))
    guard = Guard(project)
    texts = guard.published_texts(composite)
    seen = []
    inner = Guard.check_text
    monkeypatch.setattr(Guard, "check_text", lambda self, text, **kw: seen.append((kw["field"], text))
                        or inner(self, text, **kw))
    guard._check_composite(composite, texts)
    listed = {(f, t) for f, t, _o, _n in texts}
    assert seen and set(seen) <= listed
    base = guard._composite_hash(composite, texts)
    for i, (field, text, origin, names) in enumerate(texts):
        changed = [*texts[:i], (field, text + " changed", origin, names), *texts[i + 1:]]
        assert guard._composite_hash(composite, changed) != base, field


def test_the_guards_memory_lives_on_the_build_context(tmp_path):
    """One context (a build, or serve between rebuilds) shares one warm detector and the
    compiled private values; another context shares nothing (no module-level state)."""
    from storygen.context import BuildContext
    from storygen.privacy import scan_output

    root = write_project(tmp_path / "p")
    context = BuildContext()
    first = check(root, context=context)
    [detector] = context.privacy_detectors.values()
    assert first.privacy.guard.detector is detector
    assert check(root, context=context).privacy.guard.detector is detector
    assert check(root).privacy.guard.detector is not detector
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.html").write_text("<p>We listened.</p>", encoding="utf-8")
    assert scan_output(tmp_path / "out", first.project, first.composites, first.privacy) == []
    # One matcher for these values, and the same one as the base later edits layer on.
    matchers = {k: v for k, v in context.private_values.items() if k != "base"}
    assert len(matchers) == 1 and context.private_values["base"][1] is next(iter(matchers.values()))
