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
import os
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from site_fixture import make_project, make_video  # noqa: E402

from storygen.site import render_site  # noqa: E402

CHROMIUM = os.environ.get("STORYGEN_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium`"),
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

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


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-site")
    project, composites = make_project(root / "project")
    # Serve at the base path so the 404 page's root-relative links are real too.
    project.config.site.base_url = "http://127.0.0.1/"
    make_video(root / "video", "time-to-listen")
    render_site(project, composites, root / "out", video_dir=root / "video", cache_dir=None)
    handler = functools.partial(_Quiet, directory=str(root / "out"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zero_axe_violations_on_every_page_type(browser, site_url, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(color_scheme=scheme, reduced_motion="reduce")
    page = context.new_page()
    problems = []
    try:
        for name, path in PAGE_TYPES.items():
            page.goto(site_url + path, wait_until="load")
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
        page.fill("#search-input", "rota")  # a word only in "Time for us"
        page.keyboard.press("Enter")
        page.wait_for_selector("#search-results li a", timeout=10000)
        links = page.eval_on_selector_all("#search-results li a", "els => els.map(a => a.href)")
        assert links == [site_url + "stories/time-for-us/"]
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
