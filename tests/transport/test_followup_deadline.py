"""A follow-up's reply when time runs out (bot/slack/commands.py `run_followup`): its own deadline is told as too
slow; a Slack call inside it that got no answer in time is told as unconfirmed, since Slack may have done it."""

from __future__ import annotations

import asyncio

import pytest

from bot.render.message import Message
from bot.slack import commands
from bot.slack.commands import run_followup


async def test_the_reply_deadline_is_too_slow_and_a_slack_calls_own_timeout_is_unconfirmed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands, "FINAL_REPLY_SECONDS", 0.1)
    delivered: list[str] = []

    async def deliver(message: Message) -> None:
        delivered.append(message.text)

    async def outlasting_the_deadline() -> Message | None:
        await asyncio.sleep(5)
        return None

    async def slack_did_not_answer_in_time() -> Message | None:
        raise TimeoutError  # how the Slack port ends a Web API call that got no answer within its timeout

    await run_followup(outlasting_the_deadline, deliver, asked="command")
    await run_followup(slack_did_not_answer_in_time, deliver, asked="click")
    assert delivered[0].startswith(":hourglass: That took longer than 0.1 seconds"), delivered
    assert "Slack did not confirm that it did that" in delivered[1], delivered
