"""App Home over real HTTP: the `app_home_opened` event in, `views.publish` to the Slack stand-in out; a click on
the Home approves with the clicker's grant, once, and the author hears of it in a direct message."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.sandbox.planetscale import paths
from bot.sandbox.slack.payloads import event_callback, home_opened_event
from bot.sandbox.slack.workspace import SlackUser
from tests.support.bot import SIGNING_SECRET, SLOW_SLACK, RunningBot
from tests.support.cards import ALICE, post_card, wait_card
from tests.support.home import (
    button_for,
    click_home,
    direct_messages,
    home_buttons,
    home_text,
    open_home,
    wait_direct_message,
)
from tests.support.replies import tracebacks
from tests.support.slack import BOB_ACTOR, Actor, WebApiHost
from tests.support.webhooks import until

DAVE = SlackUser(id="U0DAVE00001", name="dave", real_name="Dave Unlinked")
DAVE_ACTOR = Actor(user_id=DAVE.id, user_name=DAVE.name)


def bobs_deploy_request(bot: RunningBot) -> int:
    """Bob opens a deploy request in `shop` from PlanetScale's side (its web app, say): the bot hears of it only by
    reading."""
    assert bot.planetscale is not None
    assert bot.planetscale.demo is not None
    world = bot.planetscale.world
    bob = bot.planetscale.demo.second_admin
    return world.create_deploy_request("acme", "shop", actor_id=bob.id, branch="add-wishlist").number


async def test_an_unlinked_person_gets_the_link_button(demo_bot: RunningBot) -> None:
    demo_bot.slack.add_user(DAVE)
    view = await open_home(demo_bot, DAVE_ACTOR)
    [link] = home_buttons(view, "link_account")
    assert "/oauth/planetscale/start?t=" in link["url"]
    assert "Waiting for your review" not in home_text(view)


async def test_the_author_sees_their_request_and_an_admin_what_waits_for_them(demo_bot: RunningBot) -> None:
    number = bobs_deploy_request(demo_bot)
    bob_home = await open_home(demo_bot, BOB_ACTOR)
    mine = home_text(bob_home).split("Your deploy requests")[1]
    assert f"shop #{number}" in mine
    assert "add-wishlist" in mine
    assert "Ready to deploy" in mine or "Checking whether it can be deployed" in mine  # its state in words

    alice_home = await open_home(demo_bot, ALICE)
    waiting = home_text(alice_home).split("Waiting for your review")[1].split("Your deploy requests")[0]
    assert f"shop #{number}" in waiting
    assert "shop #1" in waiting  # Carol's, waiting for an admin since the seed
    assert "analytics" not in waiting  # analytics needs no approval
    assert button_for(alice_home, "dr_approve", f"/shop/{number}")
    assert button_for(alice_home, "dr_diff", f"/shop/{number}")
    assert "Approve" not in str(home_text(bob_home).split("Your deploy requests")[1])


async def test_alice_approves_bobs_request_from_her_home(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    number = bobs_deploy_request(demo_bot)
    card = await post_card(demo_bot, f"dr post shop {number}", actor=BOB_ACTOR)
    reviews = len(demo_bot.planetscale.calls("POST", paths.REVIEWS))
    home = await open_home(demo_bot, ALICE)
    approve = button_for(home, "dr_approve", f"/shop/{number}")

    after = await click_home(demo_bot, ALICE, home, approve)
    assert f"Approved shop #{number}" in home_text(after)  # the answer, on top of her Home published again
    await wait_card(demo_bot, card.ts, f"Approved by <@{ALICE.user_id}>")  # the card in the channel
    await wait_direct_message(demo_bot, BOB_ACTOR.user_id, f"approved by <@{ALICE.user_id}>")
    assert len(demo_bot.planetscale.calls("POST", paths.REVIEWS)) == reviews + 1

    # The same button again (her Slack may still show the Home as it was): no second review, no second DM.
    again = await click_home(demo_bot, ALICE, home, approve)
    assert "You already clicked *Approve*" in home_text(again)
    await asyncio.sleep(0.5)
    assert len(demo_bot.planetscale.calls("POST", paths.REVIEWS)) == reviews + 1
    approvals = [m for m in direct_messages(demo_bot, BOB_ACTOR.user_id) if "approved by" in m.text]
    assert len(approvals) == 1, [m.text for m in approvals]

    # The audit says where it was done.
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("audit shop").status_code == 200
    audit = str((await demo_bot.slack.wait_response(since=since, timeout=10)).body)
    assert "deploy-request approve (App Home)" in audit


async def test_fifty_databases_stay_within_a_views_limit_and_are_read_once_each(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    assert demo_bot.planetscale.demo is not None
    world = demo_bot.planetscale.world
    carol = demo_bot.planetscale.demo.member
    for index in range(48):  # with shop and analytics, fifty databases, each with one request waiting for Alice
        name = f"store-{index:02d}"
        world.add_database("acme", name, require_approval_for_deploy=True, tables={"t": "CREATE TABLE `t` (id int)"})
        world.create_branch("acme", name, name="feature", actor_id=carol.id)
        world.change_schema(
            "acme", name, "feature", table="u", ddl="CREATE TABLE `u` (id int)", create_sql="CREATE TABLE `u` (id int)"
        )
        world.create_deploy_request("acme", name, actor_id=carol.id, branch="feature")
    lists = len(demo_bot.planetscale.calls("GET", paths.DEPLOY_REQUESTS))

    view = await open_home(demo_bot, ALICE)
    assert len(view["blocks"]) <= 100  # and the stand-in, as strict as Slack, took it
    assert "…and 29 more" in home_text(view)  # 49 wait for her (48 + shop #1); 20 shown
    assert len(demo_bot.planetscale.calls("GET", paths.DEPLOY_REQUESTS)) == lists + 50  # one read per database

    await open_home(demo_bot, ALICE)  # opened again at once: the reads are still fresh
    assert len(demo_bot.planetscale.calls("GET", paths.DEPLOY_REQUESTS)) == lists + 50


async def test_an_author_who_unlinked_hears_nothing_more(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    number = bobs_deploy_request(demo_bot)
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("logout", actor=BOB_ACTOR).status_code == 200
    await demo_bot.slack.wait_response(since=since, timeout=10)
    reviews = len(demo_bot.planetscale.calls("POST", paths.REVIEWS))
    home = await open_home(demo_bot, ALICE)
    after = await click_home(demo_bot, ALICE, home, button_for(home, "dr_approve", f"/shop/{number}"))
    assert f"Approved shop #{number}" in home_text(after)
    assert len(demo_bot.planetscale.calls("POST", paths.REVIEWS)) == reviews + 1
    await asyncio.sleep(1)
    assert not [m for m in direct_messages(demo_bot, BOB_ACTOR.user_id) if f"shop #{number}" in m.text]


async def test_a_home_approval_whose_claimer_died_reads_again_before_acting(demo_bot: RunningBot) -> None:
    """A process died after claiming Alice's approval and after PlanetScale took it: the lease has lapsed, so her
    next click takes the claim over, reads the deploy request again, and sends no second review."""
    assert demo_bot.planetscale is not None
    assert demo_bot.planetscale.demo is not None
    number = bobs_deploy_request(demo_bot)
    home = await open_home(demo_bot, ALICE)
    demo_bot.planetscale.world.review_deploy_request(
        "acme", "shop", number, actor_id=demo_bot.planetscale.demo.admin.id, state="approved"
    )
    key = f"approve:{ALICE.team_id}:acme:shop:{number}:{ALICE.user_id}"
    await demo_bot.call(demo_bot.runtime.database.execute(
        "INSERT INTO card_clicks (click_key, card_id, action, user_id, claimed_at, lease_holder, lease_until)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (key, f"req:acme/shop/{number}", "dr_approve", ALICE.user_id, 1, "a-process-that-died", 2),
    ))
    reviews = len(demo_bot.planetscale.calls("POST", paths.REVIEWS))
    after = await click_home(demo_bot, ALICE, home, button_for(home, "dr_approve", f"/shop/{number}"))
    assert "You already clicked *Approve*" in home_text(after)
    assert len(demo_bot.planetscale.calls("POST", paths.REVIEWS)) == reviews


async def test_the_homes_toggle_turns_direct_messages_about_ones_own_off(demo_bot: RunningBot) -> None:
    home = await open_home(demo_bot, BOB_ACTOR)
    assert "About your own deploy requests: *on*" in home_text(home)
    [toggle] = home_buttons(home, "home_notify_mine")
    after = await click_home(demo_bot, BOB_ACTOR, home, toggle)
    assert "No more direct messages about your own deploy requests" in home_text(after)
    assert "About your own deploy requests: *off*" in home_text(after)

    number = bobs_deploy_request(demo_bot)
    alices = await open_home(demo_bot, ALICE)
    await click_home(demo_bot, ALICE, alices, button_for(alices, "dr_approve", f"/shop/{number}"))
    await asyncio.sleep(1)
    assert not [m for m in direct_messages(demo_bot, BOB_ACTOR.user_id) if f"shop #{number}" in m.text]


async def test_a_home_slack_will_not_take_now_is_one_log_line_and_published_when_opened_again(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack rate-limits `views.publish` (the fuzz suite's 10,000 cases reached it): a refusal, not a bug, so one
    warning naming Slack's error and no traceback; the next opening publishes it."""
    demo_bot.slack.add_user(DAVE)
    demo_bot.slack.rate_limit("views.publish", retry_after=60)  # longer than the bot waits out: it gives up
    since = len(demo_bot.slack.calls)
    with caplog.at_level(logging.WARNING):
        response = demo_bot.post_events(
            event_callback(signing_secret=SIGNING_SECRET, event=home_opened_event(user=DAVE_ACTOR.user_id))
        )
        assert response.status_code == 200
        refused = await demo_bot.slack.wait_call("views.publish", since=since, timeout=15)
        assert refused.status == 429
        for _ in range(100):
            if "could not publish the App Home" in caplog.text:
                break
            await asyncio.sleep(0.05)
    [line] = [record for record in caplog.records if "could not publish the App Home" in record.getMessage()]
    assert line.getMessage().endswith("ratelimited")
    assert line.exc_info is None
    assert home_buttons(await open_home(demo_bot, DAVE_ACTOR), "link_account")


