"""Digests over real HTTP: subscribing, the run with an injected clock, one post per slot, one read per
(grant, database), a gone grant named, Slack's 429 honoured."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time

import pytest

from bot.digests.schedule import Timing
from bot.digests.service import DigestService
from bot.digests.store import Subscription, Subscriptions
from bot.linking import AccountLinking, oauth_app
from bot.planetscale import PlanetScaleClient
from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackChannel, SlackStandIn
from bot.sandbox.slack.pacing import POST_BURST
from bot.slack.app import MAX_SLACK_RETRY_AFTER_SECONDS, build_web_client
from bot.slack.port import WebApiSlackPort
from bot.storage import Database, open_database
from tests.support.bot import SLOW_SLACK, RunningBot
from tests.support.servers import bind_loopback
from tests.support.slack import BOB_ACTOR, Actor, digests_in

ALICE = Actor()
# The seeded world's clock stands at Monday 2026-01-05 10:00 UTC (11:00 in Berlin): digests are due at 11:00 Berlin.
DUE = datetime(2026, 1, 5, 10, 5, tzinfo=UTC)
BEFORE = datetime(2026, 1, 5, 9, 55, tzinfo=UTC)
BERLIN_11 = Timing(at=time(11, 0), tz="Europe/Berlin", daily=False)


@asynccontextmanager
async def own_database(bot: RunningBot) -> AsyncIterator[Database]:
    """The bot's database, through connections of this test's event loop (as another process would open it)."""
    database = await open_database(bot.runtime.settings.bot_database)
    try:
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def service(
    bot: RunningBot, now: Callable[[], datetime], *, slack_api_url: str | None = None
) -> AsyncIterator[DigestService]:
    """A digest runner on this test's event loop, over the bot's database, grants and stand-ins (as cron runs it);
    `slack_api_url` points its Slack client elsewhere."""
    settings = bot.runtime.settings
    assert settings.slack_bot_token is not None
    async with PlanetScaleClient(base_url=settings.planetscale_api_url) as planetscale, own_database(bot) as database:
        slack = WebApiSlackPort(build_web_client(
            token=settings.slack_bot_token.get_secret_value(), base_url=slack_api_url or settings.slack_api_url,
            timeout=settings.slack_api_timeout,
        ))
        accounts = AccountLinking.build(
            database=database, keys=settings.encryption_keys(), app=oauth_app(settings), planetscale=planetscale,
            notifier=slack, directory=slack, public_url=settings.public_url(),
        )
        yield DigestService(
            subscriptions=Subscriptions(database), accounts=accounts, planetscale=planetscale, slack=slack, now=now
        )


def subscribe(bot: RunningBot, channel: str, *, owner: str = ALICE.user_id, database: str = "shop") -> None:
    bot.run(
        Subscriptions(bot.runtime.database).subscribe(
            Subscription(ALICE.team_id, channel, "acme", database, owner, BERLIN_11)
        )
    )


async def test_subscribe_posts_a_notice_and_list_shows_it(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    since = len(slack_standin.response_posts)
    demo_bot.command("digest subscribe shop --at 08:30 --tz Europe/Berlin")
    await slack_standin.wait_response(since=since, timeout=10)
    notice = [m for m in slack_standin.messages(ALICE.channel_id) if "subscribed this channel" in m.text]
    assert len(notice) == 1
    assert "weekdays at 08:30 Europe/Berlin" in notice[0].text
    since = len(slack_standin.response_posts)
    demo_bot.command("digest list")
    listed = await slack_standin.wait_response(since=since, timeout=10)
    assert "`shop`" in listed.body["text"]


async def test_subscribing_again_says_whose_digest_it_was_and_whose_access_reads_it_now(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    """Alice subscribed the channel; Bob subscribing again makes the digest his (read with his grant, which has just
    read the database), and neither he nor the channel is left to guess: both are told it was Alice's."""
    alice, bob = f"<@{ALICE.user_id}>", f"<@{BOB_ACTOR.user_id}>"

    async def subscribe_as(actor: Actor, options: str) -> tuple[str, str]:
        """The reply to `digest subscribe shop OPTIONS`, and the notice it posted in the channel."""
        since = len(slack_standin.response_posts)
        demo_bot.command(f"digest subscribe shop {options}", actor=actor)
        reply = await slack_standin.wait_response(since=since, timeout=10)
        return reply.body["text"], slack_standin.messages(ALICE.channel_id)[-1].text

    await subscribe_as(ALICE, "--at 08:30 --tz Europe/Berlin")
    reply, notice = await subscribe_as(BOB_ACTOR, "--at 07:00 --tz Europe/Berlin")
    assert f"already subscribed by {alice}, read with their PlanetScale access" in reply
    assert "It is yours now: read with your access" in reply
    assert f"{bob} took over this channel's digest of `shop` from {alice}" in notice
    assert f"read with {bob}'s PlanetScale access from now on instead of {alice}'s" in notice
    assert "weekdays at 07:00 Europe/Berlin (it was weekdays at 08:30 Europe/Berlin)" in notice

    since = len(slack_standin.response_posts)
    demo_bot.command("digest list")
    listed = (await slack_standin.wait_response(since=since, timeout=10)).body["text"]
    assert listed.count("`shop`") == 1  # one digest, changed, not a second one
    assert f"read as {bob}" in listed

    reply, notice = await subscribe_as(BOB_ACTOR, "--at 07:00 --tz Europe/Berlin --daily")
    assert "It is still read with your PlanetScale access" in reply
    assert f"{bob} changed this channel's digest of `shop`: every day at 07:00 Europe/Berlin (it was weekdays" in notice


