"""The studio's page preview, storyboard and Build the site in real headless Chromium:
the frame reloads after a save, a draft render's progress bar runs to a playable video with
captions, and axe-core finds zero violations (WCAG 2.2 AA) on each new screen, light and dark."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browserkit import AXE_TAGS, BROWSER_MARKS, CHROMIUM_ARGS, launch  # noqa: E402
from projectkit import edit  # noqa: E402
from studiokit import running  # noqa: E402
from test_studio_preview import small_project  # noqa: E402

pytestmark = BROWSER_MARKS
SCREENS = {"page preview": "/stories/time-to-listen/preview",
           "video storyboard": "/stories/time-to-listen/storyboard",
           "stories with Build the site": "/stories"}    # after the build test: its result shown


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = small_project(tmp_path_factory.mktemp("studio-preview-browser") / "proj")
    with running(root) as studio:
        yield studio


@pytest.fixture(scope="module")
def browser():
    yield from launch(CHROMIUM_ARGS)


def opened(browser, studio, scheme: str = "light"):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(studio.address)
    return context, page


def test_the_preview_frame_reloads_after_a_save(browser, studio):
    story = studio.studio.workspace.root / "narratives" / "stories" / "time-to-listen.md"
    context, page = opened(browser, studio)
    try:
        page.goto(studio.base + "/stories/time-to-listen/preview")
        frame = page.frame_locator("iframe.site-preview")
        frame.get_by_role("heading", level=1).wait_for()
        assert frame.get_by_role("heading", level=1).inner_text() == "Time to listen"
        assert "Robin has worked on the front desk for years." in frame.locator("main").inner_text()
        edit(story, "Robin has worked on the front desk for years.", "Robin has worked the late shift for years.")
        frame.get_by_text("Robin has worked the late shift for years.").wait_for(timeout=20000)
        assert page.locator("#preview-status").inner_text().startswith("Reloaded after a change on disk")
    finally:
        edit(story, "Robin has worked the late shift for years.", "Robin has worked on the front desk for years.")
        context.close()


def test_a_draft_render_shows_progress_then_plays_with_captions(browser, studio):
    context, page = opened(browser, studio)
    try:
        page.goto(studio.base + "/stories/time-to-listen/storyboard")
        assert page.get_by_role("table", name="Slides of the 16:9 video").is_visible()
        page.get_by_role("button", name="Render a draft of the 16:9 video").click()
        page.locator("#render-progress").wait_for()          # the bar, drawn by preview.js
        video = page.locator("video")
        video.wait_for(timeout=120000)                         # the page reloads when the render is done
        assert page.get_by_role("status").first.inner_text().startswith("The 16:9 draft is ready")
        assert page.locator("track[kind=captions]").count() == 1
        ready = page.evaluate("""async () => {
            const v = document.querySelector('video');
            if (v.readyState < 1) await new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}));
            const t = v.textTracks[0]; t.mode = 'showing';
            return {duration: v.duration, width: v.videoWidth};
        }""")
        assert ready["width"] == 256 and ready["duration"] > 10
    finally:
        context.close()


def test_build_the_site_button_shows_progress_then_what_was_published(browser, studio):
    context, page = opened(browser, studio)
    try:
        page.goto(studio.base + "/stories")
        page.get_by_role("button", name="Build the site").click()
        page.locator("#publish-progress").wait_for()
        page.get_by_text("1 story is on the site:").wait_for(timeout=120000)
        assert "build/site/stories/time-to-listen/index.html" in page.locator(".published").inner_text()
        page.locator("#publish").scroll_into_view_if_needed()
    finally:
        context.close()
    assert (studio.studio.workspace.root / "build" / "site" / "stories" / "time-to-listen" / "index.html").is_file()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zero_axe_violations_on_the_preview_screens(browser, studio, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context, page = opened(browser, studio, scheme)
    problems = []
    try:
        for name, path in SCREENS.items():
            page.goto(studio.base + path)
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                             "resultTypes": ["violations"]})
            if results.violations_count:
                problems.append(f"--- {name} ({scheme}) ---\n" + results.generate_report())
    finally:
        context.close()
    assert not problems, "\n".join(problems)
