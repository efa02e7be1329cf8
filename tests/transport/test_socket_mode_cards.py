"""Cards over Socket Mode, the manifest's default: the command, the link and the click all travel the WebSocket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bot.config import Mode
from bot.render.message import Message
from bot.sandbox.planetscale import World, seed_demo
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import run_bot
from tests.support.cards import ALICE, buttons, wait_card
from tests.support.oauth_browser import Browser, link_button_url
from tests.support.slack import block_actions_payload, button_action, slash_payload


async def _command(slack: SlackStandIn, text: str) -> dict[str, Any]:
    """`/pscale text` as a `slash_commands` envelope; returns the ack's payload (the immediate answer, if any)."""
    response_url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    envelope_id = await slack.socket.send(envelope_type="slash_commands", payload=slash_payload(text, response_url))
    ack = await slack.socket.wait_ack(envelope_id, timeout=5)
    payload: dict[str, Any] = ack.get("payload") or {}
    return payload


async def test_a_card_is_posted_and_clicked_over_socket_mode(slack_standin: SlackStandIn, tmp_path: Path) -> None:
    world = World()
    seed_demo(world)  # the OAuth stand-in approves as its first user, Alice Admin
    with run_bot(slack=slack_standin, data_dir=tmp_path, mode=Mode.SOCKET, planetscale=world) as bot:
        await slack_standin.socket.wait_connected(timeout=10)
        prompt = await _command(slack_standin, "login")
        start_url = link_button_url(Message(text=prompt["text"], blocks=tuple(prompt["blocks"])))
        with httpx.Client(timeout=10) as browser:
            assert Browser(browser).link(start_url).status_code == 200

        since = len(slack_standin.calls)
        replies = len(slack_standin.response_posts)
        await _command(slack_standin, "dr post shop 1")
        # The reply comes once the card is stored with its `ts`: a click before that would find no card.
        await slack_standin.wait_response(since=replies, timeout=10)
        posted = await slack_standin.wait_call(
            "chat.postMessage", where=lambda call: call.args.get("channel") == ALICE.channel_id, since=since, timeout=10
        )
        card = slack_standin.workspace.message(ALICE.channel_id, str(posted.response["ts"]))
        approve = buttons(card)["dr_approve"]
        block_id = approve.pop("_block_id")
        payload = block_actions_payload(
            actions=[button_action(approve, block_id=block_id)],
            response_url=slack_standin.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id),
            message_ts=card.ts,
            actor=ALICE,
            message=card.to_api(),
        )
        envelope_id = await slack_standin.socket.send(envelope_type="interactive", payload=payload)
        await slack_standin.socket.wait_ack(envelope_id, timeout=5)
        await wait_card(bot, card.ts, f"Approved by <@{ALICE.user_id}>")
