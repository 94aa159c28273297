"""What every real-browser test shares: Debian's Chromium, how it is started here, the skip
when it is absent, and the WCAG 2.2 AA rule tags axe-core is run with."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("STORYGEN_CHROMIUM", "/usr/bin/chromium")
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium`"),
]
# Root in CI needs --no-sandbox; this machine's closed network needs no background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def launch(args=CHROMIUM_ARGS):
    """A module's headless Chromium, closed after its last test (use as a fixture body)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        yield instance
        instance.close()
