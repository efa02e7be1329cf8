"""`branch list|show|create|delete`, the create form (`branch create` with no arguments), and the pickers that
both create forms (`branch create`, `deploy-request create`) load their database and branch menus from.

Lists read one page — the one shown — and report PlanetScale's total, so a 1,000-branch database costs one request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.commands.context import CommandContext, CommandHandler, OrganizationUnknown
from bot.planetscale import PlanetScaleAPI, PlanetScaleClient, PlanetScaleError
from bot.planetscale.models import Branch
from bot.ports import Accounts
from bot.render import branches as render
from bot.render import modals
from bot.render.message import Message

log = logging.getLogger(__name__)

SHOWN = 25
# An options request is answered in its ack, which Slack waits 3 s for: one read, cut off well before that.
OPTIONS_BUDGET_SECONDS = 1.5


def _branch_view(item: Branch) -> render.BranchView:
    return render.BranchView(
        name=item.name,
        parent=item.parent_branch,
        production=item.production,
        ready=item.ready,
        created_at=item.created_at,
        author=item.actor.display_name if item.actor else None,
        html_url=item.html_url,
    )


async def branch_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    page = await ctx.planetscale.branches.list(org, db, per_page=SHOWN)
    views = [_branch_view(item) for item in page.data]
    return render.branches(org, db, views, total=page.total_count, more=page.next_page is not None)


async def branch_show(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    item = await ctx.planetscale.branches.get(org, db, ctx.invocation.text("branch"))
    return render.branch(org, db, _branch_view(item))


async def branch_create(ctx: CommandContext) -> Message | None:
    if ctx.invocation.wants_modal:
        return await open_picker_form(ctx, modals.BRANCH_CREATE)
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    item = await ctx.planetscale.branches.create(
        org, db, ctx.invocation.text("branch"), parent_branch=ctx.invocation.option("from")
    )
    return render.created(org, db, _branch_view(item))


async def branch_delete(ctx: CommandContext) -> Message:
    # Runs only after the asker confirmed (the dispatcher asks first).
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    name = ctx.invocation.text("branch")
    await ctx.planetscale.branches.delete(org, db, name)
    return render.deleted(db, name)


HANDLERS: dict[str, CommandHandler] = {
    "branch list": CommandHandler(run=branch_list),
    "branch show": CommandHandler(run=branch_show),
    "branch create": CommandHandler(run=branch_create),
    "branch delete": CommandHandler(run=branch_delete),
}


# --- the create form --------------------------------------------------------------------------------------------


async def open_picker_form(ctx: CommandContext, callback_id: str) -> Message | None:
    """`branch create` / `deploy-request create` with no arguments: the form, with the channel's database chosen.
    Its submission comes back as the typed command would (bot/slack/modals.py)."""
    if ctx.trigger_id is None:
        return Message(
            text="Slack sent no way to open a form here; give the arguments instead "
            f"(`/pscale help {ctx.invocation.key}`)."
        )
    draw = _PICKER_FORMS[callback_id]
    known_org = ctx.invocation.org or ctx.user_preferences.default_org(ctx.caller.team_id, ctx.caller.user_id)
    form = render.BranchForm(
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
            await ctx.slack.update_modal(view_id=view_id, view=render.form_notice(str(unknown)))
            return None
        await ctx.slack.update_modal(view_id=view_id, view=draw(replace(form, organization=org)))
    return None


def _dr_create_form(form: render.BranchForm) -> dict[str, Any]:
    return modals.dr_create_form(channel_id=form.channel_id, organization=form.organization, database=form.database)


# The forms with pickers, by callback id; they share `BranchForm` as their private_metadata.
_PICKER_FORMS: dict[str, Callable[[render.BranchForm], dict[str, Any]]] = {
    modals.BRANCH_CREATE: render.branch_create_form,
    modals.DR_CREATE: _dr_create_form,
}


def form_with_database(callback_id: str, private_metadata: str, database: str | None) -> dict[str, Any] | None:
    """The form again after a database was chosen: now with menus of that database's branches (None: a view that
    is not one of the picker forms)."""
    draw = _PICKER_FORMS.get(callback_id)
    if draw is None:
        return None
    return draw(replace(render.form_of(private_metadata), database=database))


def _quoted(value: str) -> str:
    # Quotes inside a name make it invalid anyway; dropping them keeps the command one word per field.
    return '"' + value.replace('"', "") + '"'


def form_command(private_metadata: str, values: Mapping[str, str]) -> str:
    """The `/pscale` text a submitted form stands for, in the org its pickers showed; the grammar validates it."""
    form = render.form_of(private_metadata)
    database, name = values.get(modals.DATABASE_BLOCK, ""), values.get(render.NAME_BLOCK, "")
    words = ["branch create", _quoted(database), _quoted(name)]
    if render.PARENT_BLOCK in values:
        words.append(f"--from {_quoted(values[render.PARENT_BLOCK])}")
    if form.organization:
        words.append(f"--org {_quoted(form.organization)}")
    return " ".join(words)


def form_channel(private_metadata: str) -> str:
    return render.form_of(private_metadata).channel_id


class BranchPickers:
    """Options for both create forms' menus: ONE PlanetScale read each, as the person typing, within a hard budget.

    A failure or a slow PlanetScale yields no options rather than an error: an options answer has no room for one,
    and Slack shows "no results" while the form stays usable. So does a form whose organization is not filled in
    yet (it is, with `views.update`, a moment after the form opens); Slack asks again as the person types.
    """

    def __init__(self, *, accounts: Accounts, planetscale: PlanetScaleClient) -> None:
        self._accounts = accounts
        self._planetscale = planetscale

    def _as(self, team_id: str, user_id: str) -> PlanetScaleAPI | None:
        if not self._accounts.has_active_grant(team_id, user_id):
            return None
        provider = self._accounts.token_provider(team_id, user_id)
        return self._planetscale.as_user(provider, user_key=(team_id, user_id))

    async def databases(self, *, team_id: str, user_id: str, private_metadata: str, typed: str) -> list[dict[str, Any]]:
        form = render.form_of(private_metadata)
        api = self._as(team_id, user_id)
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
        api = self._as(team_id, user_id)
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
