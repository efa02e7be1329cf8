"""The create forms (`branch create` and `deploy-request create` with no arguments): opening one, redrawing it once a
database is chosen, the options its menus offer, and reading a submission as the command it stands for.

A submission becomes an `Invocation` through the grammar's per-field checks (`grammar.from_fields`), entry by
entry, so each problem goes beside its own field; the dispatcher then runs it as it runs the typed command. The
Slack side (payloads, acks, `views.update`) is bot/slack/modals.py; the views are render/forms.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.commands.catalog import CATALOG
from bot.commands.context import CommandContext, OrganizationUnknown
from bot.commands.grammar import FieldProblems, Invocation, from_fields
from bot.planetscale import PlanetScaleAPI, PlanetScaleClient, PlanetScaleError
from bot.ports import Accounts
from bot.render import forms as render
from bot.render.message import Message

log = logging.getLogger(__name__)

# An options request is answered in its ack, which Slack waits 3 s for: one read, cut off well before that.
OPTIONS_BUDGET_SECONDS = 1.5

# The command each form stands for, by callback id, as the catalog declares it.
_COMMANDS = {spec.modal_callback_id: spec.key for spec in CATALOG if spec.modal_callback_id is not None}
# The blocks of each form that are its command's parameters and flags (render/forms.py names blocks so); the
# deploy-request form's auto-apply choice turns on one of its switches instead.
_FIELDS = {
    render.BRANCH_CREATE: (render.DATABASE_BLOCK, render.BRANCH_BLOCK, render.PARENT_BLOCK),
    render.DR_CREATE: (render.DATABASE_BLOCK, render.BRANCH_BLOCK, render.INTO_BLOCK, render.NOTES_BLOCK),
}


async def open_form(ctx: CommandContext, callback_id: str) -> Message | None:
    """`branch create` / `deploy-request create` with no arguments: the form, with the channel's database chosen."""
    if ctx.trigger_id is None:
        return Message(
            text="Slack sent no way to open a form here; give the arguments instead "
            f"(`/pscale help {ctx.invocation.key}`)."
        )
    draw = render.FORMS[callback_id]
    known_org = ctx.invocation.org or await ctx.user_preferences.default_org(
        ctx.caller.team_id, ctx.caller.user_id
    )
    form = render.FormContext(
        channel_id=ctx.caller.channel_id,
        organization=known_org,
        database=ctx.invocation.optional_text("database"),  # the channel's default database, if it has one
    )
    # A trigger_id lives 3 s: open the form before anything that may call PlanetScale, then fill in the org.
    view_id = await ctx.slack.open_modal(trigger_id=ctx.trigger_id, view=draw(form))
    if known_org is None:
        try:
            org = await ctx.organization()
        except OrganizationUnknown as unknown:
            await ctx.slack.update_modal(view_id=view_id, view=render.form_notice(callback_id, str(unknown)))
            return None
        await ctx.slack.update_modal(view_id=view_id, view=draw(replace(form, organization=org)))
    return None


def form_with_database(callback_id: str, private_metadata: str, database: str | None) -> dict[str, Any] | None:
    """The form again after a database was chosen: now with menus of that database's branches (None: a view that
    is not one of the create forms)."""
    draw = render.FORMS.get(callback_id)
    if draw is None:
        return None
    return draw(replace(render.form_of(private_metadata), database=database))


@dataclass(frozen=True)
class Submission:
    """A form's entries read as the command they stand for, and the channel the form was opened from."""

    channel_id: str
    invocation: Invocation


