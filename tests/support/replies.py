"""Sending `/pscale …` to the bot under test and reading what came back, with every block validated."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.render.message import Message
from bot.sandbox.slack import SlackError
from bot.sandbox.slack.limits import check_message
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.slack import Actor, block_actions, button_action

ALICE = Actor()


def validate_blocks(blocks: list[dict[str, Any]]) -> None:
    """As Slack would: the Slack stand-in's limits (counts, lengths, the total of text), then slack_sdk's models."""
    try:
        check_message("", blocks)
    except SlackError as refused:
        raise AssertionError(f"Slack would refuse these blocks: {refused}") from None
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def validate_view(view: dict[str, Any]) -> None:
    View(**view).validate_json()


def everything(body: dict[str, Any]) -> str:
    """The fallback text and every block, as one string to search."""
    return str(body.get("text", "")) + str(body.get("blocks", ""))


async def reply(bot: RunningBot, text: str, *, actor: Actor = ALICE, timeout: float = 10) -> dict[str, Any]:
    """The command's one reply through response_url (ephemeral unless said otherwise), blocks validated."""
    since = len(bot.slack.response_posts)
    ack = bot.command(text, actor=actor)
    assert ack.status_code == 200, ack.text
    assert not ack.content or ack.json() in ({}, None), f"expected an empty ack, got {ack.text}"
    post = await bot.slack.wait_response(since=since, timeout=timeout)
    body: dict[str, Any] = post.body
    validate_blocks(body.get("blocks", []))
    return body


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What was logged with a traceback: none for a failure the bot expects (Slack out of reach, say)."""
    return [record.getMessage() for record in caplog.records if record.exc_info]


def usage_error(bot: RunningBot, text: str) -> str:
    """Wrong input is answered in the ack itself; returns its text after checking it shows the usage."""
    ack = bot.command(text)
    assert ack.status_code == 200
    body = ack.json()
    assert body["response_type"] == "ephemeral"
    validate_blocks(body.get("blocks", []))
    assert any(line.startswith("Usage: /pscale") for line in body["text"].splitlines()), body["text"]
    return str(body["text"])


def planetscale_calls(bot: RunningBot, method: str, template: str) -> int:
    """How many requests the PlanetScale stand-in has served for (method, path template)."""
    assert bot.planetscale is not None
    return len(bot.planetscale.calls(method, template))


async def confirmed(bot: RunningBot, text: str) -> str:
    """A destructive command: the dispatcher's question, then the asker's click; returns the final reply."""
    question = bot.command(text).json()
    confirm = next(element for block in question["blocks"] for element in block.get("elements", [])
                   if element.get("action_id") == "cmd_confirm")
    since = len(bot.slack.response_posts)
    url = bot.slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    click = block_actions(signing_secret=SIGNING_SECRET, actions=[button_action(confirm, block_id="confirm_command")],
                          response_url=url, message_ts="1.000001", actor=ALICE, is_ephemeral=True)
    assert bot.post_events(click).status_code == 200
    done = await bot.slack.wait_response(since=since, timeout=10)
    validate_blocks(done.body.get("blocks", []))
    return everything(done.body)


def assert_valid_slack_message(message: Message) -> None:
    assert message.visibility == "ephemeral"
    assert message.text
    assert 0 < len(message.blocks) <= 50
    # Slack refuses messages whose blocks total ~13k characters (msg_blocks_too_long), below any documented limit.
    assert len(json.dumps(message.blocks, ensure_ascii=False)) < 12_000
    for block in message.blocks:
        assert_valid_block(block)


def assert_valid_block(block: dict[str, Any]) -> None:
    parsed = Block.parse(block)
    assert parsed is not None
    parsed.validate_json()
    assert parsed.to_dict() == block
    if block["type"] == "section":
        assert 0 < len(block["text"]["text"]) <= 3000
    if block["type"] == "header":
        assert len(block["text"]["text"]) <= 150
    if block["type"] == "context":
        assert all(0 < len(element["text"]) <= 3000 for element in block["elements"])
