"""Replicas behave as one bot (docs/interface.md §7): `pscale-bot serve` processes on one PostgreSQL, started as an
operator starts them, driven over real HTTP by signed Slack requests.

Time is never waited out: where the scenario is "once the lease lapses", the test ages the lease in the database,
which is what the passing of time does to it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.cards.store import CLICK_LEASE_SECONDS
from bot.digests.schedule import Timing
from bot.digests.store import Subscription, Subscriptions
from bot.sandbox.planetscale import World, paths
from bot.sandbox.planetscale.seed import DemoWorld
from bot.sandbox.slack import SlackStandIn
from bot.storage import LATEST_VERSION, open_database
from tests.support.bot import SIGNING_SECRET
from tests.support.cards import buttons, click_request
from tests.support.postgres import PostgresCluster
from tests.support.replicas import Replica, Replicas, replicas_on
from tests.support.slack import BOB_ACTOR, Actor, digests_in, event_callback, link_shared

ALICE = Actor()
SHOP_1 = "https://app.planetscale.com/acme/shop/deploy-requests/1"


@pytest.fixture
def database_url(postgres: PostgresCluster) -> str:
    return postgres.new_database()


@pytest.fixture
def replicas(
    database_url: str, slack_standin: SlackStandIn, world: World, demo: DemoWorld, tmp_path: Path
) -> Iterator[Replicas]:
    with replicas_on(database_url, slack=slack_standin, world=world, cwd=tmp_path) as group:
        yield group


def _link_both(replicas: Replicas, through: Replica, demo: DemoWorld) -> None:
    replicas.link(through, ALICE, planetscale_user_id=demo.admin.id)
    replicas.link(through, BOB_ACTOR, planetscale_user_id=demo.second_admin.id)


async def test_linked_through_one_replica_commands_run_through_the_other(
    replicas: Replicas, world: World, demo: DemoWorld
) -> None:
    a, b = replicas.start(2)
    replicas.link(a, ALICE, planetscale_user_id=demo.admin.id)
    shown = await replicas.reply(b, "whoami", actor=ALICE)
    assert "Alice Admin" in shown
    assert "/pscale login" not in shown
    assert "Branches of acme/shop" in await replicas.reply(b, "branch list shop --org acme", actor=ALICE)


async def test_logged_out_through_one_replica_the_other_asks_to_link_at_once(
    replicas: Replicas, world: World, demo: DemoWorld
) -> None:
    """b saw Alice linked a moment ago, so its ack trusts that (bot/linking/memo.py); once she logs out through a,
    b's very next command still answers the link prompt, from the follow-up, and sends PlanetScale nothing."""
    a, b = replicas.start(2)
    replicas.link(a, ALICE, planetscale_user_id=demo.admin.id)
    assert "Branches of acme/shop" in await replicas.reply(b, "branch list shop --org acme", actor=ALICE)
    assert "Unlinked your PlanetScale account" in await replicas.reply(a, "logout", actor=ALICE)
    sent_before = len(replicas.planetscale.calls())
    answer = await replicas.reply(b, "branch list shop --org acme", actor=ALICE)
    assert "link_account" in answer
    assert "Branches of" not in answer
    assert len(replicas.planetscale.calls()) == sent_before


async def test_32_deploy_clicks_across_two_replicas_make_one_deploy_call(
    replicas: Replicas, world: World, demo: DemoWorld
) -> None:
    a, b = replicas.start(2)
    _link_both(replicas, a, demo)
    card = await replicas.post_card(b, "dr post shop 1 --org acme", actor=ALICE)
    world.review_deploy_request("acme", "shop", 1, actor_id=demo.second_admin.id, state="approved")
    updates = len(replicas.slack.calls)
    assert a.post_events(click_request(replicas, card, "dr_refresh", actor=ALICE)).status_code == 200
    await replicas.slack.wait_call(
        "chat.update", where=lambda call: call.args.get("ts") == card.ts and "Approved" in str(call.args),
        since=updates, timeout=15,
    )
    card = replicas.slack.workspace.message(ALICE.channel_id, card.ts)
    deploys_before = len(replicas.planetscale.calls("POST", paths.DEPLOY))
    replies_before = len(replicas.slack.response_posts)
    clicks = [
        ((a, b)[index % 2], click_request(replicas, card, "dr_deploy", actor=(ALICE, BOB_ACTOR)[index % 2]))
        for index in range(32)
    ]

    def send(index: int) -> int:
        replica, request = clicks[index]
        return replica.post_events(request).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        statuses = await asyncio.to_thread(lambda: list(pool.map(send, range(32))))
    assert statuses == [200] * 32
    await replicas.slack.wait_call(  # the card moves on: queued, or deploying at once when nothing waits ahead
        "chat.update",
        where=lambda call: call.args.get("ts") == card.ts and "Ready to deploy" not in str(call.args.get("text")),
        timeout=15,
    )
    # The winner's card says it all; each of the 31 others is told why nothing more was sent.
    answered = await _responses(replicas, since=replies_before, count=31)
    assert len(replicas.planetscale.calls("POST", paths.DEPLOY)) == deploys_before + 1
    assert all("already clicked" in text or "has changed since" in text for text in answered), answered