async def test_a_home_slack_cannot_be_reached_for_is_one_log_line(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """Alice opens her Home while Slack's Web API is out of reach: one warning line where there had been a
    traceback, as for a refusal; the next opening publishes it."""
    caplog.set_level(logging.INFO)
    with web_api_host.unreachable():
        response = apart_bot.post_events(
            event_callback(signing_secret=SIGNING_SECRET, event=home_opened_event(user=ALICE.user_id))
        )
        assert response.status_code == 200
        await until(lambda: "could not publish the App Home" in caplog.text, timeout=10)
    assert tracebacks(caplog) == []
    assert "Waiting for your review" in home_text(await open_home(apart_bot, ALICE))


@SLOW_SLACK
@pytest.mark.parametrize("answer", ["lost", "too late"])
async def test_show_diff_on_the_home_whose_modal_slack_did_not_confirm_gets_a_plain_answer(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture, answer: str
) -> None:
    """Slack opens the diff modal but the connection breaks before its answer, or the answer comes after the bot
    stopped waiting: the Home's answer says Slack did not confirm it, where it had said "Something went wrong on our
    side" (and logged a traceback), or "That took longer than 14 seconds" (it was Slack's 10); its Home published
    with a lost answer too is one line."""
    caplog.set_level(logging.INFO)
    number = bobs_deploy_request(demo_bot)
    home = await open_home(demo_bot, ALICE)
    slack_api_timeout = demo_bot.runtime.settings.slack_api_timeout
    if answer == "lost":
        demo_bot.slack.drop_answer("views.open")
    else:
        demo_bot.slack.answer_late("views.open", seconds=slack_api_timeout + 2)
    demo_bot.slack.drop_answer("views.publish")
    since = len(demo_bot.slack.calls)
    after = await click_home(demo_bot, ALICE, home, button_for(home, "dr_diff", f"/shop/{number}"),
                             timeout=slack_api_timeout + 5)
    assert "Slack did not confirm that it did that" in home_text(after), home_text(after)
    assert [call.method for call in demo_bot.slack.calls[since:]] == ["views.open", "views.publish"]
    await until(lambda: "could not publish the App Home of" in caplog.text, timeout=10)
    assert tracebacks(caplog) == []
