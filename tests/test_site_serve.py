"""`storygen serve`: loopback only, drafts bannered, edits rebuild only what they affect
and reach the browser, and nothing outside the build folder is served.

Runs the real preview (HTTP server, file watcher, loader, compose, site) on a
copy of the repository's sample project in a temporary folder.
"""
from __future__ import annotations

import http.client
import os
import sys
import time
from pathlib import Path

import pytest
from storygen.serve import Preview

sys.path.insert(0, str(Path(__file__).parent))
from site_fixture import ReloadListener, copy_sample, excerpt_line_on  # noqa: E402


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)  # http.client sends the path as given: no normalising of '..'
    response = conn.getresponse()
    body = response.read().decode("utf-8", errors="replace")
    conn.close()
    return response.status, body


@pytest.fixture()
def preview(tmp_path):
    project = copy_sample(tmp_path)
    instance = Preview(project, drafts=True, echo=lambda *a, **k: None)
    port = instance.start(0)
    time.sleep(0.3)  # let the watcher start
    yield instance, port, project
    instance.stop()


def test_preview_is_loopback_only_with_a_draft_banner(preview):
    instance, port, _ = preview
    assert instance.httpd.server_address[0] == "127.0.0.1"
    status, body = _get(port, "/")
    assert status == 200 and "DRAFT PREVIEW" in body
    assert "livereload" in body
    status, body = _get(port, "/no/such/page/")
    assert status == 404 and "Page not found" in body


def test_requests_for_other_host_names_are_refused(preview):
    """DNS rebinding: a page on another site must not read the drafts preview."""
    _, port, _ = preview
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/", headers={"Host": "attacker.example:80"})
    response = conn.getresponse()
    assert response.status == 403 and b"DRAFT" not in response.read()
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/", headers={"Host": f"localhost:{port}"})
    assert conn.getresponse().status == 200
    conn.close()


def test_nothing_outside_the_build_folder_is_served(preview, tmp_path):
    instance, port, project = preview
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve me", encoding="utf-8")
    os.symlink(secret, instance.site / "leak.txt")
    for path in ("/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/%2e%2e/etc/passwd",
                 "/stories/../../secret.txt", "/leak.txt", "//etc/passwd",
                 "/" + str(project / "storygen.toml")):
        status, body = _get(port, path)
        assert status == 404, path
        assert "do not serve me" not in body and "root:" not in body and "[site]" not in body


def test_an_edited_excerpt_shows_and_rebuilds_only_its_pages(preview):
    """How fast it shows (the issue's bar: within a second) is measured by benchmarks/latency_bench.py."""
    instance, port, project = preview
    stories = sorted(p for p in instance.site.glob("stories/*/index.html"))
    page_path = "/" + stories[0].relative_to(instance.site).as_posix()
    _, before = _get(port, page_path)
    excerpt_file, line = excerpt_line_on(project, before)
    events = ReloadListener(port)
    time.sleep(0.2)
    generation = instance.generation
    text = excerpt_file.read_text(encoding="utf-8")
    excerpt_file.write_text(text.replace(line, line + " Zanzibarish.", 1), encoding="utf-8")
    events.wait_for_new(generation)
    _, after = _get(port, page_path)
    assert "Zanzibarish." in after
    assert instance.error is None
    stats = instance.last_stats
    # The story page, at most the theme pages quoting it; never the whole site.
    assert 1 <= stats.pages_rendered <= 1 + len(list(instance.site.glob("themes/*/index.html")))
    assert stats.pages_rendered < stats.pages_total / 2
    assert stats.search_rebuilt == 1


def test_a_broken_file_shows_the_error_then_recovers(preview):
    instance, port, project = preview
    story = sorted((project / "narratives" / "stories").glob("*.md"))[0]
    good = story.read_text(encoding="utf-8")
    generation = instance.generation
    events = ReloadListener(port)
    time.sleep(0.2)
    story.write_text(good.replace("title:", "title: [unclosed", 1), encoding="utf-8")
    events.wait_for_new(generation)
    status, body = _get(port, "/")
    assert status == 500 and "could not be rebuilt" in body and story.name in body
    generation = instance.generation
    story.write_text(good, encoding="utf-8")
    events.wait_for_new(generation)
    status, body = _get(port, "/")
    assert status == 200 and "DRAFT PREVIEW" in body


def test_preview_folders_link_the_cache_and_never_change_it(tmp_path):
    """The preview hard-links cached files (a fresh folder per rebuild stays cheap); dropping
    an old folder, and SOURCE_DATE_EPOCH's time stamps, leave every cache entry as it was."""
    project = copy_sample(tmp_path)
    instance = Preview(project, drafts=True, echo=lambda *a, **k: None)
    try:
        assert instance.rebuild()
        cache = project / ".storygen-cache" / "site"
        # Content-addressed entries (the small index files beside them are the cache's notes).
        entries = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in cache.rglob("*")
                   if p.is_file() and p.parent.name != "index"}
        first = instance.site
        cards = sorted(first.glob("cards/*.png"))
        assert cards and all(c.stat().st_nlink >= 2 for c in cards)    # linked, not copied
        os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
        try:
            assert instance.rebuild()
        finally:
            del os.environ["SOURCE_DATE_EPOCH"]
        deadline = time.time() + 10
        while first.exists() and time.time() < deadline:    # the old folder goes in the background
            time.sleep(0.02)
        assert not first.exists()
        for path, (data, mtime) in entries.items():
            assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime, path
    finally:
        instance.stop()
