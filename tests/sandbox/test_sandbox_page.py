"""`pscale-bot sandbox` as a newcomer meets it, in Debian's chromium against the same app the CLI serves: the
greeting, linking through the consent page, a deploy request opened through the form and its menus, approved by
a second person, deployed until the card says so, its diff; the branch form's pickers; a shared link; Reset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.support.sandbox_page import (
    DEPLOYED_WITHIN_MS,
    card,
    deploy_shop_1,
    follow_link_button,
    link,
    send,
    serve_sandbox,
)

pytestmark = pytest.mark.browser

BOB = "U0BOB000001"


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    with serve_sandbox(tmp_path / "sandbox") as url:
        yield url
    key_file = tmp_path / "sandbox" / "sandbox-encryption.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


async def test_the_first_run_path(browser_page: Page, sandbox_url: str) -> None:
    page = browser_page
    await page.goto(sandbox_url + "/")

    # A new visitor is greeted with what to try; a suggested command fills the message box.
    welcome = page.get_by_role("region", name="What to try")
    await expect(welcome).to_contain_text("/pscale dr create")
    await welcome.get_by_role("button", name="/pscale login", exact=True).click()
    await expect(page.locator("#composer-input")).to_have_value("/pscale login")
    await page.locator("#composer-input").press("Enter")
    await follow_link_button(page, "Alice Admin")
    # "Linked as …" arrives in the direct messages with the app, which the sidebar marks as unread.
    await expect(page.locator("#dm-unread")).to_have_text("1")
    await page.locator("#open-dm").click()
    await expect(page.locator("#messages")).to_contain_text("Linked as Alice Admin")
    await expect(page.locator("#dm-unread")).to_be_hidden()
    await page.locator("#open-channel").click()

    # `dr create` through its form: the branch menu appears once a database is chosen; both load from the bot.
    await send(page, "/pscale dr create")
    modal = page.locator("#modal-overlay")
    await modal.locator("input[data-action-id=dr_create_database]").click()
    await modal.locator(".ext-option", has_text="shop").click()
    await modal.locator("input[data-action-id=dr_create_branch]").click()
    await modal.locator(".ext-option", has_text="add-wishlist").click()
    await modal.get_by_label("Notes for reviewers").fill("Wishlists, phase 1")
    await expect(modal.get_by_label("PlanetScale's default")).to_be_checked()
    await modal.get_by_label("Apply the changes as soon as the deployment is ready").check()
    await page.locator("#modal-submit").click()
    await expect(modal).to_be_hidden()
    posted = card(page, "add-wishlist → main")
    await expect(posted).to_contain_text("Waits for an administrator's approval")  # shop requires one
    await expect(posted).to_contain_text("Wishlists, phase 1")

    # shop needs an admin's approval, not the author's own: a second person links and approves.
    await page.locator("#user-switcher").select_option(BOB)
    await link(page, "Bob Builder")
    await posted.locator("[data-action-id=dr_approve]").click()
    await expect(posted).to_contain_text("Approved by @bob")  # Bob linked his Slack account: named as himself
    await posted.locator("[data-action-id=dr_deploy]").click()
    await expect(page.locator("#confirm-overlay")).to_be_visible()  # Slack's own confirm dialog
    await page.locator("#confirm-ok").click()
    await expect(posted).to_contain_text("Deployed; can still be reverted", timeout=DEPLOYED_WITHIN_MS)
    await expect(posted.locator("[data-action-id=dr_skip_revert]")).to_be_visible()

    # The history went into the card's thread.
    await posted.locator(".thread-link").click()
    await expect(page.locator("#thread-pane")).to_contain_text("Approved by @bob")
    await expect(page.locator("#thread-pane")).to_contain_text("Now: Deployed; can still be reverted.")

    await posted.locator("[data-action-id=dr_diff]").click()
    await expect(modal).to_contain_text("CREATE TABLE `wishlist_items`")


async def test_the_headline_demo_has_nothing_in_its_way(browser_page: Page, sandbox_url: str) -> None:
    page = browser_page
    await page.goto(sandbox_url + "/")
    await link(page, "Alice Admin")
    shop_1 = await deploy_shop_1(page)  # shop's deploy queue is free: it starts at once
    await shop_1.locator("[data-action-id=dr_skip_revert]").click()
    await page.locator("#confirm-ok").click()
    await expect(shop_1).not_to_contain_text("can still be reverted")
    await expect(shop_1).to_contain_text("Deployed")
    await expect(shop_1.locator("[data-action-id=dr_revert]")).to_have_count(0)


async def test_the_sandbox_answers_help_from_its_page(browser_page: Page, sandbox_url: str) -> None:
    await browser_page.goto(sandbox_url + "/")
    await send(browser_page, "/pscale help branch")
    await expect(browser_page.get_by_text("Only visible to you").last).to_be_visible()
    await expect(browser_page.get_by_text("branch create DB BRANCH", exact=False).first).to_be_visible()


async def test_the_branch_form_offers_the_parent_branch(browser_page: Page, sandbox_url: str) -> None:
    page = browser_page
    await page.goto(sandbox_url + "/")
    await link(page, "Carol Member")
    await send(page, "/pscale branch create")
    modal = page.locator("#modal-overlay")
    await modal.locator("input[data-action-id]").first.click()
    await modal.locator(".ext-option", has_text="analytics").click()
    parent = modal.get_by_label("Branch off")
    await parent.click()
    await expect(modal.locator(".ext-option", has_text="events-rollup")).to_be_visible()


async def test_a_shared_link_unfurls_as_a_live_card(browser_page: Page, sandbox_url: str) -> None:
    await browser_page.goto(sandbox_url + "/")
    await link(browser_page, "Bob Builder")
    await send(browser_page, "have a look: https://app.planetscale.com/acme/analytics/deploy-requests/2")
    unfurl = browser_page.locator(".unfurl").last
    await expect(unfurl.get_by_text("analytics #2 events-rollup", exact=False)).to_be_visible()
    await expect(unfurl.locator("[data-action-id=dr_apply]")).to_be_visible()


async def test_a_sandbox_without_a_scope_shows_what_the_bot_says_then(browser_page: Page, tmp_path: Path) -> None:
    with serve_sandbox(tmp_path / "sandbox", without_scopes=("chat:write",)) as url:
        await browser_page.goto(url + "/")
        await link(browser_page, "Bob Builder")
        await send(browser_page, "/pscale dr post shop 1")
        await expect(browser_page.get_by_text("lacks the chat:write scope", exact=False).first).to_be_visible()


async def test_reset_puts_the_sandbox_back_as_it_was(browser_page: Page, sandbox_url: str) -> None:
    page = browser_page
    await page.goto(sandbox_url + "/")
    await page.get_by_role("button", name="Got it").click()
    await link(page, "Alice Admin")
    await send(page, "/pscale dr post shop 1")
    await card(page, "shop #1").locator("[data-action-id=dr_approve]").click()
    await expect(card(page, "shop #1")).to_contain_text("Approved by @alice")

    await page.locator("#reset").click()
    await page.locator("#confirm-ok").click()
    await expect(page.locator("#messages .msg")).to_have_count(0)
    await expect(page.get_by_role("region", name="What to try")).to_be_visible()
    await send(page, "/pscale dr post shop 1")  # nobody is linked any more
    await expect(page.locator("[data-action-id=link_account]")).to_be_visible()
    await link(page, "Alice Admin")
    await send(page, "/pscale dr post shop 1")
    await expect(card(page, "shop #1")).not_to_contain_text("Approved by")  # PlanetScale is seeded afresh
