"""The whole journey of issue 13 in real headless Chromium (Debian's package), from a fresh
project to a published page, touching no file by hand: open the studio with its key; filter
the library to a theme and a role; compose a new story from three excerpts of different
sources with bridge text, watching the live rules panel go from failing to passing; save;
check passes; approve; preview the page and the video (a draft render); build the site from
the studio; the story's page is in build/site/ and is the page the studio previewed.

With STORYGEN_STUDIO_SCREENSHOTS=docs/images it saves the composer, preview, storyboard and
publish screenshots docs/studio.md and the README show."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).parent))
from browserkit import BROWSER_MARKS, CHROMIUM_ARGS, launch  # noqa: E402
from studiokit import running  # noqa: E402
from test_studio_browser import shot  # noqa: E402
from test_studio_preview import small_project  # noqa: E402

pytestmark = BROWSER_MARKS
SLUG = "the-waiting-room"


@pytest.fixture(scope="module")
def browser():
    yield from launch(CHROMIUM_ARGS)


def test_a_new_story_from_the_library_to_the_published_site(browser, tmp_path):
    root = small_project(tmp_path / "proj")
    story_file = root / "narratives" / "stories" / f"{SLUG}.md"
    published = root / "build" / "site" / "stories" / SLUG / "index.html"
    with running(root) as studio:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            # 1. The address `storygen studio` printed: the key becomes a cookie and leaves the address bar.
            page.goto(studio.address)
            assert page.url == f"{studio.base}/library"

            # 2. The library, filtered to a theme and a role.
            page.get_by_label("Theme", exact=True).select_option(label="Turning off targets")
            page.get_by_label("Role", exact=True).select_option("staff")
            page.get_by_role("button", name="Show excerpts").click()
            page.wait_for_load_state()
            titles = page.locator(".excerpt-title a").all_inner_texts()
            assert {"S01-03", "S02-03", "S03-03"} <= set(titles)
            assert not any(t.startswith(("S05", "S06", "S07")) for t in titles)     # community voices left out

            # 3. A new story: three excerpts from three sources and the team's own bridge text.
            page.get_by_role("link", name="New story").click()
            page.get_by_label("Page address").fill(SLUG)
            page.get_by_label("Title").fill("The waiting room")
            page.get_by_label("Summary (one sentence for lists and search)").fill("Time to talk, at last.")
            page.get_by_label("Persona's invented name").fill("Sam")
            page.get_by_label("Persona's role").fill("receptionist")
            page.get_by_label("Turning off targets").check()
            page.get_by_label("Body", exact=False).fill("## The waiting room\n\nSam had time to talk, at last.\n")
            live = page.locator("#live-panel [data-summary]")
            page.locator('input[name="add"][value="S01-03"]').check()
            page.locator('input[name="add"][value="S02-03"]').check()
            expect(live).not_to_have_text(re.compile("^Every rule passes"))         # two sources: too few
            page.locator('input[name="add"][value="S03-03"]').check()
            expect(live).to_have_text(re.compile("^Every rule passes"))
            assert not story_file.exists()                                           # nothing saved yet
            page.evaluate("document.getElementById('live').scrollIntoView()")
            shot(page, "composer")
            page.get_by_role("button", name="Save story").click()

            # 4. The story's page: check passes; approve it.
            assert page.get_by_role("heading", level=1).inner_text() == "The waiting room"
            assert "every rule passes and the privacy guard found nothing" in page.locator("main").inner_text()
            page.get_by_label("Approved for publication").check()
            page.get_by_label("Reviewer (your name or your panel's)").fill("Sam Okafor")
            page.get_by_role("button", name="Save review").click()
            page.wait_for_load_state()
            assert "approved, by Sam Okafor on " in page.locator(".facts").inner_text()

            # 5. The page as the site will publish it.
            page.get_by_role("link", name="Page preview").click()
            assert "exactly as storygen build would publish it" in page.locator("main").inner_text()
            frame = page.frame_locator("iframe.site-preview")
            expect(frame.get_by_role("heading", level=1)).to_have_text("The waiting room")
            assert "Sam had time to talk, at last." in frame.locator("main").inner_text()
            shot(page, "preview")

            # 6. The video, slide by slide, and a draft render to watch.
            page.get_by_role("link", name="Video storyboard").click()
            slides = page.get_by_role("table", name="Slides of the 16:9 video")
            assert "Sam had time to talk, at last." in slides.inner_text()
            page.get_by_role("button", name="Render a draft of the 16:9 video").click()
            page.locator("video").wait_for(timeout=120000)
            assert page.locator("track[kind=captions]").count() == 1
            page.evaluate("document.querySelector('figure.draft-video').scrollIntoView()")
            # Polled with evaluate: wait_for_function compiles its predicate in the page, which
            # the studio's Content-Security-Policy (no 'unsafe-eval') refuses.
            for _ in range(300):
                if page.evaluate("[...document.querySelectorAll('img.still')].slice(0, 3)"
                                 ".every(i => i.complete && i.naturalWidth > 0)"):
                    break
                page.wait_for_timeout(100)
            else:
                pytest.fail("the storyboard's first stills did not load within 30 s")
            shot(page, "storyboard")

            # 7. Build the site from the studio.
            page.get_by_role("link", name="Stories", exact=True).click()
            page.get_by_role("button", name="Build the site").click()
            page.get_by_text("2 stories are on the site:").wait_for(timeout=180000)
            assert f"build/site/stories/{SLUG}/index.html" in page.locator(".published").inner_text()
            page.locator("#publish").scroll_into_view_if_needed()
            shot(page, "publish")

            # 8. The published page is the page the studio previewed.
            preview = page.request.get(f"{studio.base}/preview/published/stories/{SLUG}/")
            assert preview.status == 200
            assert preview.text() == published.read_text(encoding="utf-8")
        finally:
            context.close()
    text = story_file.read_text(encoding="utf-8")
    assert "status: approved" in text and "reviewer: Sam Okafor" in text
    assert text.endswith('{{ excerpt("S01-03") }}\n\n{{ excerpt("S02-03") }}\n\n{{ excerpt("S03-03") }}\n')
