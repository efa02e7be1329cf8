"""Submissions of the create modals: validated in the ack (errors shown on the form), then run as the command."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.commands.dispatch import CommandDispatcher, CommandRequest
from bot.commands.grammar import ParseFailure, parse
from bot.render.message import Message
from bot.render.modals import BRANCH_CREATE, DR_CREATE, command_text, submitted_values
from bot.slack.commands import run_followup
from bot.slack.port import WebApiSlackPort
from bot.tasks import TaskTracker


def register_modals(
    app: AsyncApp, *, dispatcher: CommandDispatcher, slack: WebApiSlackPort, tasks: TaskTracker
) -> None:
    async def submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        callback_id = str(view.get("callback_id"))
        values = submitted_values((view.get("state") or {}).get("values") or {})
        text = command_text(callback_id, values)
        parsed = parse(text)
        if isinstance(parsed, ParseFailure):
            # Show the problem beside the field it names (the grammar's messages say "database" or "branch").
            problem = parsed.problem.lower()
            field = "branch" if "branch" in problem and "database" not in problem else "database"
            await ack(response_action="errors", errors={field: parsed.problem[:150]})
            return
        await ack()
        user = body.get("user") or {}
        channel = str(json.loads(view.get("private_metadata") or "{}").get("channel", ""))
        request = CommandRequest(
            team_id=str(user.get("team_id") or (body.get("team") or {}).get("id", "")),
            user_id=str(user.get("id", "")),
            channel_id=channel,
            text=text,
        )
        accepted = dispatcher.accept(request)

        async def to_the_person(message: Message) -> None:
            # A form has no response_url: answer ephemerally in the channel the form was opened from.
            await slack.post_ephemeral(channel=request.channel_id, user=request.user_id, message=message)

        if accepted.ack is not None:
            tasks.spawn(to_the_person(accepted.ack), name=f"form {callback_id}")
        if accepted.followup is not None:
            tasks.spawn(run_followup(accepted.followup, to_the_person), name=f"form {callback_id}")

    app.view(BRANCH_CREATE)(submitted)
    app.view(DR_CREATE)(submitted)
