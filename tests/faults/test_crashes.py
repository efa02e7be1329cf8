"""Crashes as an operator meets them: `pscale-bot serve` on its SQLite file is SIGKILLed mid-way, started again
on the same file, and must lose nothing, double nothing and be usable again.

Time is never waited out: where the scenario is "once the lease lapses", the test ages the lease in the database
while the bot is down, which is what the passing of time does to it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

from bot.cards.store import CLICK_LEASE_SECONDS
from bot.sandbox.planetscale import World, paths
from bot.sandbox.planetscale.seed import DemoWorld
from tests.support.cards import buttons, click_request
from tests.support.replicas import Replica, Replicas, sqlite_rows
from tests.support.slack import BOB_ACTOR, Actor

ALICE = Actor()


def _started_and_linked(replicas: Replicas, demo: DemoWorld) -> Replica:
    (bot,) = replicas.start(1)
    replicas.link(bot, ALICE, planetscale_user_id=demo.admin.id)
    replicas.link(bot, BOB_ACTOR, planetscale_user_id=demo.second_admin.id)
    return bot


async def _kill_once_planetscale_holds(replicas: Replicas, bot: Replica, method: str, path: str) -> None:
    """Wait until PlanetScale holds the bot's `method path` request (a hang fault), then SIGKILL the bot."""
    async with asyncio.timeout(15):
        while not replicas.planetscale.calls(method, path):
            await asyncio.sleep(0.02)
    bot.kill()


async def test_a_close_cut_off_by_sigkill_is_clicked_again_after_a_restart_and_closes_once(
    replicas: Replicas, world: World, demo: DemoWorld, database_file: Path
) -> None:
    """The issue: SIGKILL during a card's Close while PlanetScale was slow; after a restart Close answered "You
    already clicked" for ever and the deploy request stayed open. The claim is a lease: refused while it runs,
    then the click can be made again, and two clicks racing for it still make one call."""
    bot = _started_and_linked(replicas, demo)
    card = await replicas.post_card(bot, "dr post shop 1 --org acme", actor=ALICE)
    world.faults.hang(method="PATCH", path=paths.DEPLOY_REQUEST, times=1)
    assert bot.post_events(click_request(replicas, card, "dr_close", actor=ALICE)).status_code == 200
    await _kill_once_planetscale_holds(replicas, bot, "PATCH", paths.DEPLOY_REQUEST)
    # PlanetScale still holds the dead process's request and never acts on it. (Had it acted, the click that takes
    # the lapsed claim over would read the deploy request closed and send nothing.)

    (restarted,) = replicas.start(1)
    told = await replicas.reply_to_click(restarted, card, "dr_close", actor=BOB_ACTOR)
    assert "already clicked" in told  # the dead holder's lease still runs
    assert world.deploy_request_for(demo.admin.id, "acme", "shop", 1).state == "open"

    sqlite_rows(database_file, "UPDATE card_clicks SET lease_until = lease_until - ?", (CLICK_LEASE_SECONDS + 1,))
    since = len(replicas.slack.calls)
    racing = [click_request(replicas, card, "dr_close", actor=actor) for actor in (ALICE, BOB_ACTOR)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        statuses = await asyncio.to_thread(lambda: list(pool.map(restarted.post_events, racing)))
    assert [status.status_code for status in statuses] == [200, 200]
    assert "dr_close" not in buttons(await replicas.wait_card_shows(card, "Closed", since=since))
    closes = replicas.planetscale.calls("PATCH", paths.DEPLOY_REQUEST)
    # The killed process's call never acted (still held, unanswered); of the two racing clicks, one was sent.
    assert [close.status == 200 for close in closes] == [False, True]
    assert world.deploy_request_for(demo.admin.id, "acme", "shop", 1).state == "closed"


async def test_a_create_cut_off_by_sigkill_leaves_its_started_audit_entry(
    replicas: Replicas, world: World, demo: DemoWorld, database_file: Path
) -> None:
    """The issue: during a burst, creates made at PlanetScale had no audit entry. The entry is written before
    PlanetScale is asked and given its result after, so a process killed in between leaves it `started`."""
    bot = _started_and_linked(replicas, demo)
    world.faults.hang(method="POST", path=paths.DEPLOY_REQUESTS, times=1)
    assert replicas.command(bot, "dr create shop add-wishlist --org acme", actor=ALICE).status_code == 200
    await _kill_once_planetscale_holds(replicas, bot, "POST", paths.DEPLOY_REQUESTS)  # never answered

    (restarted,) = replicas.start(1)
    shown = await replicas.reply(restarted, "audit shop --org acme", actor=ALICE)
    assert "`deploy-request create` branch `add-wishlist` of `shop` — :hourglass: started" in shown, shown
    assert sqlite_rows(database_file, "SELECT action, result FROM audit_log") == [("deploy-request create", "started")]
    # Once the bot is back, the same command is written down before it acts and finished after.
    await replicas.reply(restarted, "dr create shop add-wishlist --org acme", actor=ALICE)
    assert sqlite_rows(database_file, "SELECT action, result FROM audit_log ORDER BY id") == [
        ("deploy-request create", "started"), ("deploy-request create", "ok"),
    ]


async def test_a_card_close_cut_off_by_sigkill_leaves_its_started_audit_entry(
    replicas: Replicas, world: World, demo: DemoWorld, database_file: Path
) -> None:
    bot = _started_and_linked(replicas, demo)
    card = await replicas.post_card(bot, "dr post shop 1 --org acme", actor=ALICE)
    world.faults.hang(method="PATCH", path=paths.DEPLOY_REQUEST, times=1)
    assert bot.post_events(click_request(replicas, card, "dr_close", actor=ALICE)).status_code == 200
    await _kill_once_planetscale_holds(replicas, bot, "PATCH", paths.DEPLOY_REQUEST)
    started = [("deploy-request close (card)", "started")]
    assert sqlite_rows(database_file, "SELECT action, result FROM audit_log") == started
