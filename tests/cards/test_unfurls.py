"""A shared link to a deploy request unfurls as the live card, read with the grant of whoever shared it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.cards.store import MAX_REDRAW_FAILURES, REDRAW_RETRY_SECONDS
from bot.sandbox.slack.workspace import SlackUser, StoredMessage
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.cards import ALICE, validate_blocks
from tests.support.replies import tracebacks
from tests.support.slack import (
    BOB_ACTOR,
    Actor,
    WebApiHost,
    block_actions_payload,
    button_action,
    event_callback,
    interaction,
)
from tests.support.webhooks import reconciler_passes, until

BOB = BOB_ACTOR.user_id

LINK = "https://app.planetscale.com/acme/shop/deploy-requests/1"
DAVE = SlackUser(id="U0DAVE00001", name="dave", real_name="Dave Unlinked")


def _share(bot: RunningBot, text: str, *, actor: Actor = ALICE, event_id: str | None = None) -> StoredMessage:
    """A person posts `text`; Slack tells the bot about its app.planetscale.com links (`link_shared`)."""
    message = bot.slack.workspace.post(
        channel=actor.channel_id, author=actor.user_id, text=text, blocks=None, source="user", as_bot=False,
        check_membership=False,
    )
    event = {
        "type": "link_shared", "channel": actor.channel_id, "user": actor.user_id, "message_ts": message.ts,
        "unfurl_id": f"{actor.channel_id}.{message.ts}", "source": "conversations_history",
        "links": [{"url": text.strip("<>"), "domain": "app.planetscale.com"}], "event_ts": message.ts,
        "is_bot_user_member": True,
    }
    request = event_callback(signing_secret=SIGNING_SECRET, event=event, event_id=event_id)
    assert bot.post_events(request).status_code == 200
    return message


def _unfurl_click(bot: RunningBot, message: StoredMessage, action_id: str, *, actor: Actor) -> None:
    """A click on a button of the unfurl, with the container Slack sends for app unfurls."""
    blocks = bot.slack.workspace.message(message.channel, message.ts).unfurls[LINK]["blocks"]
    block = next(b for b in blocks if b["type"] == "actions")
    button = next(e for e in block["elements"] if e["action_id"] == action_id)
    payload: dict[str, Any] = block_actions_payload(
        actions=[button_action(button, block_id=block["block_id"])],
        response_url=bot.slack.new_response_url(channel=actor.channel_id, user=actor.user_id),
        message_ts=message.ts, actor=actor, message=message.to_api(),
    )
    payload["container"] = {
        "type": "message_attachment", "message_ts": message.ts, "attachment_id": 1, "channel_id": actor.channel_id,
        "is_ephemeral": False, "is_app_unfurl": True, "app_unfurl_url": LINK,
    }
    assert bot.post_events(interaction(payload, signing_secret=SIGNING_SECRET)).status_code == 200


async def test_a_shared_link_unfurls_as_a_card_whose_buttons_act_and_redraw_it(demo_bot: RunningBot) -> None:
    message = _share(demo_bot, f"<{LINK}>")
    unfurled = await demo_bot.slack.wait_call("chat.unfurl", where=lambda call: call.args.get("ts") == message.ts)
    assert unfurled.ok, unfurled.response
    blocks = unfurled.args["unfurls"][LINK]["blocks"]
    validate_blocks(blocks)
    assert "shop #1 add-orders-index → main" in str(blocks)

    _unfurl_click(demo_bot, message, "dr_approve", actor=BOB_ACTOR)
    redrawn = await demo_bot.slack.wait_call(
        "chat.unfurl",
        where=lambda call: call.args.get("ts") == message.ts and f"Approved by <@{BOB}>" in str(call.args),
    )
    assert redrawn.ok, redrawn.response
    unfurls = demo_bot.slack.workspace.message(message.channel, message.ts).unfurls
    assert f"Approved by <@{BOB}>" in str(unfurls[LINK])


async def test_links_an_unlinked_person_shares_or_cannot_read_stay_as_they_are(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    demo_bot.slack.add_user(DAVE)
    dave = Actor(user_id=DAVE.id, user_name=DAVE.name)
    _share(demo_bot, f"<{LINK}>", actor=dave)
    # Dave alone is offered, once a day, to link his account: his links could be live cards.
    offer = await demo_bot.slack.wait_call("chat.postEphemeral", where=lambda call: call.args.get("user") == DAVE.id)
    assert "link_account" in str(offer.args.get("blocks"))
    _share(demo_bot, f"<{LINK}>", actor=dave)
    _share(demo_bot, "<https://app.planetscale.com/globex/inventory/deploy-requests/1>")  # not Alice's org
    _share(demo_bot, "<https://app.planetscale.com/acme/shop/branches/main>")  # not a deploy request
    marker = _share(demo_bot, f"<{LINK}>")  # one that does unfurl, so the test knows the bot is working through them
    await demo_bot.slack.wait_call("chat.unfurl", where=lambda call: call.args.get("ts") == marker.ts)
    await asyncio.sleep(0.5)  # time for a wrong unfurl of the others to show up too
    assert [call.args["ts"] for call in demo_bot.slack.calls if call.method == "chat.unfurl"] == [marker.ts]
    assert len([call for call in demo_bot.slack.calls if call.method == "chat.postEphemeral"]) == 1
    globex = [r for r in demo_bot.planetscale.world.requests if "/globex/" in r.path]
    assert globex  # the link to another org was tried with Alice's grant, and PlanetScale said no


async def test_a_link_offer_slack_could_not_be_reached_for_is_one_log_line_and_made_with_the_next_link(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """Dave, unlinked, shares a link while Slack's Web API is out of reach: the offer to link is one log line (it had
    been a traceback), and since Slack certainly showed him nothing, the next link he shares that day brings it."""
    caplog.set_level(logging.INFO)
    apart_bot.slack.add_user(DAVE)
    dave = Actor(user_id=DAVE.id, user_name=DAVE.name)
    with web_api_host.unreachable():
        _share(apart_bot, f"<{LINK}>", actor=dave)
        await until(lambda: "could not offer" in caplog.text, timeout=10)
    assert tracebacks(caplog) == []
    _share(apart_bot, f"<{LINK}>", actor=dave)
    offer = await apart_bot.slack.wait_call("chat.postEphemeral", where=lambda call: call.args.get("user") == DAVE.id)
    assert "link_account" in str(offer.args.get("blocks"))


async def _approve_as_bob(bot: RunningBot) -> None:
    """`dr review shop 1 --approve` as Bob; returns once its redraw of the unfurl has been tried."""
    since = len(bot.slack.response_posts)
    assert bot.command("dr review shop 1 --approve", actor=BOB_ACTOR).status_code == 200
    assert "Approved" in (await bot.slack.wait_response(since=since, timeout=10)).body["text"]
    await until(lambda: bot.runtime.tasks.running == 0)


def _unfurl_errors(bot: RunningBot, message: StoredMessage) -> list[str | None]:
    return [call.error for call in bot.slack.calls if call.method == "chat.unfurl" and call.args["ts"] == message.ts]


async def _unfurled(bot: RunningBot) -> StoredMessage:
    message = _share(bot, f"<{LINK}>")
    await bot.slack.wait_call("chat.unfurl", where=lambda call: call.args.get("ts") == message.ts and call.ok)
    await until(lambda: bot.runtime.tasks.running == 0)
    return message


async def _no_second_try(bot: RunningBot) -> None:
    """Past when a failure that may pass is drawn again, and two reconciler passes more."""
    await asyncio.sleep(REDRAW_RETRY_SECONDS + 1)
    await reconciler_passes(bot, 2)


async def test_an_unfurl_slack_refuses_for_good_is_given_up_at_once_in_one_log_line(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """A workspace admin blocklisted the domain: chat.unfurl answers `cannot_unfurl_url`
    (https://api.slack.com/methods/chat.unfurl#errors) however often it is asked. The unfurl is given up on as after
    its last try, where it used to be drawn 12 times over about an hour, each time a warning."""
    caplog.set_level(logging.INFO)
    message = await _unfurled(demo_bot)
    demo_bot.slack.refuse("chat.unfurl", "cannot_unfurl_url", times=MAX_REDRAW_FAILURES)  # as Slack would
    await _approve_as_bob(demo_bot)
    assert _unfurl_errors(demo_bot, message) == [None, "cannot_unfurl_url"]
    state = await demo_bot.call(
        demo_bot.runtime.database.fetchone("SELECT redraw_at, redraw_failures FROM cards WHERE ts = ?", (message.ts,))
    )
    assert state == (None, MAX_REDRAW_FAILURES)
    await _no_second_try(demo_bot)
    assert _unfurl_errors(demo_bot, message) == [None, "cannot_unfurl_url"]
    told = [record for record in caplog.records if "cannot_unfurl_url" in record.getMessage()]
    assert [record.levelno for record in told] == [logging.WARNING], [record.getMessage() for record in told]
    assert demo_bot.slack.bot_token not in caplog.text


async def test_an_unfurl_whose_link_was_edited_out_is_forgotten(demo_bot: RunningBot) -> None:
    """Its author edited the link out of the message: chat.unfurl answers `cannot_unfurl_message`, and nothing is
    left where that card could be drawn."""
    message = await _unfurled(demo_bot)
    demo_bot.slack.workspace.replace(message, text="never mind", blocks=None)
    await _approve_as_bob(demo_bot)
    assert _unfurl_errors(demo_bot, message) == [None, "cannot_unfurl_message"]
    cards = await demo_bot.call(
        demo_bot.runtime.database.fetchall("SELECT card_id FROM cards WHERE ts = ?", (message.ts,))
    )
    assert cards == []
    await _no_second_try(demo_bot)
    assert _unfurl_errors(demo_bot, message) == [None, "cannot_unfurl_message"]