async def test_due_posts_once_grouped_and_not_before(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    subscribe(demo_bot, ALICE.channel_id)
    async with service(demo_bot, lambda: BEFORE) as early:
        assert (await early.run()).posted == 0
    async with service(demo_bot, lambda: DUE) as first, service(
        demo_bot, lambda: DUE
    ) as second:
        reports = await asyncio.gather(first.run(), second.run(), first.run())
    assert sum(report.posted for report in reports) == 1
    posted = digests_in(slack_standin, ALICE.channel_id)
    assert len(posted) == 1
    body = str(posted[0].blocks)
    assert "Awaiting review" in body
    assert "Deploy queue" in body


async def test_all_posts_now_without_using_the_days_slot(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    subscribe(demo_bot, ALICE.channel_id)
    async with service(demo_bot, lambda: BEFORE) as early:
        assert (await early.run(everything=True)).posted == 1
    async with service(demo_bot, lambda: DUE) as due:
        assert (await due.run()).posted == 1
    assert len(digests_in(slack_standin, ALICE.channel_id)) == 2


async def test_one_read_per_grant_and_database(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    assert demo_bot.planetscale is not None
    channels = [f"C0DIGEST{n:03d}" for n in range(6)]
    for channel in channels:
        slack_standin.add_channel(SlackChannel(id=channel, name=channel.lower(), members={ALICE.user_id}))
        subscribe(demo_bot, channel)
    before = len(demo_bot.planetscale.calls("GET", paths.DEPLOY_REQUESTS))
    async with service(demo_bot, lambda: DUE) as runner:
        report = await runner.run()
    assert report.posted == len(channels)
    assert len(demo_bot.planetscale.calls("GET", paths.DEPLOY_REQUESTS)) == before + 1


async def test_a_gone_grant_is_named_in_the_digest(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    subscribe(demo_bot, ALICE.channel_id, owner=BOB_ACTOR.user_id)
    await demo_bot.call(demo_bot.runtime.linking.forget_users(BOB_ACTOR.team_id, [BOB_ACTOR.user_id]))
    async with service(demo_bot, lambda: DUE) as runner:
        assert (await runner.run()).posted == 1
    [message] = digests_in(slack_standin, ALICE.channel_id)
    assert f"<@{BOB_ACTOR.user_id}>" in message.text
    assert "/pscale login" in message.text


async def test_a_slack_429_mid_run_is_waited_out(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    other = "C0DIGESTRL1"
    slack_standin.add_channel(SlackChannel(id=other, name="rate-limited", members={ALICE.user_id}))
    subscribe(demo_bot, ALICE.channel_id)
    subscribe(demo_bot, other, database="analytics")
    slack_standin.rate_limit("chat.postMessage", retry_after=1, times=1)
    async with service(demo_bot, lambda: DUE) as runner:
        report = await runner.run()
    assert report.failures == []
    assert report.posted == 2
    assert any(call.status == 429 for call in slack_standin.calls)


async def test_a_busy_channel_gets_each_digest_once_in_order_at_slacks_pace(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    """More digests in one channel than Slack's burst, and Slack answering 429 with a `Retry-After` slack_sdk's own
    retry does not wait for: each is posted once, in the order of its database, and a quiet channel is not held
    up."""
    assert demo_bot.planetscale is not None
    busy, quiet = "C0DIGESTBUSY", "C0DIGESTQUIET"  # the quiet channel's read comes last
    for channel in (busy, quiet):
        slack_standin.add_channel(SlackChannel(id=channel, name=channel.lower(), members={ALICE.user_id}))
    databases = [f"pace-{number:02d}" for number in range(POST_BURST + 2)]
    for database in databases:
        demo_bot.planetscale.world.add_database("acme", database)
        subscribe(demo_bot, busy, database=database)
    subscribe(demo_bot, quiet)
    since = len(slack_standin.calls)
    # Longer than slack_sdk's own retry waits for (MAX_SLACK_RETRY_AFTER_SECONDS): the digest run must wait it out.
    slack_standin.rate_limit("chat.postMessage", retry_after=int(MAX_SLACK_RETRY_AFTER_SECONDS) + 1, times=2)
    async with service(demo_bot, lambda: DUE) as runner:
        report = await runner.run()
        again = await runner.run()
    assert (report.posted, report.failures) == (len(databases) + 1, [])
    assert (again.posted, again.failures) == (0, [])
    shown = [message.text.split(":")[0] for message in digests_in(slack_standin, busy)]
    assert shown == [f"Daily digest of acme/{database}" for database in databases]
    assert len(digests_in(slack_standin, quiet)) == 1
    posts = [call for call in slack_standin.calls.snapshot()[since:] if call.method == "chat.postMessage"]
    # Only the scripted 429s: the stand-in's own pacing (a burst of POST_BURST, then one a second) never bit.
    assert [call.status for call in posts].count(429) == 2
    delivered = [call.args["channel"] for call in posts if call.status == 200]
    assert delivered.index(quiet) < len(delivered) - 1 - delivered[::-1].index(busy)


@SLOW_SLACK
async def test_a_post_slack_answers_too_late_keeps_its_claim_and_is_not_posted_again(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    """The issue: Slack posted the digest but answered after the Web API client stopped waiting; the run gave the
    slot back as if nothing had been posted, and the next run posted the digest a second time."""
    subscribe(demo_bot, ALICE.channel_id)
    slack_standin.answer_late("chat.postMessage", seconds=demo_bot.runtime.settings.slack_api_timeout + 2)
    async with service(demo_bot, lambda: DUE) as runner:
        report = await runner.run()
        again = await runner.run()
    assert len(digests_in(slack_standin, ALICE.channel_id)) == 1
    assert (report.posted, report.failures) == (
        0, [f"{ALICE.channel_id} shop: it may have been posted: Slack did not answer in time"]
    )
    assert (again.posted, again.failures) == (0, [])  # the slot is still claimed


async def test_a_post_whose_connection_broke_after_sending_keeps_its_claim_and_is_not_posted_again(
    demo_bot: RunningBot, slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue: Slack posted the digest, then the connection was reset before its answer came. slack_sdk's
    connection retry posted it again at once; without that retry the run gave the slot back, and the next run
    posted it again: either way a second digest in the channel."""
    subscribe(demo_bot, ALICE.channel_id)
    slack_standin.drop_answer("chat.postMessage")
    with caplog.at_level(logging.WARNING, logger="bot.digests.service"):
        async with service(demo_bot, lambda: DUE) as runner:
            report = await runner.run()
            again = await runner.run()
    assert len(digests_in(slack_standin, ALICE.channel_id)) == 1
    [failure] = report.failures
    assert failure.startswith(
        f"{ALICE.channel_id} shop: it may have been posted: the connection to Slack broke after the request was sent"
    )
    assert (report.posted, again.posted, again.failures) == (0, 0, [])  # the slot is still claimed
    assert [record.getMessage() for record in caplog.records] == [f"digest not posted: {failure}"]


async def test_a_post_that_never_reached_slack_gives_its_slot_back(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    """Refused connections prove the post was never sent, so the next run posts the digest."""
    subscribe(demo_bot, ALICE.channel_id)
    closed = bind_loopback()  # bound, never listening: every connection to it is refused
    with closed:
        host, port = closed.getsockname()[:2]
        async with service(demo_bot, lambda: DUE, slack_api_url=f"http://{host}:{port}/api/") as unreachable:
            report = await unreachable.run()
    assert len(digests_in(slack_standin, ALICE.channel_id)) == 0
    assert (report.posted, len(report.failures)) == (0, 1)
    assert report.failures[0].startswith(f"{ALICE.channel_id} shop: Slack was not reached")
    async with service(demo_bot, lambda: DUE) as runner:
        assert (await runner.run()).posted == 1
    assert len(digests_in(slack_standin, ALICE.channel_id)) == 1


@asynccontextmanager
async def one_subscription(
    bot: RunningBot,
) -> AsyncIterator[tuple[Subscriptions, Subscription, date, dict[str, float]]]:
    """Alice's channel subscribed; its store on a clock the test moves (`clock["now"]`), and its due slot."""
    subscribe(bot, ALICE.channel_id)
    clock = {"now": 1_795_000_000.0}
    async with own_database(bot) as database:
        store = Subscriptions(database, clock=lambda: clock["now"])
        [subscription] = await store.all()
        yield store, subscription, DUE.date(), clock


async def test_a_claim_left_by_a_crash_is_taken_again_later(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    async with one_subscription(demo_bot) as (store, subscription, slot, clock):
        assert await store.claim_slot(subscription, slot)  # claimed, then the process died before posting
        assert not await store.claim_slot(subscription, slot)
        clock["now"] += 601
        taken_over = await store.claim_slot(subscription, slot)
        assert taken_over is not None
        await store.mark_posted(taken_over)
        clock["now"] += 10_000
        assert not await store.claim_slot(subscription, slot)  # posted slots are never taken again


async def test_a_runner_giving_back_a_slot_another_took_over_leaves_that_claim(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    """A stalled for longer than a claim counts as abandoned, B took the slot over and is posting: A's give-back
    (its post failed, or it is stopping) must not free the slot for a third runner to post it again."""
    async with one_subscription(demo_bot) as (store, subscription, slot, clock):
        stalled = await store.claim_slot(subscription, slot)
        clock["now"] += 601
        taking_over = await store.claim_slot(subscription, slot)
        assert stalled is not None
        assert taking_over is not None
        await store.release_slot(stalled)
        assert not await store.claim_slot(subscription, slot)
        await store.release_slot(taking_over)  # B's own give-back still frees it
        assert await store.claim_slot(subscription, slot)


async def test_1000_subscriptions_over_100_databases_read_each_database_once(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    assert demo_bot.planetscale is not None
    world = demo_bot.planetscale.world
    store = Subscriptions(demo_bot.runtime.database)
    subscriptions = []
    for number in range(100):
        world.add_database("acme", f"db-{number:03d}")
        for copy in range(10):
            channel = f"C{number:03d}{copy:02d}SCALE"
            slack_standin.add_channel(SlackChannel(id=channel, name=channel.lower(), members={ALICE.user_id}))
            subscriptions.append(
                Subscription(ALICE.team_id, channel, "acme", f"db-{number:03d}", ALICE.user_id, BERLIN_11)
            )

    async def subscribe_all() -> None:
        await asyncio.gather(*(store.subscribe(subscription) for subscription in subscriptions))

    await demo_bot.call(subscribe_all())
    before = len(demo_bot.planetscale.calls("GET", paths.DEPLOY_REQUESTS))
    async with service(demo_bot, lambda: DUE) as runner:
        report = await runner.run()
    assert report.failures == []
    assert report.posted == 1000
    assert len(demo_bot.planetscale.calls("GET", paths.DEPLOY_REQUESTS)) == before + 100


async def test_a_digest_of_200_open_deploy_requests_is_accepted_and_links_to_the_rest(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    assert demo_bot.planetscale is not None
    world = demo_bot.planetscale.world
    alice = demo_bot.planetscale.demo.admin
    world.add_database("acme", "busy")
    for number in range(200):
        branch = f"a-rather-long-branch-name-for-change-{number:03d}"
        world.create_branch("acme", "busy", name=branch, actor_id=alice.id)
        world.change_schema("acme", "busy", branch, table=f"t{number}", ddl=f"CREATE TABLE t{number} (id int)",
                            create_sql=f"CREATE TABLE t{number} (id int)")
        world.create_deploy_request("acme", "busy", actor_id=alice.id, branch=branch)
    subscribe(demo_bot, ALICE.channel_id, database="busy")
    async with service(demo_bot, lambda: DUE) as runner:
        report = await runner.run()
    assert (report.posted, report.failures) == (1, [])
    [posted] = digests_in(slack_standin, ALICE.channel_id)
    blocks = str(posted.blocks)
    assert "Awaiting review" in blocks
    assert "more not shown here. <https://app.planetscale.com/acme/busy/deploy-requests|See them all" in blocks
