"""The sandbox's App Home and direct messages in Debian's chromium: Alice approves Bob's deploy request from her
Home tab, and Bob reads "approved by @alice" in his direct messages with the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.support.sandbox_page import card, link, send, serve_sandbox

pytestmark = pytest.mark.browser

ALICE = "U0ALICE0001"
BOB = "U0BOB000001"


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    with serve_sandbox(tmp_path / "sandbox") as url:
        yield url


async def test_approving_from_the_home_tab_tells_the_author(browser_page: Page, sandbox_url: str) -> None:
    page = browser_page
    await page.goto(sandbox_url + "/")
    await link(page, "Alice Admin")
    await page.locator("#user-switcher").select_option(BOB)
    await link(page, "Bob Builder")
    await send(page, "/pscale dr create shop add-wishlist")
    await expect(card(page, "add-wishlist → main")).to_contain_text("Waits for an administrator's approval")

    # Alice opens the app, then its Home tab: what waits for her review, with Approve.
    await page.locator("#user-switcher").select_option(ALICE)
    await page.locator("#open-dm").click()
    await page.locator("#tab-home").click()
    home = page.locator("#home-view")
    await expect(home).to_contain_text("Waiting for your review")
    await expect(home.locator(".block.section").first).to_contain_text("shop #6 add-wishlist")  # newest first
    await expect(page.locator("#composer")).to_be_hidden()  # a Home tab takes no messages
    await home.locator("[data-action-id=dr_approve]").first.click()  # the Approve under shop #6
    await expect(home).to_contain_text("Approved shop #6")  # the answer, on top of her Home published again

    # Bob's Messages tab: one direct message from the app.
    await page.locator("#user-switcher").select_option(BOB)
    await page.locator("#open-dm").click()
    await expect(page.locator("#messages")).to_contain_text("was approved by @alice")
    await page.locator("#tab-home").click()
    await expect(page.locator("#home-view")).to_contain_text("Your deploy requests")
    await expect(page.locator("#home-view")).to_contain_text("add-wishlist")
