"""The create forms: submissions validated in the ack (errors shown on the form), then run as the typed command.

`branch create` and `deploy-request create` have pickers: their database and branch menus load their options here,
one listener keyed by the menu's action id (an options request's ack IS the option list, so it may make one
PlanetScale read, capped by `BranchPickers`), and choosing a database redraws the form with menus of that
database's branches (`views.update`, after the ack).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.commands import branches
from bot.commands.dispatch import CommandDispatcher, CommandRequest
from bot.commands.grammar import ParseFailure, parse
from bot.render import branches as branch_form
from bot.render import modals as forms
from bot.render.message import Message
from bot.slack.commands import run_followup
from bot.slack.port import WebApiSlackPort
from bot.tasks import TaskTracker


class OptionSource(Protocol):
    """A `BranchPickers` list: the options one menu offers to what the person has typed so far."""

    def __call__(
        self, *, team_id: str, user_id: str, private_metadata: str, typed: str
    ) -> Awaitable[list[dict[str, Any]]]: ...


def _option_sources(pickers: branches.BranchPickers) -> dict[str, OptionSource]:
    """Which list each menu offers, by its action id, across both forms."""
    return {
        branch_form.DATABASE_PICKER: pickers.databases,
        forms.DR_DATABASE_PICKER: pickers.databases,
        branch_form.PARENT_PICKER: pickers.branches,
        forms.DR_BRANCH_PICKER: pickers.branches,
        forms.DR_INTO_PICKER: pickers.branches,
    }


# The database menus: choosing one redraws its form with that database's branches.
_DATABASE_PICKERS = (branch_form.DATABASE_PICKER, forms.DR_DATABASE_PICKER)


def _problem_field(problem: str, values: dict[str, str]) -> str:
    """The field a grammar complaint is about: the one whose entry it quotes, else the one it names."""
    for field, entry in values.items():
        if f"`{entry}`" in problem:
            return field
    lowered = problem.lower()
    return "branch" if "branch" in lowered and "database" not in lowered else "database"


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
    async def run_submitted(
        ack: AsyncAck, body: dict[str, Any], *, text: str, values: dict[str, str], channel: str, form: str
    ) -> None:
        parsed = parse(text)
        if isinstance(parsed, ParseFailure):
            await ack(response_action="errors", errors={_problem_field(parsed.problem, values): parsed.problem[:150]})
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

    @app.view(forms.BRANCH_CREATE)
    async def branch_create_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = str(view.get("private_metadata") or "")
        values = forms.submitted_values((view.get("state") or {}).get("values") or {})
        text = branches.form_command(metadata, values)
        channel = branches.form_channel(metadata)
        await run_submitted(ack, body, text=text, values=values, channel=channel, form=forms.BRANCH_CREATE)

    @app.view(forms.DR_CREATE)
    async def dr_create_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = str(view.get("private_metadata") or "")
        values = forms.submitted_values((view.get("state") or {}).get("values") or {})
        errors = forms.dr_create_errors(values)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        text = forms.command_text(values)
        channel = branches.form_channel(metadata)
        await run_submitted(ack, body, text=text, values=values, channel=channel, form=forms.DR_CREATE)

    option_sources = _option_sources(pickers)

    async def picker_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        load = option_sources[str(body.get("action_id"))]
        team_id, user_id = _who(body)
        options = await load(
            team_id=team_id,
            user_id=user_id,
            private_metadata=str((body.get("view") or {}).get("private_metadata") or ""),
            typed=str(body.get("value") or ""),
        )
        await ack(options=options)

    for action_id in option_sources:
        app.block_suggestion(action_id)(picker_options)

    async def database_chosen(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        view = body.get("view") or {}
        action = (body.get("actions") or [{}])[0]
        chosen = (action.get("selected_option") or {}).get("value")
        redrawn = branches.form_with_database(
            str(view.get("callback_id") or ""), str(view.get("private_metadata") or ""), chosen
        )
        if redrawn is not None:
            tasks.spawn(slack.update_modal(view_id=str(view.get("id", "")), view=redrawn), name="form redraw")

    for action_id in _DATABASE_PICKERS:
        app.block_action(action_id)(database_chosen)
