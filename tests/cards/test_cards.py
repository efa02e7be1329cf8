"""Live deploy-request cards over real HTTP: signed clicks in, PlanetScale's stand-in and Slack's stand-in out."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging

import pytest

from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.workspace import SlackChannel, SlackUser, StoredMessage
from tests.support.bot import SIGNING_SECRET, SLOW_SLACK, RunningBot
from tests.support.cards import ALICE, buttons, click, click_request, message, post_card, thread, wait_card
from tests.support.replies import everything, reply, tracebacks
from tests.support.servers import loopback_client
from tests.support.slack import BOB_ACTOR, CAROL, CAROL_ACTOR, Actor, WebApiHost, block_actions, button_action

DAVE = SlackUser(id="U0DAVE00001", name="dave", real_name="Dave Unlinked")
DAVE_ACTOR = Actor(user_id=DAVE.id, user_name=DAVE.name)


def _calls(bot: RunningBot, method: str, template: str) -> int:
    assert bot.planetscale is not None
    return len(bot.planetscale.calls(method, template))


async def _ephemeral(bot: RunningBot, since: int, *, timeout: float = 10) -> str:
    post = await bot.slack.wait_response(since=since, timeout=timeout)
    assert post.body.get("replace_original") is False, post.body
    assert post.body.get("response_type", "ephemeral") == "ephemeral"
    return str(post.body["text"])


async def test_post_approve_twice_and_deploy_update_the_same_message_and_its_thread(demo_bot: RunningBot) -> None:
    card = await post_card(demo_bot, "dr post shop 1")
    assert "shop #1 add-orders-index → main" in str(card.blocks)
    assert "ALTER TABLE `orders` ADD INDEX" in str(card.blocks)  # the DDL of its operation
    # `shop` requires an administrator's approval: no Deploy button PlanetScale would refuse, and who can give it.
    assert {"dr_approve", "dr_close", "dr_diff", "dr_refresh"} <= set(buttons(card))
    assert not {"dr_deploy", "dr_apply", "dr_revert", "dr_cancel"} & set(buttons(card))
    waits = str(card.blocks)
    assert "Waits for an administrator's approval" in waits
    assert f"<@{ALICE.user_id}>" in waits  # Alice and Bob administer acme and linked their accounts
    assert f"<@{BOB_ACTOR.user_id}>" in waits

    reviews = _calls(demo_bot, "POST", paths.REVIEWS)
    click(demo_bot, card, "dr_approve", actor=BOB_ACTOR)
    card = await wait_card(demo_bot, card.ts, f"Approved by <@{BOB_ACTOR.user_id}>")
    assert buttons(card)["dr_deploy"]["confirm"]  # approved: Deploy appears, behind Slack's own confirm dialog
    assert "Waits for an administrator" not in str(card.blocks)
    # Alice clicks Approve on the card as it was drawn before Bob's approval: a second admin is not a duplicate.
    click(demo_bot, card, "dr_approve", actor=ALICE)
    card = await wait_card(demo_bot, card.ts, f"<@{BOB_ACTOR.user_id}>, <@{ALICE.user_id}>")
    assert _calls(demo_bot, "POST", paths.REVIEWS) == reviews + 2

    deploys = _calls(demo_bot, "POST", paths.DEPLOY)
    click(demo_bot, card, "dr_deploy", actor=ALICE)
    card = await wait_card(demo_bot, card.ts, "Starting the deployment")
    assert _calls(demo_bot, "POST", paths.DEPLOY) == deploys + 1
    assert "dr_cancel" in buttons(card)
    assert "dr_deploy" not in buttons(card)

    notes = thread(demo_bot, card.ts)
    assert f"Approved by <@{BOB_ACTOR.user_id}>." in notes
    assert f"Approved by <@{ALICE.user_id}>." in notes
    assert f"Added to the deploy queue by <@{ALICE.user_id}>." in notes
    # History went into the thread: the channel itself holds only the card.
    top_level = [m for m in demo_bot.slack.messages(ALICE.channel_id) if m.thread_ts in (None, m.ts)]
    assert [m.ts for m in top_level if m.bot_id] == [card.ts]

    # Every change made from the card is in the audit log, with who did it.
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("audit shop").status_code == 200
    audit = str((await demo_bot.slack.wait_response(since=since, timeout=10)).body)
    assert "deploy-request deploy (card)" in audit
    assert "deploy-request approve (card)" in audit


async def test_apply_a_gated_deploy_then_revert_within_the_window(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    world = demo_bot.planetscale.world
    card = await post_card(demo_bot, "dr post analytics 2")  # events-rollup, gated, waiting in pending_cutover
    assert buttons(card)["dr_apply"]["confirm"]

    click(demo_bot, card, "dr_apply", actor=BOB_ACTOR)
    card = await wait_card(demo_bot, card.ts, "Applying")
    world.advance(world.timings.cutover_seconds + 1)
    click(demo_bot, card, "dr_refresh", actor=BOB_ACTOR)
    card = await wait_card(demo_bot, card.ts, "Can be reverted until")
    assert {"dr_revert", "dr_skip_revert"} <= set(buttons(card))
    assert buttons(card)["dr_revert"]["confirm"]

    reverts = _calls(demo_bot, "POST", paths.REVERT)
    click(demo_bot, card, "dr_revert", actor=ALICE)
    card = await wait_card(demo_bot, card.ts, "Reverting")
    assert _calls(demo_bot, "POST", paths.REVERT) == reverts + 1
    world.advance(world.timings.revert_seconds + 1)
    click(demo_bot, card, "dr_refresh", actor=ALICE)
    card = await wait_card(demo_bot, card.ts, "Reverted")
    assert not {"dr_revert", "dr_apply", "dr_deploy"} & set(buttons(card))

    notes = thread(demo_bot, card.ts)
    assert f"Applied the gated deploy by <@{BOB_ACTOR.user_id}>." in notes
    assert "Now: Deployed; can still be reverted." in notes
    assert f"Started the revert by <@{ALICE.user_id}>." in notes
    assert "Now: Reverted." in notes


async def test_concurrent_identical_clicks_make_one_call(demo_bot: RunningBot) -> None:
    card = await post_card(demo_bot, "dr post shop 1")
    click(demo_bot, card, "dr_approve", actor=BOB_ACTOR)
    card = await wait_card(demo_bot, card.ts, f"Approved by <@{BOB_ACTOR.user_id}>")
    deploys = _calls(demo_bot, "POST", paths.DEPLOY)
    since = len(demo_bot.slack.response_posts)
    requests = [
        click_request(demo_bot, card, "dr_deploy", actor=actor) for actor in (ALICE, BOB_ACTOR, ALICE, BOB_ACTOR)
    ]

    def send(request: object) -> int:
        with loopback_client(timeout=10) as client:
            return client.post(f"{demo_bot.base_url}/slack/events", content=request.body,  # type: ignore[attr-defined]
                               headers=request.headers).status_code  # type: ignore[attr-defined]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(send, requests)) == [200] * 4
    answers = [await _ephemeral(demo_bot, since + index) for index in range(3)]
    await wait_card(demo_bot, card.ts, "Starting the deployment")
    assert _calls(demo_bot, "POST", paths.DEPLOY) == deploys + 1
    assert all("already clicked *Deploy*" in answer or "has changed since" in answer for answer in answers), answers
    await asyncio.sleep(0.3)
    assert len(demo_bot.slack.response_posts) == since + 3  # one ephemeral per losing click, none for the winner


async def test_an_unlinked_clicker_gets_the_link_prompt_and_nothing_is_sent(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    demo_bot.slack.add_user(DAVE)
    card = await post_card(demo_bot, "dr post shop 1")
    before = len(demo_bot.planetscale.world.requests)
    since = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_approve", actor=DAVE_ACTOR)
    post = await demo_bot.slack.wait_response(since=since, timeout=10)
    assert post.body.get("replace_original") is False
    assert "link_account" in str(post.body.get("blocks"))
    assert len(demo_bot.planetscale.world.requests) == before


async def test_planetscale_refusals_reach_the_clicker_and_the_card_stays_truthful(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    world = demo_bot.planetscale.world
    demo_bot.slack.add_user(CAROL)
    demo_bot.link(CAROL_ACTOR, planetscale_user_id=demo_bot.planetscale.demo.member.id)
    card = await post_card(demo_bot, "dr post shop 1")

    since = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_approve", actor=CAROL_ACTOR)  # a member, not an admin
    assert "Only organization administrators can approve" in await _ephemeral(demo_bot, since)

    # Alice's own deploy request: PlanetScale refuses self-approval when the org has other admins.
    world.create_branch("acme", "shop", name="alice-own", actor_id=demo_bot.planetscale.demo.admin.id)
    world.change_schema("acme", "shop", "alice-own", table="t1", ddl="CREATE TABLE `t1` (`id` int)",
                        create_sql="CREATE TABLE `t1` (`id` int, PRIMARY KEY (`id`))")
    own = world.create_deploy_request("acme", "shop", actor_id=demo_bot.planetscale.demo.admin.id, branch="alice-own")
    own_card = await post_card(demo_bot, f"dr post shop {own.number}")
    since = len(demo_bot.slack.response_posts)
    click(demo_bot, own_card, "dr_approve", actor=ALICE)
    assert "cannot approve your own deploy request" in await _ephemeral(demo_bot, since)
    # Refused clicks are not "already done": once the reason is gone, the same person may click again.
    since = len(demo_bot.slack.response_posts)
    click(demo_bot, own_card, "dr_approve", actor=ALICE)
    assert "cannot approve your own deploy request" in await _ephemeral(demo_bot, since)
    waits = str(message(demo_bot, own_card.ts).blocks)
    assert f"Who can approve it: <@{BOB_ACTOR.user_id}>." in waits  # not the author: the org has another admin


async def test_a_click_on_an_outdated_drawing_is_answered_not_sent(demo_bot: RunningBot) -> None:
    card = await post_card(demo_bot, "dr post shop 1")
    old_close = buttons(card)["dr_close"]
    # Somebody closes it from the command line; the card is redrawn without the Close button.
    confirm = demo_bot.command("dr close shop 1").json()  # destructive: the ack asks first
    element = next(e for b in confirm["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == "cmd_confirm")
    since = len(demo_bot.slack.response_posts)
    demo_bot.post_events(block_actions(
        signing_secret=SIGNING_SECRET, actions=[button_action(element, block_id="confirm_command")],
        response_url=demo_bot.slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id),
        message_ts="1.0", actor=ALICE, is_ephemeral=True,
    ))
    assert "Closed `shop` #1" in (await demo_bot.slack.wait_response(since=since, timeout=10)).body["text"]
    closed = await wait_card(demo_bot, card.ts, "Closed")
    assert "dr_close" not in buttons(closed)

    closes = _calls(demo_bot, "PATCH", paths.DEPLOY_REQUEST)
    since = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_close", actor=BOB_ACTOR, drawn=old_close)  # Bob's Slack still showed the old card
    assert "has changed since this card was drawn" in await _ephemeral(demo_bot, since)
    assert _calls(demo_bot, "PATCH", paths.DEPLOY_REQUEST) == closes


async def test_diff_opens_a_modal_with_all_of_the_ddl(demo_bot: RunningBot) -> None:
    card = await post_card(demo_bot, "dr post shop 1")
    since = len(demo_bot.slack.calls)
    click(demo_bot, card, "dr_diff", actor=BOB_ACTOR)
    opened = await demo_bot.slack.wait_call("views.open", since=since, timeout=10)
    assert opened.ok, opened.response
    updated = await demo_bot.slack.wait_call("views.update", since=since, timeout=10)
    assert updated.ok, updated.response
    assert "ADD INDEX `idx_user_created`" in str(updated.args["view"])


async def test_a_card_nobody_can_read_says_so_and_comes_back_with_a_linked_clicker(demo_bot: RunningBot) -> None:
    demo_bot.slack.add_user(DAVE)
    card = await post_card(demo_bot, "dr post shop 1")
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("logout").status_code == 200  # Alice, whose grant the card reads with
    await demo_bot.slack.wait_response(since=since, timeout=10)

    since = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_refresh", actor=DAVE_ACTOR)  # Dave is not linked either
    assert "/pscale login" in await _ephemeral(demo_bot, since)
    stale = await wait_card(demo_bot, card.ts, "no longer updated")
    assert {"dr_approve", "dr_deploy", "dr_close"}.isdisjoint(buttons(stale))

    since = len(demo_bot.slack.calls)
    click(demo_bot, stale, "dr_refresh", actor=BOB_ACTOR)  # Bob is linked: the card reads with his grant now
    fresh = await wait_card(demo_bot, card.ts, "Updated ", since=since)
    assert "dr_approve" in buttons(fresh)


async def test_a_card_is_refused_where_the_bot_cannot_post(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    slack_standin.add_channel(
        SlackChannel(id="C0SECRET001", name="secret", is_private=True, bot_is_member=False, members={ALICE.user_id})
    )
    secret = Actor(channel_id="C0SECRET001", channel_name="secret")
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("dr post shop 1", actor=secret).status_code == 200
    reply = await demo_bot.slack.wait_response(since=since, timeout=10)
    assert "/invite" in reply.body["text"]

    # `dr create` opens the deploy request all the same (that is what was asked for) and says how to post its card.
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("branch create shop card-less", actor=secret).status_code == 200
    await demo_bot.slack.wait_response(since=since, timeout=10)
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("dr create shop card-less", actor=secret).status_code == 200
    reply = await demo_bot.slack.wait_response(since=since, timeout=10)
    assert "Opened `shop` #" in reply.body["text"]
    assert "/invite" in reply.body["text"]
    assert "/pscale dr post shop" in reply.body["text"]
    assert demo_bot.slack.messages("C0SECRET001") == []


@pytest.mark.parametrize(
    ("status", "said"),
    [(500, "may or may not have happened"), (429, "rate-limiting"), (403, "did not allow"), (404, "found no")],
)
async def test_a_failed_click_says_what_happened_and_can_be_tried_again(
    demo_bot: RunningBot, status: int, said: str
) -> None:
    assert demo_bot.planetscale is not None
    card = await post_card(demo_bot, "dr post shop 1")
    click(demo_bot, card, "dr_approve", actor=BOB_ACTOR)
    card = await wait_card(demo_bot, card.ts, f"<@{BOB_ACTOR.user_id}>")
    demo_bot.planetscale.world.faults.error(method="POST", path=paths.DEPLOY, status=status)  # retries run out
    since = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_deploy", actor=ALICE)
    assert said in await _ephemeral(demo_bot, since, timeout=14)
    demo_bot.planetscale.world.faults.clear()
    deploys = _calls(demo_bot, "POST", paths.DEPLOY)
    click(demo_bot, card, "dr_deploy", actor=ALICE)  # the same drawing: the failed click did not use it up
    await wait_card(demo_bot, card.ts, "Starting the deployment")
    assert _calls(demo_bot, "POST", paths.DEPLOY) == deploys + 1


async def test_a_click_planetscale_never_answers_still_gets_a_reply_in_time(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    card = await post_card(demo_bot, "dr post shop 1")
    demo_bot.planetscale.world.faults.hang(method="POST", path=paths.REVIEWS, seconds=30)
    since = len(demo_bot.slack.response_posts)
    try:
        click(demo_bot, card, "dr_approve", actor=BOB_ACTOR)
        text = await _ephemeral(demo_bot, since, timeout=20)
    finally:
        demo_bot.planetscale.world.faults.release()
    assert "did not answer in time" in text or "took too long" in text.lower(), text


async def test_a_push_to_the_branch_dismisses_the_approval_and_the_card_offers_approve_again(
    demo_bot: RunningBot,
) -> None:
    assert demo_bot.planetscale is not None
    world = demo_bot.planetscale.world
    bob = f"<@{BOB_ACTOR.user_id}>"
    card = await post_card(demo_bot, "dr post shop 1")
    click(demo_bot, card, "dr_approve", actor=BOB_ACTOR)
    card = await wait_card(demo_bot, card.ts, f"Approved by {bob}")
    assert "dr_deploy" in buttons(card)
    world.advance(60)
    # Carol pushes another change to the branch: PlanetScale recomputes the deploy request and dismisses the approval.
    world.change_schema(
        "acme", "shop", "add-orders-index", table="orders",
        ddl="ALTER TABLE `orders` ADD INDEX `idx_user_total` (`user_id`, `total_cents`)",
        create_sql="CREATE TABLE `orders` (`id` bigint NOT NULL, PRIMARY KEY (`id`))",
    )
    since = len(demo_bot.slack.calls)
    click(demo_bot, card, "dr_refresh", actor=ALICE)
    card = await wait_card(demo_bot, card.ts, "Waits for an administrator's approval", since=since)
    drawn = str(card.blocks)
    assert "Approved by" not in drawn
    assert "idx_user_total" in drawn  # the operations as PlanetScale recomputed them
    assert "dr_approve" in buttons(card)
    assert "dr_deploy" not in buttons(card)
    reviews = _calls(demo_bot, "POST", paths.REVIEWS)
    since = len(demo_bot.slack.calls)
    click(demo_bot, card, "dr_approve", actor=BOB_ACTOR)  # the same approver, a second time
    card = await wait_card(demo_bot, card.ts, f"Approved by {bob}", since=since)
    assert _calls(demo_bot, "POST", paths.REVIEWS) == reviews + 1
    assert "dr_deploy" in buttons(card)


async def test_refresh_reads_with_the_clickers_grant_and_background_redraws_with_the_posters(
    demo_bot: RunningBot,
) -> None:
    served = demo_bot.planetscale
    assert served is not None
    assert served.demo is not None
    alice, bob = served.demo.admin.id, served.demo.second_admin.id
    card = await post_card(demo_bot, "dr post shop 1")  # posted by Alice

    async def readers_after(count: int) -> set[str | None]:
        for _ in range(200):
            reads = served.calls("GET", paths.DEPLOY_REQUEST)[count:]
            if reads:
                return {read.user_id for read in reads}
            await asyncio.sleep(0.05)
        raise AssertionError("the deploy request was not read")

    before = len(served.calls("GET", paths.DEPLOY_REQUEST))
    click(demo_bot, card, "dr_refresh", actor=BOB_ACTOR)
    assert await readers_after(before) == {bob}  # what Bob sees is what Bob acts on

    before = len(served.calls("GET", paths.DEPLOY_REQUEST))
    since = len(demo_bot.slack.calls)
    assert demo_bot.command("dr approve shop 1", actor=BOB_ACTOR).status_code == 200
    await wait_card(demo_bot, card.ts, f"Approved by <@{BOB_ACTOR.user_id}>", since=since)
    assert await readers_after(before) == {alice}  # the card is still Alice's: redrawn with her grant


async def test_a_click_on_a_card_before_slack_answered_its_post_is_carried_out(demo_bot: RunningBot) -> None:
    # Slack shows a message as soon as it has posted it; its answer to `chat.postMessage` (the message's ts) reaches
    # the bot later, and later still on a loaded machine. A click in between comes from the card all the same.
    served = demo_bot.planetscale
    assert served is not None
    assert served.demo is not None
    demo_bot.slack.answer_late("chat.postMessage", seconds=2)
    since = len(demo_bot.slack.calls)
    assert demo_bot.command("dr post shop 1").status_code == 200
    posted = await demo_bot.slack.wait_call(
        "chat.postMessage", where=lambda call: not call.args.get("thread_ts"), since=since, timeout=10
    )
    card = message(demo_bot, str(posted.response["ts"]))
    await _approved_elsewhere_then_refreshed(demo_bot, card, since=since)


@SLOW_SLACK
@pytest.mark.parametrize("answer", ["too late", "lost"])
async def test_a_card_whose_post_slack_did_not_answer_is_still_carried_out_when_clicked(
    demo_bot: RunningBot, answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue: Slack posted the card, but its answer came after the bot stopped waiting (or the connection broke
    before it came); the bot deleted the card's record as if nothing had been posted, and a click on the card Slack
    showed was answered "I no longer know this card"."""
    caplog.set_level(logging.INFO)
    served = demo_bot.planetscale
    assert served is not None
    assert served.demo is not None
    if answer == "too late":
        demo_bot.slack.answer_late("chat.postMessage", seconds=demo_bot.runtime.settings.slack_api_timeout + 2)
    else:
        demo_bot.slack.drop_answer("chat.postMessage")
    since = len(demo_bot.slack.calls)
    replies = len(demo_bot.slack.response_posts)
    assert demo_bot.command("dr post shop 1").status_code == 200
    posted = await demo_bot.slack.wait_call(
        "chat.postMessage", where=lambda call: not call.args.get("thread_ts"), since=since, timeout=10
    )
    card = message(demo_bot, str(posted.response["ts"]))
    # The command's reply: by then the bot has given up on Slack's answer, and done what it does with the card.
    waited = demo_bot.runtime.settings.slack_api_timeout + 10
    told = str((await demo_bot.slack.wait_response(since=replies, timeout=waited)).body["text"])
    assert "Slack did not confirm that it posted the card of `shop` #1" in told, told  # not "post it again" outright
    assert tracebacks(caplog) == []
    await _approved_elsewhere_then_refreshed(demo_bot, card, since=since)