async def _responses(replicas: Replicas, *, since: int, count: int) -> list[str]:
    """Wait until `count` replies went back through response_url after index `since`; their texts."""
    async with asyncio.timeout(30):
        while len(replicas.slack.response_posts) < since + count:
            await asyncio.sleep(0.05)
    return [str(post.body.get("text", "")) for post in replicas.slack.response_posts[since:]]


async def test_an_event_and_its_retry_sent_to_different_replicas_act_once(
    replicas: Replicas, world: World, demo: DemoWorld
) -> None:
    a, b = replicas.start(2)
    _link_both(replicas, a, demo)
    event = link_shared(replicas.slack, SHOP_1, actor=ALICE)
    first = event_callback(signing_secret=SIGNING_SECRET, event=event, event_id="Ev0REPLICAS1")
    retry = event_callback(
        signing_secret=SIGNING_SECRET, event=event, event_id="Ev0REPLICAS1",
        extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        sent = [pool.submit(a.post_events, first), pool.submit(b.post_events, retry)]
        assert [future.result().status_code for future in sent] == [200, 200]
    await replicas.slack.wait_call("chat.unfurl", timeout=15)
    # Each replica has answered (both acks came back) and the winner's unfurl is out; a second one would come from
    # a second card, which would be in the database by now.
    cards = await _count(replicas, "SELECT count(*) FROM cards WHERE unfurl_url IS NOT NULL")
    assert cards == 1
    assert len([call for call in replicas.slack.calls if call.method == "chat.unfurl"]) == 1


async def _count(replicas: Replicas, sql: str) -> int:
    database = await open_database(replicas.environment["BOT_DATABASE"])
    try:
        row = await database.fetchone(sql)
    finally:
        await database.close()
    assert row is not None
    return int(row[0])


async def test_two_replicas_and_a_cron_digest_post_each_subscription_once(
    database_url: str, slack_standin: SlackStandIn, world: World, demo: DemoWorld, tmp_path: Path
) -> None:
    # Subscribed and due before anything starts: both replicas' schedules run at start, as the cron job does.
    a_minute_ago = (datetime.now(UTC) - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    with replicas_on(database_url, slack=slack_standin, world=world, cwd=tmp_path) as replicas:
        (setup,) = replicas.start(1)
        _link_both(replicas, setup, demo)
        database = await open_database(database_url)
        try:
            for channel, db in ((ALICE.channel_id, "shop"), (ALICE.channel_id, "analytics")):
                await Subscriptions(database).subscribe(
                    Subscription(ALICE.team_id, channel, "acme", db, ALICE.user_id, Timing(a_minute_ago, "UTC", True))
                )
        finally:
            await database.close()
        setup.stop()
        cron = asyncio.create_task(asyncio.to_thread(replicas.run_cli, "digest"))
        replicas.start(2)
        done = await cron
        assert done.returncode == 0, done.stderr
        async with asyncio.timeout(30):
            while await _count(replicas, "SELECT count(*) FROM digest_slots WHERE posted_at IS NOT NULL") < 2:
                await asyncio.sleep(0.1)
        posted = [message.text for message in digests_in(slack_standin, ALICE.channel_id)]
        assert len(posted) == 2, posted
        assert sorted("analytics" in text for text in posted) == [False, True], posted


async def test_a_replica_killed_mid_click_loses_nothing_and_doubles_nothing(
    replicas: Replicas, world: World, demo: DemoWorld, database_url: str
) -> None:
    """SIGKILL during a card's Close while PlanetScale is slow (issue: Close then answered "You already clicked"
    for ever): the click is refused while A's lease runs; once it lapses, B takes it over, reads the deploy request
    again, finds it still open (A's call never got through) and closes it: one close carried out, none lost."""
    a, b = replicas.start(2)
    _link_both(replicas, a, demo)
    card = await replicas.post_card(a, "dr post shop 1 --org acme", actor=ALICE)
    world.faults.hang(method="PATCH", path=paths.DEPLOY_REQUEST, times=1)
    assert a.post_events(click_request(replicas, card, "dr_close", actor=ALICE)).status_code == 200
    async with asyncio.timeout(15):
        while not replicas.planetscale.calls("PATCH", paths.DEPLOY_REQUEST):
            await asyncio.sleep(0.02)
    a.kill()
    # PlanetScale still holds the dead replica's request and never acts on it: releasing it would let the outcome
    # hang on whether the stand-in had read its body before the client vanished.

    told = await replicas.reply_to_click(b, card, "dr_close", actor=BOB_ACTOR)
    assert "already clicked" in told  # A's lease still runs

    with psycopg.connect(database_url, autocommit=True) as connection:  # time passes: the lease lapses
        connection.execute("UPDATE card_clicks SET lease_until = lease_until - %s", (CLICK_LEASE_SECONDS + 1,))
    since = len(replicas.slack.calls)
    assert b.post_events(click_request(replicas, card, "dr_close", actor=BOB_ACTOR)).status_code == 200
    assert "dr_close" not in buttons(await replicas.wait_card_shows(card, "Closed", since=since))
    closes = replicas.planetscale.calls("PATCH", paths.DEPLOY_REQUEST)
    # A's call never acted (still held, unanswered); B's closed it.
    assert [close.status == 200 for close in closes] == [False, True]
    assert world.deploy_request_for(demo.admin.id, "acme", "shop", 1).state == "closed"


async def test_three_replicas_started_at_once_on_an_empty_database_migrate_once(replicas: Replicas) -> None:
    started = replicas.start(3)
    assert all(httpx.get(f"{replica.url}/readyz").json() == {"ready": True} for replica in started)
    numbers = await _count(replicas, "SELECT count(*) FROM schema_migrations")
    distinct = await _count(replicas, "SELECT count(DISTINCT number) FROM schema_migrations")
    assert numbers == distinct == LATEST_VERSION


async def test_move_database_keeps_every_grant_and_every_card(
    database_url: str, slack_standin: SlackStandIn, world: World, demo: DemoWorld, tmp_path: Path
) -> None:
    sqlite_file = tmp_path / "bot.sqlite3"
    with replicas_on(str(sqlite_file), slack=slack_standin, world=world, cwd=tmp_path) as on_sqlite:
        (single,) = on_sqlite.start(1)
        _link_both(on_sqlite, single, demo)
        card = await on_sqlite.post_card(single, "dr post shop 1 --org acme", actor=ALICE)
        single.stop()
        moved = on_sqlite.run_cli("move-database", "--to", database_url)
        assert moved.returncode == 0, moved.stderr
        assert "planetscale_grants 2" in moved.stdout
        assert "cards 1" in moved.stdout
        keys = on_sqlite.environment["BOT_ENCRYPTION_KEYS"]
    with replicas_on(
        database_url, slack=slack_standin, world=world, cwd=tmp_path, bot_encryption_keys=keys
    ) as on_postgresql:
        (replica,) = on_postgresql.start(1)
        for actor, name in ((ALICE, "Alice Admin"), (BOB_ACTOR, "Bob")):
            assert name in await on_postgresql.reply(replica, "whoami", actor=actor)
        world.review_deploy_request("acme", "shop", 1, actor_id=demo.second_admin.id, state="approved")
        since = len(slack_standin.calls)
        assert replica.post_events(click_request(on_postgresql, card, "dr_refresh", actor=ALICE)).status_code == 200
        await slack_standin.wait_call(
            "chat.update", where=lambda call: call.args.get("ts") == card.ts and "Approved" in str(call.args),
            since=since, timeout=15,
        )
