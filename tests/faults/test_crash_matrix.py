"""SIGKILL at the awkward moments, then start again on the same SQLite file: the database is intact, no grant is
lost, nothing is done twice, and whatever the dead process had claimed can be taken up again.

Each scenario sets the bot up, kills a process at its moment (a cron `digest` reading PlanetScale, `keys rotate`
between its reads and its writes, `serve` exchanging an OAuth code or refreshing a user's tokens), and recovers
as an operator would. Time is never waited out: a claim that must lapse is aged in the database, which is what the
passing of time does to it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.digests.schedule import Timing
from bot.digests.store import ABANDONED_CLAIM_SECONDS, Subscription, Subscriptions
from bot.linking.crypto import SecretBox
from bot.linking.tokens import LEASE_SECONDS
from bot.render.message import Message
from bot.sandbox.planetscale import World, paths
from bot.sandbox.planetscale.seed import DemoWorld
from bot.storage import open_database
from tests.support.oauth_browser import Browser, link_button_url
from tests.support.replicas import Replica, Replicas, sqlite_rows
from tests.support.slack import BOB_ACTOR, Actor, digests_in

ALICE = Actor()
# How long a killed process is given to reach its moment when nothing outside it can tell that it has (`keys
# rotate` waiting for the write lock): the checks hold wherever it was killed, so this only makes "mid-way" likely.
SETTLE_SECONDS = 1.0


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(timeout=10)


async def _linked_names(replicas: Replicas, bot: Replica) -> list[str]:
    """Whom each of Alice and Bob is linked as, according to `whoami` (a grant that cannot be used says so)."""
    return [await replicas.reply(bot, "whoami", actor=actor) for actor in (ALICE, BOB_ACTOR)]


async def _both_linked(replicas: Replicas, demo: DemoWorld) -> Replica:
    (bot,) = replicas.start(1)
    replicas.link(bot, ALICE, planetscale_user_id=demo.admin.id)
    replicas.link(bot, BOB_ACTOR, planetscale_user_id=demo.second_admin.id)
    return bot


async def _mid_digest(replicas: Replicas, world: World, demo: DemoWorld, database_file: Path) -> Replica:
    """The cron `pscale-bot digest` dies while it reads PlanetScale, after claiming the slot: the next run takes the
    abandoned claim and posts the digest once."""
    bot = await _both_linked(replicas, demo)
    bot.stop()  # the cron job alone posts: no schedule of a running bot races it
    a_minute_ago = (datetime.now(UTC) - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    database = await open_database(str(database_file))
    try:
        await Subscriptions(database).subscribe(
            Subscription(ALICE.team_id, ALICE.channel_id, "acme", "shop", ALICE.user_id,
                         Timing(a_minute_ago, "UTC", True))
        )
    finally:
        await database.close()
    world.faults.hang(method="GET", path=paths.DEPLOY_REQUESTS, times=1)
    cron = replicas.spawn_cli("digest")
    async with asyncio.timeout(30):
        while not replicas.planetscale.calls("GET", paths.DEPLOY_REQUESTS):
            await asyncio.sleep(0.05)
    _kill(cron)
    world.faults.release()
    assert sqlite_rows(database_file, "SELECT posted_at FROM digest_slots") == [(None,)]  # claimed, never posted
    sqlite_rows(database_file, "UPDATE digest_slots SET claimed_at = claimed_at - ?", (ABANDONED_CLAIM_SECONDS + 1,))

    again = await asyncio.to_thread(replicas.run_cli, "digest")
    assert again.returncode == 0, again.stderr
    assert len(digests_in(replicas.slack, ALICE.channel_id)) == 1
    assert (await asyncio.to_thread(replicas.run_cli, "digest")).returncode == 0  # the slot is spent now
    assert len(digests_in(replicas.slack, ALICE.channel_id)) == 1
    (restarted,) = replicas.start(1)
    return restarted


async def _mid_key_rotation(replicas: Replicas, world: World, demo: DemoWorld, database_file: Path) -> Replica:
    """`keys rotate` dies between reading the grants and re-encrypting them: each grant is under the old key or the
    new one, both are configured, and rotating again finishes the job."""
    bot = await _both_linked(replicas, demo)
    bot.stop()
    old_key = replicas.environment["BOT_ENCRYPTION_KEYS"]
    replicas.environment["BOT_ENCRYPTION_KEYS"] = f"{Fernet.generate_key().decode()},{old_key}"
    holder = sqlite3.connect(database_file, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer: the rotation waits for the lock mid-way
        rotation = replicas.spawn_cli("keys", "rotate")
        await asyncio.sleep(SETTLE_SECONDS)
        assert rotation.poll() is None, "keys rotate finished before it could be killed"
        _kill(rotation)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    finished = await asyncio.to_thread(replicas.run_cli, "keys", "rotate")
    assert finished.returncode == 0, finished.stderr
    (restarted,) = replicas.start(1)
    return restarted


async def _mid_link(replicas: Replicas, world: World, demo: DemoWorld, database_file: Path) -> Replica:
    """`serve` dies while it exchanges Alice's OAuth code: no half-made grant is left, and she links again."""
    (bot,) = replicas.start(1)
    replicas.link(bot, BOB_ACTOR, planetscale_user_id=demo.second_admin.id)
    replicas.oauth.token_latency = 5.0  # PlanetScale's token endpoint is slow to answer the exchange
    ack = replicas.command(bot, "login", actor=ALICE)
    start_url = link_button_url(Message(text=ack.json()["text"], blocks=tuple(ack.json()["blocks"])))
    exchanges = replicas.oauth.counters.exchanges

    def browse() -> None:
        with httpx.Client(timeout=60) as browser, pytest.raises(httpx.TransportError):
            Browser(browser).link(start_url)  # the callback never answers: the bot died under it

    browser = threading.Thread(target=browse)
    browser.start()
    async with asyncio.timeout(30):
        while replicas.oauth.counters.exchanges == exchanges:
            await asyncio.sleep(0.02)
    bot.kill()
    await asyncio.to_thread(browser.join, 30)
    replicas.oauth.token_latency = 0.0
    assert sqlite_rows(database_file, "SELECT user_id FROM planetscale_grants") == [(BOB_ACTOR.user_id,)]

    restarted = replicas.restart(bot)
    prompt = replicas.command(restarted, "whoami", actor=ALICE).json()  # not linked: the link prompt, in the ack
    assert "link_account" in str(prompt["blocks"]), prompt
    replicas.link(restarted, ALICE, planetscale_user_id=demo.admin.id)
    return restarted


