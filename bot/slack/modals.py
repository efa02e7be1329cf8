"""The create forms: submissions validated in the ack (errors shown on the form), then run as the typed command.

`branch create` has pickers: its database and parent-branch menus load their options here (an options request's
ack IS the option list, so it may make one PlanetScale read, capped by `BranchPickers`), and choosing a database
redraws the form with that database's branches to branch off (`views.update`, after the ack).
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.commands import branches
from bot.commands.dispatch import CommandDispatcher, CommandRequest
from bot.commands.grammar import ParseFailure, parse
from bot.render import branches as branch_form
from bot.render.message import Message
from bot.render.modals import BRANCH_CREATE, DR_CREATE, command_text, submitted_values
from bot.slack.commands import run_followup
from bot.slack.port import WebApiSlackPort
from bot.tasks import TaskTracker


def _chosen_values(state_values: dict[str, Any]) -> dict[str, str]:
    """Each block's entry, whether typed (`value`) or picked from a menu (`selected_option.value`)."""
    values: dict[str, str] = {}
    for block_id, actions in state_values.items():
        for action in (actions or {}).values():
            picked = (action.get("selected_option") or {}).get("value") if isinstance(action, dict) else None
            entry = picked if picked is not None else (action or {}).get("value")
            if entry is not None and str(entry).strip():
                values[block_id] = str(entry).strip()
    return values


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return str(user.get("team_id") or (body.get("team") or {}).get("id", "")), str(user.get("id", ""))


def register_modals(
    app: AsyncApp,
    *,
    dispatcher: CommandDispatcher,
    slack: WebApiSlackPort,
    tasks: TaskTracker,
    pickers: branches.BranchPickers,
) -> None:
    async def run_submitted(ack: AsyncAck, body: dict[str, Any], *, text: str, channel: str, form: str) -> None:
        parsed = parse(text)
        if isinstance(parsed, ParseFailure):
            # Show the problem beside the field it names (the grammar's messages say "database" or "branch").
            problem = parsed.problem.lower()
            field = "branch" if "branch" in problem and "database" not in problem else "database"
            await ack(response_action="errors", errors={field: parsed.problem[:150]})
            return
        await ack()
        team_id, user_id = _who(body)
        request = CommandRequest(team_id=team_id, user_id=user_id, channel_id=channel, text=text)
        accepted = dispatcher.accept(request)

        async def to_the_person(message: Message) -> None:
            # A form has no response_url: answer ephemerally in the channel the form was opened from.
            await slack.post_ephemeral(channel=request.channel_id, user=request.user_id, message=message)

        if accepted.ack is not None:
            tasks.spawn(to_the_person(accepted.ack), name=f"form {form}")
        if accepted.followup is not None:
            tasks.spawn(run_followup(accepted.followup, to_the_person), name=f"form {form}")

    @app.view(BRANCH_CREATE)
    async def branch_create_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = str(view.get("private_metadata") or "")
        values = _chosen_values((view.get("state") or {}).get("values") or {})
        text = branches.form_command(metadata, values)
        await run_submitted(ack, body, text=text, channel=branches.form_channel(metadata), form=BRANCH_CREATE)

    @app.view(DR_CREATE)
    async def dr_create_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = submitted_values((view.get("state") or {}).get("values") or {})
        channel = str(json.loads(view.get("private_metadata") or "{}").get("channel", ""))
        await run_submitted(ack, body, text=command_text(values), channel=channel, form=DR_CREATE)

    @app.block_suggestion(branch_form.DATABASE_PICKER)
    async def database_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        team_id, user_id = _who(body)
        options = await pickers.databases(
            team_id=team_id,
            user_id=user_id,
            private_metadata=str((body.get("view") or {}).get("private_metadata") or ""),
            typed=str(body.get("value") or ""),
        )
        await ack(options=options)

    @app.block_suggestion(branch_form.PARENT_PICKER)
    async def parent_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        team_id, user_id = _who(body)
        options = await pickers.parent_branches(
            team_id=team_id,
            user_id=user_id,
            private_metadata=str((body.get("view") or {}).get("private_metadata") or ""),
            typed=str(body.get("value") or ""),
        )
        await ack(options=options)

    @app.block_action(branch_form.DATABASE_PICKER)
    async def database_chosen(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        view = body.get("view") or {}
        action = (body.get("actions") or [{}])[0]
        chosen = (action.get("selected_option") or {}).get("value")
        redrawn = branches.form_with_database(str(view.get("private_metadata") or ""), chosen)
        tasks.spawn(slack.update_modal(view_id=str(view.get("id", "")), view=redrawn), name="branch form redraw")