def read_submission(callback_id: str, private_metadata: str, entries: Mapping[str, str]) -> Submission | dict[str, str]:
    """The command a submitted form stands for, in the organization its menus showed; or what is wrong, by the
    block each problem belongs beside. `entries` are the non-empty ones, by block id."""
    if callback_id == render.DR_CREATE:
        problems = _deploy_request_problems(entries)
        if problems:
            return problems
    fields = {name: entries[name] for name in _FIELDS[callback_id] if name in entries}
    form = render.form_of(private_metadata)
    if form.organization is not None:
        fields["org"] = form.organization
    auto_apply = entries.get(render.AUTO_APPLY_BLOCK)
    switches = [auto_apply] if auto_apply in render.AUTO_APPLY_SWITCHES else []
    built = from_fields(_COMMANDS[callback_id], fields, switches=switches)
    if isinstance(built, FieldProblems):
        # A problem with something the form does not show (its organization) goes beside its first menu.
        beside: dict[str, str] = {}
        for name, problem in built.problems.items():
            beside.setdefault(name if name in _FIELDS[callback_id] else render.DATABASE_BLOCK, problem)
        return beside
    return Submission(channel_id=form.channel_id, invocation=built)


def _deploy_request_problems(entries: Mapping[str, str]) -> dict[str, str]:
    """What the grammar cannot see, shown beside its field: a deploy request needs two different branches."""
    if render.BRANCH_BLOCK not in entries:
        # Submitted before the redraw that adds the branch menus arrived: there is no branch field to point at yet.
        return {
            render.DATABASE_BLOCK: "Choose the branch to deploy too: its menu appears below once a database is chosen."
        }
    into = entries.get(render.INTO_BLOCK)
    if into is not None and into == entries.get(render.BRANCH_BLOCK):
        return {render.INTO_BLOCK: "Choose a branch other than the one with the changes, or leave this empty."}
    return {}


class BranchPickers:
    """Options for both create forms' menus: ONE PlanetScale read each, as the person typing, within a hard budget.

    A failure or a slow PlanetScale yields no options rather than an error: an options answer has no room for one,
    and Slack shows "no results" while the form stays usable. So does a form whose organization is not filled in
    yet (it is, with `views.update`, a moment after the form opens); Slack asks again as the person types.
    """

    def __init__(self, *, accounts: Accounts, planetscale: PlanetScaleClient) -> None:
        self._accounts = accounts
        self._planetscale = planetscale

    async def _as(self, team_id: str, user_id: str) -> PlanetScaleAPI | None:
        if not await self._accounts.has_active_grant(team_id, user_id):
            return None
        provider = self._accounts.token_provider(team_id, user_id)
        return self._planetscale.as_user(provider, user_key=(team_id, user_id))

    async def databases(self, *, team_id: str, user_id: str, private_metadata: str, typed: str) -> list[dict[str, Any]]:
        form = render.form_of(private_metadata)
        api = await self._as(team_id, user_id)
        organization = form.organization
        if api is None or organization is None:
            return []

        async def names() -> list[str]:
            page = await api.databases.list(organization, q=typed.strip() or None, per_page=render.MAX_OPTIONS)
            return [item.name for item in page.data]

        return await self._within_budget(names(), what="databases")

    async def branches(self, *, team_id: str, user_id: str, private_metadata: str, typed: str) -> list[dict[str, Any]]:
        """The branches of the form's database: to branch off, to deploy, or to deploy into."""
        form = render.form_of(private_metadata)
        api = await self._as(team_id, user_id)
        organization, database = form.organization, form.database
        if api is None or organization is None or database is None:
            return []

        async def names() -> list[str]:
            page = await api.branches.list(organization, database, q=typed.strip() or None, per_page=render.MAX_OPTIONS)
            return [item.name for item in page.data]

        return await self._within_budget(names(), what="branches")

    async def _within_budget(self, names: Awaitable[list[str]], *, what: str) -> list[dict[str, Any]]:
        try:
            async with asyncio.timeout(OPTIONS_BUDGET_SECONDS):
                found = await names
        except (TimeoutError, PlanetScaleError) as error:
            log.info("form picker: no %s to offer (%s)", what, type(error).__name__)
            return []
        return render.picker_options(found)
