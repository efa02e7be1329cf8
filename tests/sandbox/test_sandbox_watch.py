"""`watch` in the sandbox, in a real browser: a person grants webhooks on PlanetScale's consent page, watches a
database, deploys from the card, and the stand-in's own deliveries alone (no reconciler) carry the card through
the queue, the copy, the revert window and to deployed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from bot.config import load_settings
from bot.sandbox.app import build_sandbox_app
from bot.sandbox.planetscale import World, demo_world
from tests.support.servers import bind_loopback, serve_asgi

TABLES = {"visits": "CREATE TABLE `visits` (`id` bigint NOT NULL, PRIMARY KEY (`id`))"}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[str, World]]:
    """The sandbox app with its demo world in hand, and a database of its own for this test, `watched`, with one
    deploy request (#1) ready to deploy."""
    world, people = demo_world()
    world.add_database("acme", "watched", tables=TABLES)
    world.create_branch("acme", "watched", name="add-visitor", actor_id=people.member.id)
    world.change_schema("acme", "watched", "add-visitor", table="visits",
                        ddl="ALTER TABLE `visits` ADD COLUMN `visitor` varchar(64)",
                        create_sql="CREATE TABLE `visits` (`id` bigint NOT NULL, `visitor` varchar(64))")
    world.create_deploy_request("acme", "watched", actor_id=people.member.id, branch="add-visitor", auto_cutover=True)
    sock = bind_loopback()
    settings = load_settings(_env_file=None, bot_database=str(tmp_path / "sandbox" / "bot.sqlite3"))
    app = build_sandbox_app(port=sock.getsockname()[1], settings=settings, world=world, reconcile=False)
    with serve_asgi(app, sock=sock) as url:
        yield url, world


async def _send(page: Page, text: str) -> None:
    box = page.locator("textarea").first
    await box.fill(text)
    await box.press("Enter")


async def _link_granting_webhooks(page: Page, person: str) -> None:
    await _send(page, "/pscale whoami")
    async with page.context.expect_page() as opened:
        await page.locator("[data-action-id=link_account]").last.click()
    start = await opened.value
    await start.wait_for_load_state()
    await start.get_by_role("button").first.click()  # "Continue to PlanetScale"
    await start.get_by_label(person, exact=False).check()
    await start.get_by_label("create webhooks", exact=False).check()  # organization:write_databases
    await start.get_by_role("button", name="Approve").click()
    await expect(start.get_by_text(person, exact=False).first).to_be_visible()
    await start.close()


def _card(page: Page) -> Locator:
    return page.locator(".msg", has_text="watched #1 add-visitor → main").last


async def test_watch_in_the_sandbox_moves_the_card_from_deliveries_alone(
    browser_page: Page, sandbox: tuple[str, World]
) -> None:
    url, world = sandbox
    await browser_page.goto(url + "/")
    await _link_granting_webhooks(browser_page, "Alice Admin")
    await _send(browser_page, "/pscale watch watched")
    await expect(browser_page.get_by_text("Watching", exact=False).last).to_be_visible()
    await _send(browser_page, "/pscale dr post watched 1")
    card = _card(browser_page)
    await expect(card.get_by_text("Ready to deploy")).to_be_visible()

    await card.locator("[data-action-id=dr_deploy]").click()
    await browser_page.locator("#confirm-ok").click()
    # From here on nobody clicks: PlanetScale's deliveries redraw the card.
    await expect(card.get_by_text("Deploying", exact=False)).to_be_visible(timeout=20_000)
    await expect(card.get_by_text("Can be reverted until", exact=False)).to_be_visible(timeout=30_000)
    world.advance(world.timings.revert_window_seconds)  # half an hour later
    await expect(card.get_by_text(re.compile(r"^Deployed$"))).to_be_visible(timeout=20_000)
    await expect(card.locator("[data-action-id=dr_revert]")).to_have_count(0)
