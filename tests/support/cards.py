"""Driving cards as Slack would: post one with `/pscale dr post`, click its buttons with signed payloads."""

from __future__ import annotations

from typing import Any, Protocol

from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.workspace import StoredMessage
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.replies import validate_blocks
from tests.support.slack import Actor, SignedRequest, block_actions, button_action

ALICE = Actor()


async def post_card(bot: RunningBot, text: str, *, actor: Actor = ALICE) -> StoredMessage:
    """Run `/pscale {text}` (a `dr post` or `dr create`) and return the card it posted."""
    posts_before = len([call for call in bot.slack.calls if call.method == "chat.postMessage"])
    since = len(bot.slack.response_posts)
    assert bot.command(text, actor=actor).status_code == 200
    reply = await bot.slack.wait_response(since=since, timeout=10)
    assert reply.body["response_type"] == "ephemeral", reply.body
    posted = [call for call in bot.slack.calls if call.method == "chat.postMessage"][posts_before:]
    # Direct messages it causes (to those who follow the database's reviews) are not the card.
    cards = [call for call in posted if not call.args.get("thread_ts") and call.args["channel"] == actor.channel_id]
    assert len(cards) == 1, (reply.body, [call.args for call in posted])
    validate_blocks(cards[0].args["blocks"])
    return message(bot, str(cards[0].response["ts"]), channel=actor.channel_id)


def message(bot: RunningBot, ts: str, *, channel: str = ALICE.channel_id) -> StoredMessage:
    return bot.slack.workspace.message(channel, ts)


def buttons(card: StoredMessage) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in card.blocks:
        if block.get("type") == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = {**element, "_block_id": block.get("block_id", "")}
    return found


class WithSlack(Protocol):
    """A running bot, or replicas: whatever has the Slack stand-in the clicks come from."""

    @property
    def slack(self) -> SlackStandIn: ...


def click_request(
    bot: WithSlack, card: StoredMessage, action_id: str, *, actor: Actor, drawn: dict[str, Any] | None = None
) -> SignedRequest:
    """The signed payload of a click on `action_id` of the card as it is now, or on `drawn`, a button of an
    older drawing that the clicker's Slack still showed."""
    button = dict(drawn or buttons(card)[action_id])
    block_id = button.pop("_block_id")
    response_url = bot.slack.new_response_url(channel=actor.channel_id, user=actor.user_id, message_ts=card.ts)
    return block_actions(
        signing_secret=SIGNING_SECRET,
        actions=[button_action(button, block_id=block_id)],
        response_url=response_url,
        message_ts=card.ts,
        actor=actor,
        message=card.to_api(),
        trigger_id=bot.slack.new_trigger_id(actor.user_id),
    )


def click(
    bot: RunningBot, card: StoredMessage, action_id: str, *, actor: Actor = ALICE, drawn: dict[str, Any] | None = None
) -> None:
    response = bot.post_events(click_request(bot, card, action_id, actor=actor, drawn=drawn))
    assert response.status_code == 200, response.text


async def wait_card(
    bot: RunningBot, ts: str, contains: str, *, timeout: float = 10, channel: str = ALICE.channel_id, since: int = 0
) -> StoredMessage:
    """Wait for a `chat.update` of the card at `ts` (from index `since` of the Web API calls) whose text or blocks
    mention `contains`."""
    await bot.slack.wait_call(
        "chat.update",
        where=lambda call: call.args.get("ts") == ts and contains in str(call.args.get("blocks")) + call.args["text"],
        timeout=timeout,
        since=since,
    )
    card = message(bot, ts, channel=channel)
    validate_blocks(card.blocks)
    return card


def thread(bot: RunningBot, ts: str, *, channel: str = ALICE.channel_id) -> list[str]:
    return [m.text for m in bot.slack.messages(channel) if m.thread_ts == ts and m.ts != ts]
