"""The create forms on Slack's side: submissions checked in the ack (problems shown beside their fields), then run.

`branch create` and `deploy-request create` have pickers: their database and branch menus load their options here,
one listener keyed by the menu's action id (an options request's ack IS the option list, so it may make one
PlanetScale read, capped by `BranchPickers`), and choosing a database redraws the form with menus of that
database's branches (`views.update`, after the ack). What a submission means is bot/commands/forms.py's to say.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from slack_bolt.async_app import AsyncAck

from bot.commands import forms
from bot.commands.dispatch import CommandDispatcher
from bot.ports import SLACK_CALL_FAILURES, Caller, slack_failure
from bot.render import forms as views
from bot.render.message import Message
from bot.slack.commands import run_followup
from bot.slack.port import WebApiSlackPort
from bot.slack.routes import InteractionRoutes
from bot.slack.sender import sender
from bot.tasks import TaskTracker

log = logging.getLogger(__name__)

# A field's error sits in a line or two under it: a longer problem is cut rather than left to crowd the form.
_PROBLEM_LENGTH = 150


class OptionSource(Protocol):
    """A `BranchPickers` list: the options one menu offers to what the person has typed so far."""

    def __call__(
        self, *, team_id: str, user_id: str, private_metadata: str, typed: str
    ) -> Awaitable[list[dict[str, Any]]]: ...


def _option_sources(pickers: forms.BranchPickers) -> dict[str, OptionSource]:
    """Which list each menu offers, by its action id, across both forms."""
    return {
        views.BRANCH_DATABASE_PICKER: pickers.databases,
        views.DR_DATABASE_PICKER: pickers.databases,
        views.BRANCH_PARENT_PICKER: pickers.branches,
        views.DR_BRANCH_PICKER: pickers.branches,
        views.DR_INTO_PICKER: pickers.branches,
    }


# The database menus: choosing one redraws its form with that database's branches.
_DATABASE_PICKERS = (views.BRANCH_DATABASE_PICKER, views.DR_DATABASE_PICKER)


def submitted_entries(state_values: dict[str, Any]) -> dict[str, str]:
    """Each block's entry, whether typed (`value`) or picked from a menu or radio (`selected_option.value`); blocks
    left empty are left out."""
    entries: dict[str, str] = {}
    for block_id, actions in state_values.items():
        for action in (actions or {}).values():
            if not isinstance(action, dict):
                continue
            picked = (action.get("selected_option") or {}).get("value")
            entry = picked if picked is not None else action.get("value")
            if entry is not None and str(entry).strip():
                entries[block_id] = str(entry).strip()
    return entries


def register_modals(
    routes: InteractionRoutes,
    *,
    dispatcher: CommandDispatcher,
    slack: WebApiSlackPort,
    tasks: TaskTracker,
    pickers: forms.BranchPickers,
) -> None:
    async def submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        callback_id = str(view.get("callback_id") or "")
        submission = forms.read_submission(
            callback_id,
            str(view.get("private_metadata") or ""),
            submitted_entries((view.get("state") or {}).get("values") or {}),
        )
        if not isinstance(submission, forms.Submission):
            errors = {block: problem[:_PROBLEM_LENGTH] for block, problem in submission.items()}
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        team_id, user_id = sender(body)
        caller = Caller(team_id=team_id, user_id=user_id, channel_id=submission.channel_id)
        accepted = await dispatcher.accept_submitted(caller, submission.invocation)

        async def to_the_person(message: Message) -> None:
            # A form has no response_url: answer in the channel the form was opened from, or privately.
            await slack.ephemeral_or_direct(channel=caller.channel_id, user=caller.user_id, message=message)

        if accepted.ack is not None:
            tasks.spawn(to_the_person(accepted.ack), name=f"form {callback_id}")
        if accepted.followup is not None:
            tasks.spawn(run_followup(accepted.followup, to_the_person, asked="form"), name=f"form {callback_id}")

    for callback_id in (views.BRANCH_CREATE, views.DR_CREATE):
        routes.view_submission(callback_id)(submitted)

    option_sources = _option_sources(pickers)

    async def picker_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        load = option_sources[str(body.get("action_id"))]
        team_id, user_id = sender(body)
        options = await load(
            team_id=team_id,
            user_id=user_id,
            private_metadata=str((body.get("view") or {}).get("private_metadata") or ""),
            typed=str(body.get("value") or ""),
        )
        await ack(options=options)

    for action_id in option_sources:
        routes.block_suggestion(action_id)(picker_options)

    async def database_chosen(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        view = body.get("view") or {}
        action = (body.get("actions") or [{}])[0]
        chosen = (action.get("selected_option") or {}).get("value")
        redrawn = forms.form_with_database(
            str(view.get("callback_id") or ""), str(view.get("private_metadata") or ""), chosen
        )
        view_id = str(view.get("id") or "")
        if redrawn is not None and view_id:
            tasks.spawn(redraw(view_id, redrawn), name="form redraw")

    async def redraw(view_id: str, redrawn: dict[str, Any]) -> None:
        try:
            await slack.update_modal(view_id=view_id, view=redrawn)
        except SLACK_CALL_FAILURES as failure:
            # Slack's to answer for, not a fault of ours: one line. A refusal: the form was closed meanwhile, or is
            # not one Slack knows (not_found). Whatever became of it, the form is still there as it was drawn last,
            # and choosing again redraws it.
            log.warning("could not redraw form %s: %s", view_id, slack_failure(failure))

    for action_id in _DATABASE_PICKERS:
        routes.block_action(action_id)(database_chosen)
