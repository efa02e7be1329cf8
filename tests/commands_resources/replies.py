"""Sending `/pscale …` to the bot under test and reading what came back, with every block validated."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.support.bot import RunningBot
from tests.support.slack import Actor

ALICE = Actor()


def validate_blocks(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def validate_view(view: dict[str, Any]) -> None:
    View(**view).validate_json()


def everything(body: dict[str, Any]) -> str:
    """The fallback text and every block, as one string to search."""
    return str(body.get("text", "")) + str(body.get("blocks", ""))


async def reply(bot: RunningBot, text: str, *, actor: Actor = ALICE) -> dict[str, Any]:
    """The command's one reply through response_url (ephemeral unless said otherwise), blocks validated."""
    since = len(bot.slack.response_posts)
    ack = bot.command(text, actor=actor)
    assert ack.status_code == 200, ack.text
    assert not ack.content or ack.json() in ({}, None), f"expected an empty ack, got {ack.text}"
    post = await bot.slack.wait_response(since=since, timeout=10)
    body: dict[str, Any] = post.body
    validate_blocks(body.get("blocks", []))
    return body


def usage_error(bot: RunningBot, text: str) -> str:
    """Wrong input is answered in the ack itself; returns its text after checking it shows the usage."""
    ack = bot.command(text)
    assert ack.status_code == 200
    body = ack.json()
    assert body["response_type"] == "ephemeral"
    validate_blocks(body.get("blocks", []))
    assert any(line.startswith("Usage: /pscale") for line in body["text"].splitlines()), body["text"]
    return str(body["text"])
