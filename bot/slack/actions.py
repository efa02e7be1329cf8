"""Button clicks that belong to commands: the confirmation of destructive commands and the link button."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.commands.dispatch import CommandDispatcher
from bot.render.confirm import CANCEL_ACTION, CONFIRM_ACTION
from bot.render.linking import LINK_ACTION
from bot.slack.commands import run_followup
from bot.slack.replies import ResponseUrlReplies
from bot.slack.routes import InteractionRoutes
from bot.slack.sender import sender
from bot.tasks import TaskTracker


def clicked_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value", ""))


def register_command_actions(
    routes: InteractionRoutes, *, dispatcher: CommandDispatcher, replies: ResponseUrlReplies, tasks: TaskTracker
) -> None:
    @routes.block_action(CONFIRM_ACTION)
    async def confirm(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        team_id, user_id = sender(body)
        accepted = await dispatcher.confirm(
            clicked_value(body), team_id=team_id, user_id=user_id, trigger_id=body.get("trigger_id")
        )
        if accepted.ack is not None:
            # A refusal (not yours, expired) goes to the clicker and leaves the question in place.
            tasks.spawn(replies.send(respond.response_url, accepted.ack, replace_original=False),
                        name="confirm refusal")
        if accepted.followup is not None:
            tasks.spawn(
                # The command they typed runs now that they confirmed it: its reply answers the command.
                run_followup(
                    accepted.followup, replies.to(respond.response_url, replace_original=True), asked="command"
                ),
                name=f"confirmed {accepted.command}",
            )

    @routes.block_action(CANCEL_ACTION)
    async def cancel(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        team_id, user_id = sender(body)
        answer = await dispatcher.cancel(clicked_value(body), team_id=team_id, user_id=user_id)
        tasks.spawn(replies.send(respond.response_url, answer.message, replace_original=answer.settled),
                    name="confirm cancel")

    @routes.block_action(LINK_ACTION)
    async def link_clicked(ack: AsyncAck) -> None:
        # A URL button still sends an action payload; unacknowledged, Slack shows the clicker an error.
        await ack()
