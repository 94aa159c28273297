"""The story site in a real browser: headless Chromium (Debian's package) via Playwright.

The built site is served on a free 127.0.0.1 port. Asserts zero axe-core
violations (WCAG 2.2 AA tags) on every page type in light and dark schemes,
that the video plays and its captions load, that Pagefind search finds a
story, and that the keyboard alone reaches every link with a visible focus ring.
Skips with a reason when /usr/bin/chromium is absent (`apt-get install chromium`).
"""
from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from site_fixture import copy_sample, make_project, make_video  # noqa: E402

from storygen.outputs import LivePreview  # noqa: E402
from storygen.site import render_site  # noqa: E402

from browserkit import AXE_TAGS, BROWSER_MARKS  # noqa: E402
from browserkit import launch  # noqa: E402
from browserkit import CHROMIUM_ARGS as BASE_ARGS  # noqa: E402

pytestmark = BROWSER_MARKS
CHROMIUM_ARGS = [*BASE_ARGS, "--autoplay-policy=no-user-gesture-required", "--mute-audio"]

PAGE_TYPES = {
    "home": "",
    "all stories": "stories/",
    "story with video": "stories/time-to-listen/",
    "story without video": "stories/time-for-us/",
    "themes": "themes/",
    "theme": "themes/working-together/",
    "about": "about/",
    "search": "search/",
    "404": "404.html",
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output readable
        pass


def _serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def draft_url(tmp_path_factory):
    """A `storygen serve`-style preview: drafts, DRAFT banner with findings, live reload."""
    root = tmp_path_factory.mktemp("browser-drafts")
    project, composites = make_project(root / "project")
    project.config.site.base_url = "http://127.0.0.1/"
    render_site(project, composites, root / "out", drafts=True, cache_dir=None, live=LivePreview(
        notices=("narratives/stories/x.md: [x] C4 BLOCK — draws on 2 source(s) — add a third",)))
    server, url = _serve(root / "out")
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory):
    """The repository's sample project, built by the real loader and composer."""
    from storygen.build import check

    root = tmp_path_factory.mktemp("browser-sample")
    project_dir = copy_sample(root)
    result = check(project_dir)
    render_site(result.project, result.composites, root / "out", cache_dir=None)
    # Serve it at its published base path, where the 404 page's root-relative links point.
    base_path = urlsplit(result.project.config.site.base_url).path.strip("/")
    www = root / "www"
    (www / base_path).parent.mkdir(parents=True, exist_ok=True)
    (www / base_path).symlink_to(root / "out", target_is_directory=True) if base_path else None
    server, url = _serve(www if base_path else root / "out")
    url += f"{base_path}/" if base_path else ""
    yield url, sorted(p.relative_to(root / "out").as_posix() for p in (root / "out").rglob("*.html"))
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    from storygen.site import search

    root = tmp_path_factory.mktemp("browser-site")
    project, composites = make_project(root / "project")
    # Serve at the base path so the 404 page's root-relative links are real too.
    project.config.site.base_url = "http://127.0.0.1/"
    make_video(root / "video", "time-to-listen")
    # One story per search shard, so the browser really merges the shards' indexes.
    saved, search.SHARD_SIZE = search.SHARD_SIZE, 1
    try:
        render_site(project, composites, root / "out", video_dir=root / "video", cache_dir=None)
    finally:
        search.SHARD_SIZE = saved
    # (the two fixture slugs hash to shards 0 and 1)
    assert (root / "out" / "search/index/1/pagefind.js").is_file()
    server, url = _serve(root / "out")
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    yield from launch(CHROMIUM_ARGS)


