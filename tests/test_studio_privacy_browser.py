"""The privacy panel in real headless Chromium: a reviewer applies the pseudonym to a flagged
name with one click, sees it undone with another, and the panel (fix buttons, the Undo, an
open sign-off form) has zero axe-core violations in light and dark."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browserkit import AXE_TAGS, BROWSER_MARKS, CHROMIUM_ARGS, launch  # noqa: E402
from studiokit import running  # noqa: E402
from test_studio_browser import shot  # noqa: E402
from test_studio_privacy import PLANTED, STORY, planted_project  # noqa: E402

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser():
    yield from launch(CHROMIUM_ARGS)


def test_a_flagged_name_takes_its_pseudonym_in_one_click_and_comes_back_with_undo(browser, tmp_path):
    root = planted_project(tmp_path)
    path = root / "narratives" / "excerpts" / "S01.yaml"
    before = path.read_bytes()
    with running(root) as studio:
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(studio.address)
            page.goto(studio.base + STORY)
            page.get_by_role("button", name="Use the pseudonym “[my colleague]”").click()
            page.wait_for_url("**/stories/time-to-listen?saved=1&undo=*")
            assert "Replaced “Thandiwe Mbeki” with “[my colleague]” in excerpt S01-01." in page.locator("main").inner_text()
            assert PLANTED.replace("Thandiwe Mbeki", "[my colleague]") in path.read_text()
            page.locator("details.signoff summary").first.click()
            shot(page, "privacy")
            page.get_by_role("button", name="Undo this fix").click()
            page.wait_for_url("**/stories/time-to-listen?saved=1#privacy")
            assert path.read_bytes() == before
        finally:
            context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zero_axe_violations_on_the_privacy_panel(browser, tmp_path, scheme):
    from axe_playwright_python.sync_playwright import Axe

    root = planted_project(tmp_path)
    with running(root) as studio:
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        try:
            page.goto(studio.address)
            page.goto(studio.base + STORY)
            page.get_by_role("button", name="Generalise the place").first.click()
            page.wait_for_url("**undo=*")
            for summary in page.locator("details.signoff summary").all():
                summary.click()
            assert page.get_by_role("button", name="Undo this fix").is_visible()
            results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                               "resultTypes": ["violations"]})
            assert not results.violations_count, results.generate_report()
        finally:
            context.close()
