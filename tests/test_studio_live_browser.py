"""The composer's live panels and segment view in real headless Chromium (Debian's package):
typing changes the rules panel without saving; a segment moved with the keyboard alone is
saved in its new place; axe-core finds nothing in light and dark with the panels shown."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).parent))
from projectkit import write_project  # noqa: E402
from studiokit import running  # noqa: E402

from browserkit import AXE_TAGS, BROWSER_MARKS, CHROMIUM_ARGS, launch  # noqa: E402
from storygen.studio import segments  # noqa: E402
from test_studio_browser import shot  # noqa: E402  (STORYGEN_STUDIO_SCREENSHOTS=docs/images)

pytestmark = BROWSER_MARKS


@pytest.fixture
def studio(tmp_path):
    with running(write_project(tmp_path / "proj")) as studio:
        yield studio


@pytest.fixture(scope="module")
def browser():
    yield from launch(CHROMIUM_ARGS)


def opened(browser, studio, path: str, scheme: str = "light", javascript: bool = True):
    context = browser.new_context(color_scheme=scheme, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(studio.address)
    page.goto(studio.base + path)
    return context, page


def summary(page) -> str:
    return page.locator("#live-panel [data-summary]").inner_text()


def test_typing_bridge_text_turns_a_failing_rule_to_passing_without_saving(browser, studio):
    stories = studio.studio.workspace.root / "narratives" / "stories"
    context, page = opened(browser, studio, "/compose")
    try:
        page.get_by_label("Page address").fill("three-voices")
        page.get_by_label("Title").fill("Three voices")
        page.get_by_label("Persona's invented name").fill("Alex")
        page.get_by_label("Turning off targets").check()
        calls = '{{ excerpt("S01-03") }}\n\n{{ excerpt("S02-03") }}\n\n{{ excerpt("S03-03") }}\n'
        body = page.get_by_label("Body", exact=False)
        body.fill("Alex " + "kept on talking " * 60 + "\n\n" + calls)
        expect(page.locator("#live-panel [data-summary]")).to_contain_text("C3")
        assert page.locator("#live-announce").inner_text() == summary(page)   # said once, politely
        # Replace the long paragraph with a short one, typed key by key.
        body.fill(calls)
        body.press("Control+Home")
        body.press_sequentially("Alex had time, at last.\n\n", delay=20)
        expect(page.locator("#live-panel [data-summary]")).to_have_text(re.compile("^Every rule passes"))
        assert page.locator("#live-panel .bad").count() == 0
        page.locator("#live-heading").scroll_into_view_if_needed()
        shot(page, "live-panel")
        assert page.get_by_role("table", name="The story as typed, against the project's limits").is_visible()
        assert not (stories / "three-voices.md").exists()          # nothing saved
    finally:
        context.close()


def test_a_segment_moved_with_the_keyboard_alone_is_saved_in_its_new_place(browser, studio):
    path = studio.studio.workspace.root / "narratives" / "stories" / "time-to-listen.md"
    old_body = path.read_text().split("---\n", 2)[2]
    context, page = opened(browser, studio, "/stories/time-to-listen/edit")
    try:
        page.get_by_label("Body", exact=False).focus()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "show-segments"
        page.keyboard.press("Enter")
        page.wait_for_selector("#segment-view:not([hidden]) li.seg")
        assert page.get_by_label("Body", exact=False).is_hidden()
        first = page.locator("li.seg").first
        assert first.locator(".seg-kind").inner_text() == "Heading"
        # Focus is on the first segment's Move up; Tab to its Move down and press it twice.
        assert page.evaluate("document.activeElement.textContent") == "Move up"
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        kinds = page.locator("li.seg .seg-kind").all_inner_texts()
        assert kinds[:3] == ["Your words", "Excerpt S01-01 (S01)", "Heading"]
        # Focus followed the heading: it is the third segment's button that has focus.
        assert page.evaluate("document.activeElement.closest('li').querySelector('.seg-kind').textContent") \
            == "Heading"
        assert page.locator("#live-announce").inner_text() == "Heading moved to position 3 of 7."
        page.locator("#segment-view-heading").scroll_into_view_if_needed()
        shot(page, "segments")
        # Back to the text view: the same body, reordered, nothing lost.
        page.keyboard.press("Shift+Tab")
        page.locator("#show-text").focus()
        page.keyboard.press("Enter")
        parts = segments.split(old_body)
        expected = segments.join(parts, [1, 2, 0, 3, 4, 5, 6])
        assert page.get_by_label("Body", exact=False).input_value() == expected
        page.get_by_role("button", name="Save story").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/stories/time-to-listen?saved=1")
    finally:
        context.close()
    assert path.read_text().split("---\n", 2)[2] == expected


def test_without_javascript_the_body_is_text_and_the_panel_shows_the_saved_story(browser, studio):
    context, page = opened(browser, studio, "/stories/time-to-listen/edit", javascript=False)
    try:
        assert page.get_by_label("Body", exact=False).is_visible()
        assert page.locator("#show-segments").is_hidden()
        assert summary(page).startswith("Every rule passes")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zero_axe_violations_on_the_composer_with_panels_shown(browser, studio, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    context, page = opened(browser, studio, "/compose", scheme)
    try:
        page.get_by_label("Turning off targets").check()
        page.get_by_label("Body", exact=False).fill('## A\n\nWords.\n\n{{ excerpt("S01-03") }}\n\n'
                                                   '{{ excerpts(codes=["working-together"], count=2) }}\n')
        expect(page.locator("#live-panel [data-summary]")).to_contain_text("C4")
        page.locator("#show-segments").click()
        page.wait_for_selector("#segment-view:not([hidden]) li.seg")
        for name in ("new story", "an existing story"):
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                             "resultTypes": ["violations"]})
            if results.violations_count:
                problems.append(f"--- {name} ({scheme}) ---\n" + results.generate_report())
            page.goto(studio.base + "/stories/time-to-listen/edit")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