async def _mid_refresh(replicas: Replicas, world: World, demo: DemoWorld, database_file: Path) -> Replica:
    """`serve` dies while it refreshes Alice's expired tokens, after PlanetScale was asked. PlanetScale rotates
    refresh tokens (using one kills it) and finishes a request whose asker has gone, so the new tokens are lost with
    the process and the stored refresh token is dead: nothing can keep that grant (the refresh is PlanetScale's, not
    a transaction the bot can hold open). What must hold: the dead process's refresh lease does not block Alice for
    ever, she is offered the link again, Bob's grant is untouched, and linking again works."""
    bot = await _both_linked(replicas, demo)
    box = SecretBox(replicas.environment["BOT_ENCRYPTION_KEYS"].split(","))
    ((sealed,),) = sqlite_rows(
        database_file, "SELECT refresh_token FROM planetscale_grants WHERE user_id = ?", (ALICE.user_id,)
    )
    stored_refresh_token = box.open(str(sealed))
    sqlite_rows(database_file, "UPDATE planetscale_grants SET expires_at = 0 WHERE user_id = ?", (ALICE.user_id,))
    replicas.oauth.token_latency = 3.0  # PlanetScale's token endpoint is slow to answer the refresh
    refreshes = replicas.oauth.counters.refreshes
    assert replicas.command(bot, "database list --org acme", actor=ALICE).status_code == 200
    async with asyncio.timeout(30):
        while replicas.oauth.counters.refreshes == refreshes:
            await asyncio.sleep(0.02)
    bot.kill()
    async with asyncio.timeout(30):  # PlanetScale finishes the refresh nobody is left to read
        while replicas.oauth.is_active(stored_refresh_token):
            await asyncio.sleep(0.05)
    replicas.oauth.token_latency = 0.0
    held = sqlite_rows(database_file, "SELECT lease_holder FROM planetscale_grants WHERE user_id = ?", (ALICE.user_id,))
    assert held != [(None,)], "the refresh was not under way when the process died"
    sqlite_rows(database_file, "UPDATE planetscale_grants SET lease_until = lease_until - ?", (LEASE_SECONDS + 1,))

    restarted = replicas.restart(bot)
    told = await replicas.reply(restarted, "database list --org acme", actor=ALICE)
    assert "link_account" in told, told  # the link button, in place of a listing: she links again from there
    assert "Traceback" not in told
    replicas.link(restarted, ALICE, planetscale_user_id=demo.admin.id)
    assert "shop" in await replicas.reply(restarted, "database list --org acme", actor=ALICE)
    return restarted


Scenario = Callable[[Replicas, World, DemoWorld, Path], Awaitable[Replica]]


@pytest.mark.parametrize(
    "scenario",
    [_mid_digest, _mid_key_rotation, _mid_link, _mid_refresh],
    ids=["mid-digest", "mid-key-rotation", "mid-link", "mid-refresh"],
)
async def test_after_a_sigkill_and_a_restart_nothing_is_lost_or_doubled(
    scenario: Scenario, replicas: Replicas, world: World, demo: DemoWorld, database_file: Path
) -> None:
    restarted = await scenario(replicas, world, demo, database_file)
    assert sqlite_rows(database_file, "PRAGMA integrity_check") == [("ok",)]
    alice, bob = await _linked_names(replicas, restarted)
    assert "Alice Admin" in alice, alice
    assert "/pscale login" not in bob, bob
    assert sqlite_rows(database_file, "SELECT count(*) FROM planetscale_grants WHERE status = 'active'") == [(2,)]
