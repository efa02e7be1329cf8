"""The sandbox as a person uses it: served like `pscale-bot sandbox` serves it, and driven through its page.

    with serve_sandbox(tmp_path) as url:
        await page.goto(url + "/")
        await link(page, "Bob Builder")
        await send(page, "/pscale dr post shop 1")

`scripts/sandbox_screenshot.py` drives the page the same way for the README's picture.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from bot.config import load_settings
from bot.sandbox.app import build_sandbox_app, sandbox_internal_url
from bot.sandbox.planetscale import World
from tests.support.servers import bind_loopback, serve_asgi


@contextmanager
def serve_sandbox(
    data_dir: Path, *, host: str = "127.0.0.1", without_scopes: tuple[str, ...] = (), world: World | None = None,
    reconcile: bool = True, **settings: str,
) -> Iterator[str]:
    """The sandbox app listening on `host` (a free port), keeping its files in `data_dir`; yields where this
    machine reaches it. `without_scopes`: the Slack scopes its app was installed without; `world`: the PlanetScale
    it serves (default: the demo world); `reconcile=False`: cards move only with clicks and webhook deliveries."""
    sock = bind_loopback(host)
    port = sock.getsockname()[1]
    loaded = load_settings(_env_file=None, bot_database=str(data_dir / "bot.sqlite3"), **settings)
    app = build_sandbox_app(
        host=host, port=port, settings=loaded, without_scopes=without_scopes, world=world, reconcile=reconcile
    )
    with serve_asgi(app, sock=sock):
        yield sandbox_internal_url(host=host, port=port)


async def send(page: Page, text: str) -> None:
    """Type into the channel's message box and press Enter, as a person would."""
    box = page.locator("#composer-input")
    await box.fill(text)
    await box.press("Enter")


async def link(page: Page, person: str, *, grant_webhooks: bool = False) -> None:
    """`/pscale login`, the link button, the start page, PlanetScale's consent page signed in as `person`
    (`grant_webhooks`: also ticking the box that lets the bot create webhooks, for `/pscale watch`). Acting in
    Slack as that same person: a link completes only for the Slack user with the PlanetScale account's email."""
    switcher = page.locator("#user-switcher")
    await switcher.select_option(await switcher.locator("option", has_text=person).first.get_attribute("value"))
    await send(page, "/pscale login")
    await follow_link_button(page, person, grant_webhooks=grant_webhooks)


async def follow_link_button(page: Page, person: str, *, grant_webhooks: bool = False) -> None:
    """The newest link button on the page, through to the page that says the account is linked."""
    link_button = page.locator("[data-action-id=link_account]").last
    await expect(link_button).to_be_visible()
    async with page.context.expect_page() as opened:
        await link_button.click()
    start = await opened.value
    await start.wait_for_load_state()
    await start.get_by_role("button").first.click()  # "Continue to PlanetScale"
    await start.get_by_label(person, exact=False).check()
    if grant_webhooks:
        await start.get_by_label("create webhooks", exact=False).check()  # organization:write_databases
    await start.get_by_role("button", name="Approve").click()
    await expect(start.get_by_text(person, exact=False).first).to_be_visible()
    assert "/oauth/planetscale/callback" in start.url
    await start.close()


def card(page: Page, title: str) -> Locator:
    """The live card in the channel whose title reads `title` (not its copy in an open thread, nor a reply that
    mentions it): a card is the message with a Refresh button."""
    return page.locator("#messages .msg").filter(has=page.locator("[data-action-id=dr_refresh]")).filter(
        has_text=title
    )


# The sandbox's own clock runs: a deployment takes its real seconds (bot/sandbox/planetscale/world.py DeployTimings)
# and the card is read again every few seconds while it runs. A generous wait, not a measure of speed.
DEPLOYED_WITHIN_MS = 90_000


async def deploy_shop_1(page: Page) -> Locator:
    """The headline demo, by someone already linked: post shop #1, approve it, deploy it, wait for "Deployed"."""
    await send(page, "/pscale dr post shop 1")
    shop_1 = card(page, "shop #1 add-orders-index")
    await shop_1.locator("[data-action-id=dr_approve]").click()
    await expect(shop_1).to_contain_text("Approved by")
    await shop_1.locator("[data-action-id=dr_deploy]").click()
    await page.locator("#confirm-ok").click()  # Slack's own confirm dialog, as the page draws it
    await expect(shop_1).to_contain_text("Deployed; can still be reverted", timeout=DEPLOYED_WITHIN_MS)
    return shop_1
