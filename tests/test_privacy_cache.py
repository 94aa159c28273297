"""Between runs the guard remembers only hashes of clean texts: never a span, never a finding."""
import re

from projectkit import edit, write_project
from storygen.build import check
from storygen.privacy.detect import Detector


def test_cache_holds_only_hashes_of_clean_texts(tmp_path):
    root = write_project(tmp_path / "p")
    story = root / "narratives/stories/time-to-listen.md"
    edit(story, "for years.", "for years. Ring her on 07700 900123.")
    first = check(root)
    assert any(f.rule == "R1" for f in first.privacy.findings)
    [cache] = (root / ".storygen-cache" / "privacy").glob("clean-*.txt")
    lines = cache.read_text().split()
    assert lines and all(re.fullmatch(r"[0-9a-f]{32}", line) for line in lines)
    assert b"07700" not in cache.read_bytes() and b"Ring" not in cache.read_bytes()
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
    assert len(two._clean) == 1
    import storygen.privacy.detect as detect
    monkeypatch.setattr(detect, "_code_digest", lambda: "changed00000")
    three = Detector()
    three.use_clean_cache(folder)
    assert three._clean == set()        # a different detector version never trusts old verdicts
