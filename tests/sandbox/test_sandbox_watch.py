"""`watch` in the sandbox, in a real browser: a person grants webhooks on PlanetScale's consent page, watches a
database, deploys from the card, and the stand-in's own deliveries alone (no reconciler) carry the card through
the queue, the copy, the revert window and to deployed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from bot.sandbox.planetscale import World, demo_world
from tests.support.sandbox_page import card, link, send, serve_sandbox

pytestmark = pytest.mark.browser

TABLES = {"visits": "CREATE TABLE `visits` (`id` bigint NOT NULL, PRIMARY KEY (`id`))"}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[str, World]]:
    """The sandbox with its world in hand, and a database of its own for this test, `watched`, with one deploy
    request (#1) ready to deploy."""
    world, people = demo_world()
    world.add_database("acme", "watched", tables=TABLES)
    world.create_branch("acme", "watched", name="add-visitor", actor_id=people.member.id)
    world.change_schema("acme", "watched", "add-visitor", table="visits",
                        ddl="ALTER TABLE `visits` ADD COLUMN `visitor` varchar(64)",
                        create_sql="CREATE TABLE `visits` (`id` bigint NOT NULL, `visitor` varchar(64))")
    world.create_deploy_request("acme", "watched", actor_id=people.member.id, branch="add-visitor", auto_cutover=True)
    with serve_sandbox(tmp_path / "sandbox", world=world, reconcile=False) as url:
        yield url, world


async def test_watch_in_the_sandbox_moves_the_card_from_deliveries_alone(
    browser_page: Page, sandbox: tuple[str, World]
) -> None:
    page = browser_page
    url, world = sandbox
    await page.goto(url + "/")
    await link(page, "Alice Admin", grant_webhooks=True)
    await send(page, "/pscale watch watched")
    await expect(page.get_by_text("Watching", exact=False).last).to_be_visible()
    await send(page, "/pscale dr post watched 1")
    watched = card(page, "watched #1 add-visitor → main")
    await expect(watched).to_contain_text("Ready to deploy")

    await watched.locator("[data-action-id=dr_deploy]").click()
    await page.locator("#confirm-ok").click()
    # From here on nobody clicks: PlanetScale's deliveries redraw the card.
    await expect(watched).to_contain_text("Deploying", timeout=20_000)
    await expect(watched).to_contain_text("Can be reverted until", timeout=30_000)
    world.advance(world.timings.revert_window_seconds)  # half an hour later
    await expect(watched.get_by_text(re.compile(r"^Deployed$"))).to_be_visible(timeout=20_000)
    await expect(watched.locator("[data-action-id=dr_revert]")).to_have_count(0)
