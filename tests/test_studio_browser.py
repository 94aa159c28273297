"""The studio in real headless Chromium (Debian's package) via Playwright: a comms officer's
journey through the library, and zero axe-core violations (WCAG 2.2 AA) on every studio
screen in light and dark. Skips with a reason when /usr/bin/chromium is absent."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from click.testing import CliRunner  # noqa: E402
from projectkit import edit, write_project  # noqa: E402

from storygen.cli import main  # noqa: E402
from studiokit import running  # noqa: E402

from browserkit import AXE_TAGS, BROWSER_MARKS, CHROMIUM_ARGS  # noqa: E402
from browserkit import launch  # noqa: E402

pytestmark = BROWSER_MARKS
SCREENS = {"library": "/library", "library filtered": "/library?theme=working-together&role=community",
           "excerpt": "/excerpts/S01-01", "stories": "/stories", "story": "/stories/time-to-listen",
           "new story": "/compose", "composer": "/stories/time-to-listen/edit",
           "new story from a draft": "/compose/draft?theme=turning-off-targets",
           "a draft refused": "/compose/draft?theme=working-together&role=nobody"}
# STORYGEN_STUDIO_SCREENSHOTS=docs/images: the journeys save the screenshots docs/studio.md shows.
SHOTS = os.environ.get("STORYGEN_STUDIO_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"studio-{name}.png"), full_page=False)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("studio-browser") / "proj")
    with running(root) as studio:
        yield studio


@pytest.fixture(scope="module")
def browser():
    yield from launch(CHROMIUM_ARGS)


def opened(browser, studio, scheme: str = "light", javascript: bool = True):
    context = browser.new_context(color_scheme=scheme, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(studio.address)
    return context, page


def test_comms_officer_filters_the_library_to_a_theme_and_role_without_javascript(browser, studio):
    context, page = opened(browser, studio, javascript=False)
    try:
        assert page.url == f"{studio.base}/library"              # the key left the address bar
        assert page.get_by_role("heading", level=1).inner_text() == "Excerpt library"
        page.get_by_label("Theme", exact=True).select_option(label="Working together")
        page.get_by_label("Role", exact=True).select_option("community")
        page.get_by_label("Usable for").select_option("video")
        page.get_by_role("button", name="Show excerpts").click()
        page.wait_for_load_state()
        assert page.get_by_role("status").inner_text() == "4 excerpts found."
        shot(page, "library")
        titles = page.locator(".excerpt-title a").all_inner_texts()
        assert titles == ["S05-01", "S05-02", "S06-01", "S06-02"]
        page.get_by_role("link", name="S05-01").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Excerpt S05-01"
        assert "usable for site, video, report" in page.locator(".facts").inner_text()
    finally:
        context.close()


def test_comms_officer_composes_a_story_and_watches_the_rules_pass(browser, studio):
    path = studio.studio.workspace.root / "narratives" / "stories" / "three-voices.md"
    context, page = opened(browser, studio)
    try:
        page.get_by_role("link", name="New story").click()
        assert page.get_by_role("heading", level=1).inner_text() == "New story"
        page.get_by_label("Page address").fill("three-voices")
        page.get_by_label("Title").fill("Three voices")
        page.get_by_label("Persona's invented name").fill("Alex")
        page.get_by_label("Turning off targets").check()
        page.locator('input[name="add"][value="S01-03"]').check()
        page.locator('input[name="add"][value="S02-03"]').check()
        page.get_by_label("Body", exact=False).fill("## Time\n\nAlex had time, at last.")
        page.get_by_role("button", name="Save story").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Three voices"
        rules = page.get_by_role("table", name="The composite's numbers against the project's limits")
        assert "add excerpts from 1 more source(s)" in rules.inner_text()
        assert not page.get_by_label("Approved for publication").is_enabled()

        page.get_by_role("link", name="Edit this story in the composer").click()
        page.locator('input[name="add"][value="S03-03"]').check()
        page.get_by_role("button", name="Save story").click()
        assert page.get_by_role("status").inner_text().startswith("Saved.")
        assert page.locator(".rules .bad").count() == 0
        assert "every rule passes and the privacy guard found nothing" in page.locator("main").inner_text()
        assert page.get_by_label("Approved for publication").is_enabled()
        assert path.read_text().endswith('{{ excerpt("S01-03") }}\n\n{{ excerpt("S02-03") }}\n\n'
                                         '{{ excerpt("S03-03") }}\n')
    finally:
        context.close()


def test_cookie_is_not_readable_by_scripts(browser, studio):
    context, page = opened(browser, studio)
    try:
        assert page.evaluate("document.cookie") == ""
        assert any(c["httpOnly"] and c["sameSite"] == "Strict" for c in context.cookies())
    finally:
        context.close()


def test_keyboard_reaches_the_skip_link_then_the_navigation(browser, studio):
    context, page = opened(browser, studio)
    try:
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "q"   # first control in main: the search box
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zero_axe_violations_on_every_studio_screen(browser, studio, scheme):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context, page = opened(browser, studio, scheme)
    problems = []
    try:
        for name, path in SCREENS.items():
            page.goto(studio.base + path)
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                             "resultTypes": ["violations"]})
            if results.violations_count:
                problems.append(f"--- {name} ({scheme}) ---\n" + results.generate_report())
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_reviewer_approves_a_story_and_the_build_publishes_it(browser, tmp_path):
    root = write_project(tmp_path / "proj")
    edit(root / "narratives" / "stories" / "time-to-listen.md", "status: approved", "status: draft")
    with running(root) as studio:
        context, page = opened(browser, studio)
        try:
            page.get_by_role("link", name="Stories", exact=True).click()
            page.get_by_role("link", name="Time to listen").click()
            assert page.get_by_role("heading", level=1).inner_text() == "Time to listen"
            assert "Nothing: every rule passes" in page.locator("main").inner_text()
            page.get_by_label("Approved for publication").check()
            page.get_by_label("Reviewer (your name or your panel's)").fill("Sam Okafor")
            page.get_by_role("button", name="Save review").click()
            page.wait_for_load_state()
            assert page.get_by_role("status").inner_text().startswith("Saved.")
            assert "approved, by Sam Okafor on " in page.locator(".facts").inner_text()
            shot(page, "review")
        finally:
            context.close()
    # The studio wrote the plain file; the CLI publishes it.
    text = (root / "narratives" / "stories" / "time-to-listen.md").read_text()
    assert "status: approved\nreviewer: Sam Okafor\nreviewed_on: " in text
    result = CliRunner().invoke(main, ["build", "--project", str(root), "--only", "site"])
    assert result.exit_code == 0, result.output
    published = root / "build" / "site" / "stories" / "time-to-listen" / "index.html"
    assert "Time to listen" in published.read_text()
