"""The start and callback pages in a real browser (Debian's chromium via Playwright), consent page included."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from bot.linking import CALLBACK_PATH
from bot.sandbox.planetscale.oauth import ConsentPage
from tests.linking.conftest import ALICE_SLACK, TEAM, Rig
from tests.support.browser import browser_page

__all__ = ["browser_page"]

pytestmark = pytest.mark.browser


async def test_a_person_links_through_the_pages_in_a_browser(rig: Rig, browser_page: Page) -> None:
    rig.oauth.consent = ConsentPage()

    await browser_page.goto(await rig.start_url())
    assert await browser_page.title() == "Link your PlanetScale account · pscale-bot"
    continue_button = browser_page.get_by_role("button", name="Continue to PlanetScale")
    await continue_button.click()

    await browser_page.wait_for_url("**/oauth/authorize?**")
    await browser_page.get_by_label("Bob Builder").check()
    await browser_page.get_by_role("button", name="Approve").click()

    await browser_page.wait_for_url(f"**{CALLBACK_PATH}?**")
    assert await browser_page.get_by_role("heading").inner_text() == "Linked"
    assert "Bob Builder" in await browser_page.locator("main").inner_text()
    [cookie] = [cookie for cookie in await browser_page.context.cookies() if cookie["name"] == "pscale_link_browser"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/oauth/planetscale"
    assert await (await rig.linking()).has_active_grant(TEAM, ALICE_SLACK)

    # The same tab going back to the callback (a reload, the back button) is told plainly that it was used.
    response = await browser_page.reload()
    assert response is not None
    assert response.status == 400
    assert "invalid_state" in await browser_page.locator("main").inner_text()
    assert "/pscale login" in await browser_page.locator("main").inner_text()


async def test_a_used_ticket_and_a_foreign_callback_show_clear_pages(rig: Rig, browser_page: Page) -> None:
    start_url = await rig.start_url()
    await browser_page.goto(start_url)
    await browser_page.get_by_role("button", name="Continue to PlanetScale").click()
    await browser_page.wait_for_url(f"**{CALLBACK_PATH}?**")  # auto-approved: straight back, linked

    response = await browser_page.goto(start_url)
    assert response is not None
    assert response.status == 400
    assert await browser_page.get_by_role("heading").inner_text() == "This link no longer works"

    await browser_page.context.clear_cookies()
    response = await browser_page.goto(f"{rig.base_url}{CALLBACK_PATH}?code=abc&state=def")
    assert response is not None
    assert response.status == 400
    assert "invalid_browser" in await browser_page.locator("main").inner_text()
