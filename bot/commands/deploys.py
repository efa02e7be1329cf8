"""Deploy requests: list, show, create, edit, review/approve, deploy, apply, cancel, close, revert, skip-revert,
unblock, force-cutover.

Each acts with the asker's grant. PlanetScale's own rules decide what is allowed (no approving your own deploy
request, approval before deploy where the database requires it); its refusals reach the asker in its words.
"""

from __future__ import annotations

import asyncio

from bot.cards.service import CardService
from bot.commands import forms
from bot.commands.context import CommandContext, CommandHandler, CommandRefused
from bot.deploy_requests import lifecycle
from bot.deploy_requests.actions import Action, perform
from bot.deploy_requests.summary import schema_changes, summarize
from bot.planetscale.models import DeployRequestState
from bot.ports import SLACK_MAY_HAVE_ACTED, SlackNotReached, SlackRefused
from bot.render import card as render_card
from bot.render import resources as render
from bot.render.forms import DR_CREATE
from bot.render.message import Message

SHOWN = 25
MAX_READ = 100  # `--mine` and `--review` pick from this many of the newest


async def _number(ctx: CommandContext, org: str, db: str) -> int:
    """NUMBER as given, or the open deploy request of a branch name (as the pscale CLI does)."""
    given = ctx.invocation.number_or_branch("number")
    if isinstance(given, int):
        return given
    page = await ctx.planetscale.deploy_requests.list(org, db, state=DeployRequestState.OPEN, branch=given, per_page=1)
    if not page.data:
        raise CommandRefused(f"There is no open deploy request for branch `{given}` of `{db}`.")
    return page.data[0].number


async def dr_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    state = ctx.invocation.option("state") or DeployRequestState.OPEN
    if ctx.invocation.flag("review"):
        return await _waiting_for_review(ctx, org, db)
    if ctx.invocation.flag("mine"):
        # PlanetScale lists no deploy requests by author: the newest ones, then only the asker's.
        me, page = await asyncio.gather(
            ctx.planetscale.users.current(),
            ctx.planetscale.deploy_requests.list(org, db, state=state, per_page=MAX_READ),
        )
        mine = [summarize(item) for item in page.data if item.actor is not None and item.actor.id == me.id]
        return render.deploy_requests(org, db, mine, total=None, state=state, whose="your ")
    page = await ctx.planetscale.deploy_requests.list(org, db, state=state, per_page=SHOWN)
    return render.deploy_requests(org, db, [summarize(item) for item in page.data], total=page.total_count, state=state)


async def _waiting_for_review(ctx: CommandContext, org: str, db: str) -> Message:
    """Open deploy requests of others, not approved yet, that the asker may approve: where the database requires an
    administrator's approval, only an administrator's (as App Home's "Waiting for your review")."""
    me, page, database, admins = await asyncio.gather(
        ctx.planetscale.users.current(),
        ctx.planetscale.deploy_requests.list(org, db, state=DeployRequestState.OPEN, per_page=MAX_READ),
        ctx.planetscale.databases.get(org, db),
        ctx.planetscale.organizations.admins(org),
    )
    required = database.require_approval_for_deploy
    may_approve = not required or any(admin.id == me.id for admin in admins)
    waiting = [
        item for item in (summarize(request, approval_required=required) for request in page.data)
        if may_approve and item.author_id != me.id and not item.approved and lifecycle.awaits_review(item)
    ]
    return render.deploy_requests(org, db, waiting, total=None, state="open", whose="", waiting=True)