async def test_a_created_deploy_request_whose_card_slack_did_not_answer_is_told_as_opened(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    demo_bot.slack.drop_answer("chat.postMessage")
    told = everything(await reply(demo_bot, "dr create shop add-wishlist"))
    assert "Opened `shop` #" in told, told
    assert "Slack did not confirm that it posted its card here" in told, told
    assert tracebacks(caplog) == []
    cards = [m for m in demo_bot.slack.messages(ALICE.channel_id) if "add-wishlist" in m.text and not m.thread_ts]
    assert len(cards) == 1


async def _card_records(bot: RunningBot, number: int) -> list[object]:
    """The bot's records of cards of `shop` #`number`, posted or not."""
    return await bot.call(
        bot.runtime.database.fetchall("SELECT card_id FROM cards WHERE database = ? AND number = ?", ("shop", number))
    )


def _cards_in_channel(bot: RunningBot, title: str) -> list[StoredMessage]:
    return [m for m in bot.slack.messages(ALICE.channel_id) if title in str(m.blocks) and not m.thread_ts]


async def test_a_card_slack_could_not_be_reached_for_is_told_so_and_posts_when_tried_again(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue: with Slack's Web API unreachable (every connection refused), `dr post` was answered "Something
    went wrong on our side", with a traceback in the log, though Slack had certainly posted nothing and trying again
    later was all there was to do."""
    caplog.set_level(logging.INFO)
    with web_api_host.unreachable():
        told = everything(await reply(apart_bot, "dr post shop 1"))
    assert "Slack could not be reached" in told, told
    assert "nothing was posted" in told, told
    assert "`/pscale dr post shop 1`" in told, told
    assert tracebacks(caplog) == []
    assert _cards_in_channel(apart_bot, "shop #1 add-orders-index") == []
    assert await _card_records(apart_bot, 1) == []  # certainly not posted: its record is gone too
    card = await post_card(apart_bot, "dr post shop 1")  # Slack is back: the same command posts it, once
    assert [m.ts for m in _cards_in_channel(apart_bot, "shop #1 add-orders-index")] == [card.ts]
    assert len(await _card_records(apart_bot, 1)) == 1


async def test_show_diff_where_slack_cannot_be_reached_says_so(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """A click whose work needs Slack (Show diff opens a modal first) when Slack's Web API is out of reach: told so,
    where it had been "Something went wrong" and a traceback."""
    caplog.set_level(logging.INFO)
    card = await post_card(apart_bot, "dr post shop 1")
    since = len(apart_bot.slack.response_posts)
    with web_api_host.unreachable():
        click(apart_bot, card, "dr_diff", actor=ALICE)
        told = await _ephemeral(apart_bot, since)
    assert "Slack could not be reached, so that was not done" in told, told
    assert tracebacks(caplog) == []


async def test_a_click_that_fails_on_our_side_is_told_as_a_click(demo_bot: RunningBot) -> None:
    """The reply for a failure of ours names what the person did: they clicked, where it had said "while handling
    that command"."""
    card = await post_card(demo_bot, "dr post shop 1")
    demo_bot.run(demo_bot.runtime.database.close())  # the click's read of its card now raises
    since = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_refresh", actor=ALICE)
    told = await _ephemeral(demo_bot, since)
    assert "Something went wrong on our side while handling that click" in told, told


async def test_a_click_done_while_slack_cannot_be_reached_logs_no_traceback(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """Bob approves on the card while Slack's Web API is out of reach: PlanetScale approves, and neither the lost
    history line in the card's thread nor the redraw that could not be sent is logged as a fault of ours."""
    caplog.set_level(logging.INFO)
    card = await post_card(apart_bot, "dr post shop 1")
    reviews = _calls(apart_bot, "POST", paths.REVIEWS)
    since = len(apart_bot.slack.response_posts)
    with web_api_host.unreachable():
        click(apart_bot, card, "dr_approve", actor=BOB_ACTOR)
        for _ in range(100):
            if [r for r in caplog.records if "could not post to the thread" in r.getMessage()]:
                break
            await asyncio.sleep(0.05)
    assert _calls(apart_bot, "POST", paths.REVIEWS) == reviews + 1
    assert [post.body for post in apart_bot.slack.response_posts[since:]] == []  # nothing to tell Bob: it is done
    assert tracebacks(caplog) == []


async def test_a_created_deploy_request_whose_card_slack_could_not_be_reached_for_is_told_as_opened(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """`dr create` opened the deploy request, then Slack's Web API could not be reached for its card: the reply
    says it was opened (so nobody creates it twice) and how to post its card, not "Something went wrong"."""
    caplog.set_level(logging.INFO)
    creates = _calls(apart_bot, "POST", paths.DEPLOY_REQUESTS)
    with web_api_host.unreachable():
        told = everything(await reply(apart_bot, "dr create shop add-wishlist"))
    assert "Opened `shop` #" in told, told
    number = int(told.split("Opened `shop` #", 1)[1].split(" ", 1)[0])
    assert "Slack could not be reached" in told, told
    assert f"`/pscale dr post shop {number}`" in told, told
    assert _calls(apart_bot, "POST", paths.DEPLOY_REQUESTS) == creates + 1
    assert tracebacks(caplog) == []
    assert await _card_records(apart_bot, number) == []
    card = await post_card(apart_bot, f"dr post shop {number}")
    assert "add-wishlist" in str(card.blocks)
    assert [m.ts for m in _cards_in_channel(apart_bot, "add-wishlist")] == [card.ts]


async def test_a_drop_table_card_and_its_deploy_confirm_name_the_table_and_the_data_loss(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    world = demo_bot.planetscale.world
    world.create_branch("acme", "analytics", name="drop-sessions", actor_id=None)
    world.change_schema("acme", "analytics", "drop-sessions", table="sessions", ddl="DROP TABLE `sessions`",
                        create_sql=None)
    card = await post_card(demo_bot, "dr create analytics drop-sessions --enable-auto-apply")
    drawn = str(card.blocks)
    assert "Deploying this loses data:* drops table `sessions` and every row in it." in drawn
    confirm = buttons(card)["dr_deploy"]["confirm"]
    assert "drops table `sessions` and every row in it" in confirm["text"]["text"]
    assert confirm["style"] == "danger"
    sections = [block["text"]["text"] for block in card.blocks if block["type"] == "section"]
    assert any("```\nDROP TABLE `sessions`\n```" in text for text in sections)  # the fence survives the backtick


async def test_refresh_pressed_again_and_again_shares_the_read_still_to_come(demo_bot: RunningBot) -> None:
    """Each press gets a read that began after it, but presses by one person that come while a read waits its turn
    share that read: one at a time, not one each queued behind PlanetScale's pacing (300 presses in a row were each
    told, 14 s later, that it took too long)."""
    served = demo_bot.planetscale
    assert served is not None
    assert served.demo is not None
    card = await post_card(demo_bot, "dr post shop 1")
    before = len(served.calls("GET", paths.DEPLOY_REQUEST))
    served.world.faults.latency(method="GET", path=paths.DEPLOY_REQUEST, seconds=1.5, times=1)
    replies = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_refresh", actor=ALICE)  # its read is slow: the next presses wait behind it
    await asyncio.sleep(0.3)
    served.world.review_deploy_request("acme", "shop", 1, actor_id=served.demo.second_admin.id, state="approved")
    since = len(demo_bot.slack.calls)
    for _ in range(20):
        click(demo_bot, card, "dr_refresh", actor=ALICE)
    await wait_card(demo_bot, card.ts, "Approved by", since=since)  # read after the approval, as they were pressed
    await asyncio.sleep(0.5)
    assert len(served.calls("GET", paths.DEPLOY_REQUEST)) - before == 2
    told = [str(post.body) for post in demo_bot.slack.response_posts.snapshot()[replies:]]
    assert told == [], told  # a refresh that redraws the card says nothing more


async def _approved_elsewhere_then_refreshed(demo_bot: RunningBot, card: StoredMessage, *, since: int) -> None:
    """Bob approves `shop` #1 in PlanetScale, Alice presses the card's Refresh: the card shows the approval, and
    nobody is told the bot no longer knows the card."""
    served = demo_bot.planetscale
    assert served is not None
    assert served.demo is not None
    served.world.review_deploy_request("acme", "shop", 1, actor_id=served.demo.second_admin.id, state="approved")
    replies = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_refresh", actor=ALICE)
    await wait_card(demo_bot, card.ts, f"Approved by <@{BOB_ACTOR.user_id}>", since=since)
    told = [str(post.body.get("text")) for post in demo_bot.slack.response_posts[replies:]]
    assert not [text for text in told if "no longer know this card" in text], told
