"""`pscale-bot sandbox` as a person meets it: the page, a command, the bot's answer, linking through the consent
page — in Debian's chromium, against the same app the CLI serves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from bot.config import load_settings
from bot.sandbox.app import build_sandbox_app
from tests.support.servers import bind_loopback, serve_asgi


@contextmanager
def serve_sandbox(tmp_path: Path, *, without_scopes: tuple[str, ...] = ()) -> Iterator[str]:
    sock = bind_loopback()
    port = sock.getsockname()[1]
    settings = load_settings(_env_file=None, bot_database=str(tmp_path / "sandbox" / "bot.sqlite3"))
    app = build_sandbox_app(port=port, settings=settings, without_scopes=without_scopes)
    with serve_asgi(app, sock=sock) as url:
        yield url


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    with serve_sandbox(tmp_path) as url:
        yield url
    key_file = tmp_path / "sandbox" / "sandbox-encryption.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


async def _send(page: Page, text: str) -> None:
    box = page.locator("textarea").first
    await box.fill(text)
    await box.press("Enter")


async def test_the_sandbox_answers_help_from_its_page(browser_page: Page, sandbox_url: str) -> None:
    await browser_page.goto(sandbox_url + "/")
    await _send(browser_page, "/pscale help branch")
    await expect(browser_page.get_by_text("Only visible to you").last).to_be_visible()
    await expect(browser_page.get_by_text("branch create DB BRANCH", exact=False).first).to_be_visible()


async def _link_as(browser_page: Page, person: str) -> None:
    """`/pscale whoami`, the link button, the start page, PlanetScale's consent page signed in as `person`."""
    await _send(browser_page, "/pscale whoami")
    link_button = browser_page.locator("[data-action-id=link_account]").last
    await expect(link_button).to_be_visible()
    async with browser_page.context.expect_page() as opened:
        await link_button.click()
    start = await opened.value
    await start.wait_for_load_state()
    await start.get_by_role("button").first.click()  # "Continue to PlanetScale"
    await start.get_by_label(person, exact=False).check()
    await start.get_by_role("button", name="Approve").click()
    await expect(start.get_by_text(person, exact=False).first).to_be_visible()
    assert "/oauth/planetscale/callback" in start.url
    await start.close()


async def test_a_person_links_through_the_consent_page_and_whoami_answers(
    browser_page: Page, sandbox_url: str
) -> None:
    await browser_page.goto(sandbox_url + "/")
    await _link_as(browser_page, "Bob Builder")
    await _send(browser_page, "/pscale whoami")
    await expect(browser_page.get_by_text("bob@acme.example.com", exact=False)).to_be_visible()


async def test_a_card_is_posted_approved_and_deployed_from_the_page(browser_page: Page, sandbox_url: str) -> None:
    await browser_page.goto(sandbox_url + "/")
    await _link_as(browser_page, "Bob Builder")
    await _send(browser_page, "/pscale dr post shop 1")
    approve = browser_page.locator("[data-action-id=dr_approve]").last
    await expect(approve).to_be_visible()
    await approve.click()
    await expect(browser_page.get_by_text("Approved by Bob Builder", exact=False).first).to_be_visible()
    await browser_page.locator("[data-action-id=dr_deploy]").last.click()
    await browser_page.locator("#confirm-ok").click()  # Slack's own confirm dialog, as the emulator draws it
    await expect(browser_page.get_by_text("Queued for deployment", exact=False).first).to_be_visible()
    await expect(browser_page.locator("[data-action-id=dr_cancel]").last).to_be_visible()
    # A link to a deploy request, pasted in the channel, unfurls as the same live card.
    await _send(browser_page, "have a look: https://app.planetscale.com/acme/analytics/deploy-requests/2")
    unfurl = browser_page.locator(".unfurl").last
    await expect(unfurl.get_by_text("analytics #2 events-rollup", exact=False)).to_be_visible()
    await expect(unfurl.locator("[data-action-id=dr_apply]")).to_be_visible()


async def test_a_sandbox_without_a_scope_shows_what_the_bot_says_then(browser_page: Page, tmp_path: Path) -> None:
    with serve_sandbox(tmp_path, without_scopes=("chat:write",)) as url:
        await browser_page.goto(url + "/")
        await _link_as(browser_page, "Bob Builder")
        await _send(browser_page, "/pscale dr post shop 1")
        await expect(browser_page.get_by_text("lacks the chat:write scope", exact=False).first).to_be_visible()