async def dr_show(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    number = await _number(ctx, org, db)
    return render.deploy_request(org, db, summarize(await ctx.planetscale.deploy_requests.get(org, db, number)))


async def dr_diff(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    number = ctx.invocation.number("number")
    request = await ctx.planetscale.deploy_requests.get(org, db, number)
    page = await ctx.planetscale.deploy_requests.operations(org, db, number)
    return render.diff(db, number, schema_changes(page.data), html_url=request.html_url)


def _auto_apply(ctx: CommandContext) -> bool | None:
    """`--enable-auto-apply` True, `--disable-auto-apply` False, neither None (the grammar allows at most one)."""
    if ctx.invocation.flag("enable-auto-apply"):
        return True
    return False if ctx.invocation.flag("disable-auto-apply") else None


def _post_handler(cards: CardService) -> CommandHandler:
    """`dr post`: the deploy request's live card in this channel; if Slack could not be reached or did not confirm
    the post, the reply says what became of the card."""

    async def dr_post(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        number = ctx.invocation.number("number")
        try:
            view = await cards.post(ctx.planetscale, caller=ctx.caller, org=org, database=db, number=number)
        except SlackNotReached:  # certainly not posted: the same command later is all there is to do
            return render_card.post_not_reached(database=db, number=number)
        except SLACK_MAY_HAVE_ACTED:  # the card may be in the channel: "post it again" would often make two
            return render_card.post_unconfirmed(database=db, number=number)
        return render_card.posted(database=db, number=view.number, link=view.html_url)

    return CommandHandler(run=dr_post)


def deploy_handlers(cards: CardService) -> dict[str, CommandHandler]:
    """The deploy-request commands. Those that post do it as a live card; those that change a deploy request
    redraw its cards afterwards, so a card never shows a state a command has already left behind."""

    async def change(
        ctx: CommandContext, action: Action, *, org: str, db: str, number: int, comment: str | None = None,
        instant: bool = False,
    ) -> Message:
        changed = await perform(
            ctx.planetscale, action, org=org, database=db, number=number, comment=comment, instant=instant
        )
        await cards.request_changed(team_id=ctx.caller.team_id, org=org, database=db, number=number)
        if changed is None:  # an approval: PlanetScale answers with the review, not the deploy request
            return render.deploy_request_approved(db=db, number=number)
        return render.deploy_request_changed(action, db=db, item=summarize(changed))

    async def dr_create(ctx: CommandContext) -> Message | None:
        if ctx.invocation.wants_modal:
            return await forms.open_form(ctx, DR_CREATE)
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        branch = ctx.invocation.text("branch")
        into = ctx.invocation.option("into")
        if into is None:  # as the CLI: the branch's parent, else the database's default branch
            parent = (await ctx.planetscale.branches.get(org, db, branch)).parent_branch
            into = parent or (await ctx.planetscale.databases.get(org, db)).default_branch or "main"
        auto_cutover = _auto_apply(ctx)  # neither flag: PlanetScale takes the previous deploy request's setting
        created = await ctx.planetscale.deploy_requests.create(
            org, db, branch=branch, into_branch=into, notes=ctx.invocation.option("notes"), auto_cutover=auto_cutover,
            auto_delete_branch=ctx.invocation.flag("auto-delete-branch") or None,
        )
        try:
            await cards.post(ctx.planetscale, caller=ctx.caller, org=org, database=db, number=created.number)
        except SlackRefused as refused:  # the deploy request exists all the same: say so, and how to post its card
            return render.opened_card_not_posted(db=db, item=summarize(created), why=refused.code,
                                                 method=refused.method, needed=refused.needed)
        except SlackNotReached:
            return render.opened_card_not_reached(db=db, item=summarize(created))
        except SLACK_MAY_HAVE_ACTED:
            return render.opened_card_unconfirmed(db=db, item=summarize(created))
        return render.deploy_request_done(what="Opened and posted in this channel", db=db, item=summarize(created))

    async def dr_edit(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        number = ctx.invocation.number("number")
        enable = _auto_apply(ctx) is True
        changed = await ctx.planetscale.deploy_requests.set_auto_apply(org, db, number, enable=enable)
        await cards.request_changed(team_id=ctx.caller.team_id, org=org, database=db, number=number)
        return render.auto_apply_changed(db=db, item=summarize(changed), enabled=enable)

    async def dr_review(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        number = ctx.invocation.number("number")
        comment = ctx.invocation.option("comment")
        if ctx.invocation.flag("approve"):
            return await change(ctx, Action.APPROVE, org=org, db=db, number=number, comment=comment)
        await ctx.planetscale.deploy_requests.comment(org, db, number, body=comment or "")
        return Message(text=f":speech_balloon: Commented on `{db}` #{number}.")

    def acting(action: Action) -> CommandHandler:
        async def run(ctx: CommandContext) -> Message:
            org = await ctx.organization()
            db = ctx.invocation.text("database")
            return await change(ctx, action, org=org, db=db, number=ctx.invocation.number("number"))

        return CommandHandler(run=run)

    async def deploy(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        number = await _number(ctx, org, db)
        return await change(ctx, Action.DEPLOY, org=org, db=db, number=number, instant=ctx.invocation.flag("instant"))

    return {
        "deploy-request list": CommandHandler(run=dr_list),
        "deploy-request show": CommandHandler(run=dr_show),
        "deploy-request create": CommandHandler(run=dr_create),
        "deploy-request edit": CommandHandler(run=dr_edit),
        "deploy-request diff": CommandHandler(run=dr_diff),
        "deploy-request post": _post_handler(cards),
        "deploy-request review": CommandHandler(run=dr_review),
        "deploy-request deploy": CommandHandler(run=deploy),
        **{
            f"deploy-request {action.value}": acting(action)
            for action in (
                Action.APPLY, Action.CANCEL, Action.CLOSE, Action.REVERT, Action.SKIP_REVERT, Action.UNBLOCK,
                Action.FORCE_CUTOVER,
            )
        },
    }
