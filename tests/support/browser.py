"""A real browser for tests: Playwright driving Debian's chromium (never a downloaded browser).

    from tests.support.browser import browser_page   # in a conftest.py, or import the fixture in the test module

    @pytest.mark.browser
    async def test_page(browser_page: Page) -> None:
        await browser_page.goto(url)

chromium missing is a failure with instructions, not a skip: a skipped browser test would hide a broken page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000


@asynccontextmanager
async def chromium_page(profile: Path, *, width: int = 1200, height: int = 800) -> AsyncIterator[Page]:
    """A page of Debian's chromium in a fresh profile at `profile`, closed on leaving (scripts use it too)."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            yield context.pages[0] if context.pages else await context.new_page()
        finally:
            await context.close()


@pytest.fixture
async def browser_page(tmp_path: Path) -> AsyncIterator[Page]:
    """A fresh page in a fresh profile (its own user-data dir under `tmp_path`), closed after the test."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`); "
                    "the browser tests never download Playwright's own browser")
    async with chromium_page(tmp_path / "chromium-profile") as page:
        yield page