def _axe_problems(browser, base: str, pages: dict[str, str], scheme: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(color_scheme=scheme, reduced_motion="reduce")
    page = context.new_page()
    problems = []
    try:
        for name, path in pages.items():
            page.goto(base + path, wait_until="load")
            # Check what is folded away too (the preview's findings list).
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                             "resultTypes": ["violations"]})
            if results.violations_count:
                problems.append(f"--- {name} ({scheme}) ---\n" + results.generate_report())
            # Also with the skip link focused: its contrast counts too.
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.className")
            assert focused == "skip-link", name
            results = axe.run(page, context=".skip-link",
                              options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
            if results.violations_count:
                problems.append(f"--- {name} skip link ({scheme}) ---\n" + results.generate_report())
    finally:
        context.close()
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zero_axe_violations_on_every_page_type(browser, site_url, scheme):
    problems = _axe_problems(browser, site_url, PAGE_TYPES, scheme)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zero_axe_violations_in_the_drafts_preview(browser, draft_url, scheme):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(draft_url + "stories/time-to-listen/")
        assert page.is_visible("text=DRAFT PREVIEW")
        page.click(".notices summary")  # the findings list, opened
        assert page.is_visible("text=C4 BLOCK")
    finally:
        context.close()
    problems = _axe_problems(browser, draft_url, {"home": "", "story": "stories/time-to-listen/"}, scheme)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zero_axe_violations_on_every_page_of_the_sample(browser, sample_url, scheme):
    base, pages = sample_url
    assert "index.html" in pages and any(p.startswith("stories/") and p.count("/") == 2 for p in pages)
    problems = _axe_problems(browser, base, {p: p for p in pages}, scheme)
    assert not problems, "\n".join(problems)


def test_video_plays_and_captions_load(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(site_url + "stories/time-to-listen/")
        page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=10000)
        page.evaluate("document.querySelector('video').play()")
        page.wait_for_function("document.querySelector('video').currentTime > 0.3", timeout=10000)
        assert page.evaluate("document.querySelector('video').error") is None
        # The default captions track is showing and its cues were loaded and parsed.
        page.wait_for_function(
            "(() => { const t = document.querySelector('video').textTracks[0];"
            " return t && t.mode === 'showing' && t.cues && t.cues.length > 0; })()", timeout=10000)
        cue = page.evaluate("document.querySelector('video').textTracks[0].cues[0].text")
        assert "closed a case" in cue
        assert page.evaluate("document.querySelector('track').readyState") == 2  # LOADED
        assert page.is_visible("#transcript")
    finally:
        context.close()


def test_search_finds_a_story_by_a_word_in_it(browser, site_url):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(site_url + "search/")
        assert page.is_visible("#search-form") and not page.is_visible("#search-nojs")
        # A word from each story: the stories sit in different shards of the index.
        for word, slug in (("counting", "time-to-listen"), ("rota", "time-for-us")):
            page.fill("#search-input", word)
            page.keyboard.press("Enter")
            page.wait_for_function(
                "(s) => [...document.querySelectorAll('#search-results li a')].some(a => a.href.endsWith(s))",
                arg=f"/stories/{slug}/", timeout=10000)
            links = page.eval_on_selector_all("#search-results li a", "els => els.map(a => a.href)")
            assert links == [site_url + f"stories/{slug}/"], word
            assert "1 story found" in page.inner_text("#search-status")
        page.click("#search-results li a")
        page.wait_for_url(site_url + "stories/time-for-us/")
    finally:
        context.close()


def test_pages_read_completely_without_javascript(browser, site_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site_url + "stories/time-to-listen/")
        assert page.is_visible("text=We stopped counting how fast we closed a case.")
        assert page.is_visible("#transcript")
        page.goto(site_url + "search/")
        assert page.is_visible("#search-nojs") and not page.is_visible("#search-form")
    finally:
        context.close()


FOCUS_PROBE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {
    tag: el.tagName, href: el.getAttribute('href') || '', text: (el.textContent || '').trim().slice(0, 40),
    outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
    visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
             && r.top < innerHeight && r.left < innerWidth,
  };
}"""


@pytest.mark.parametrize("path", ["stories/time-to-listen/", "themes/working-together/", ""])
def test_keyboard_reaches_every_link_with_a_visible_focus_ring(browser, site_url, path):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(site_url + path)
        expected = page.eval_on_selector_all(
            "a[href]", "els => els.filter(a => a.offsetParent !== null || a.className === 'skip-link')"
                       ".map(a => a.getAttribute('href'))")
        reached = []
        for _ in range(len(expected) + 40):
            page.keyboard.press("Tab")
            info = page.evaluate(FOCUS_PROBE)
            if info["tag"] == "BODY":
                break
            assert info["outline"] != "none" and info["width"] >= 2, info
            if not info["visible"]:  # smooth scrolling may still be bringing it into view
                page.wait_for_timeout(600)
                info = page.evaluate(FOCUS_PROBE)
            assert info["visible"], info  # scrolled into view, not hidden (WCAG 2.4.11)
            if info["tag"] == "A":
                if reached and info["href"] == reached[0] and len(reached) >= len(expected):
                    break
                reached.append(info["href"])
        assert sorted(set(expected)) == sorted(set(reached))
    finally:
        context.close()
