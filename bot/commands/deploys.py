"""Deploy requests: list, show, create, review/approve, deploy, apply, cancel, close, revert, skip-revert, unblock.

Each acts with the asker's grant. PlanetScale's own rules decide what is allowed (no approving your own deploy
request, approval before deploy where the database requires it); its refusals reach the asker in its words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.cards.service import CardService
from bot.commands.branches import open_picker_form
from bot.commands.context import CommandContext, CommandHandler, CommandRefused
from bot.planetscale import PlanetScaleAPI
from bot.planetscale.models import DeployRequest
from bot.render import card as render_card
from bot.render import resources as render
from bot.render.message import Message
from bot.render.modals import DR_CREATE

SHOWN = 25


def _view(item: DeployRequest) -> render.DeployRequestView:
    return render.DeployRequestView(
        number=item.number,
        branch=item.branch,
        into_branch=item.into_branch,
        state=item.state,
        deployment_state=item.deployment_state,
        approved=item.approved,
        author=item.actor.display_name if item.actor else None,
        notes=item.notes,
        created_at=item.created_at,
        html_url=item.html_url,
    )


async def _number(ctx: CommandContext, org: str, db: str) -> int:
    """NUMBER as given, or the open deploy request of a branch name (as the pscale CLI does)."""
    given = ctx.invocation.number_or_branch("number")
    if isinstance(given, int):
        return given
    page = await ctx.planetscale.deploy_requests.list(org, db, state="open", branch=given, per_page=1)
    if not page.data:
        raise CommandRefused(f"There is no open deploy request for branch `{given}` of `{db}`.")
    return page.data[0].number


async def dr_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    state = ctx.invocation.option("state") or "open"
    page = await ctx.planetscale.deploy_requests.list(org, db, state=state, per_page=SHOWN)
    return render.deploy_requests(org, db, [_view(item) for item in page.data], total=page.total_count, state=state)


async def dr_show(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    number = await _number(ctx, org, db)
    return render.deploy_request(org, db, _view(await ctx.planetscale.deploy_requests.get(org, db, number)))


async def dr_diff(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    number = ctx.invocation.number("number")
    request = await ctx.planetscale.deploy_requests.get(org, db, number)
    page = await ctx.planetscale.deploy_requests.operations(org, db, number)
    operations = [
        render.OperationView(table=item.table_name, operation=item.operation_name, ddl=item.ddl_statement)
        for item in page.data
    ]
    return render.diff(db, number, operations, html_url=request.html_url)


Action = Callable[[PlanetScaleAPI, str, str, int], Awaitable[DeployRequest]]


def deploy_handlers(cards: CardService) -> dict[str, CommandHandler]:
    """The deploy-request commands. Those that post do it as a live card; those that change a deploy request
    redraw its cards afterwards, so a card never shows a state a command has already left behind."""

    async def redraw_cards(ctx: CommandContext, org: str, db: str, number: int) -> None:
        await cards.request_changed(team_id=ctx.caller.team_id, org=org, database=db, number=number)

    async def dr_post(ctx: CommandContext) -> Message:
        await ctx.require_posting_here()
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        number = ctx.invocation.number("number")
        view = await cards.post(ctx.planetscale, caller=ctx.caller, org=org, database=db, number=number)
        return render_card.posted(database=db, number=view.number, link=view.html_url)

    async def dr_create(ctx: CommandContext) -> Message | None:
        if ctx.invocation.wants_modal:
            return await open_picker_form(ctx, DR_CREATE)
        await ctx.require_posting_here(nothing_done="Nothing was created.")
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        branch = ctx.invocation.text("branch")
        into = ctx.invocation.option("into")
        if into is None:  # as the CLI: the branch's parent, else the database's default branch
            parent = (await ctx.planetscale.branches.get(org, db, branch)).parent_branch
            into = parent or (await ctx.planetscale.databases.get(org, db)).default_branch or "main"
        auto_cutover = True if ctx.invocation.flag("enable-auto-apply") else None
        if ctx.invocation.flag("disable-auto-apply"):
            auto_cutover = False
        created = await ctx.planetscale.deploy_requests.create(
            org, db, branch=branch, into_branch=into, notes=ctx.invocation.option("notes"), auto_cutover=auto_cutover
        )
        await cards.post(ctx.planetscale, caller=ctx.caller, org=org, database=db, number=created.number)
        return render.deploy_request_done(what="Opened and posted in this channel", db=db, item=_view(created))

    async def dr_review(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        number = ctx.invocation.number("number")
        comment = ctx.invocation.option("comment")
        if ctx.invocation.flag("approve"):
            await ctx.planetscale.deploy_requests.approve(org, db, number, comment=comment)
            await redraw_cards(ctx, org, db, number)
            return Message(text=f":white_check_mark: Approved `{db}` #{number}.")
        await ctx.planetscale.deploy_requests.comment(org, db, number, body=comment or "")
        return Message(text=f":speech_balloon: Commented on `{db}` #{number}.")

    def acting(what: str, act: Action) -> CommandHandler:
        async def run(ctx: CommandContext) -> Message:
            org = await ctx.organization()
            db = ctx.invocation.text("database")
            number = ctx.invocation.number("number")
            result = await act(ctx.planetscale, org, db, number)
            await redraw_cards(ctx, org, db, number)
            return render.deploy_request_done(what=what, db=db, item=_view(result))

        return CommandHandler(run=run)

    async def deploy(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        number = await _number(ctx, org, db)
        instant = ctx.invocation.flag("instant")
        result = await ctx.planetscale.deploy_requests.deploy(org, db, number, instant_ddl=instant)
        await redraw_cards(ctx, org, db, number)
        return render.deploy_request_done(what="Queued for deployment:", db=db, item=_view(result))

    return {
        "deploy-request list": CommandHandler(run=dr_list),
        "deploy-request show": CommandHandler(run=dr_show),
        "deploy-request create": CommandHandler(run=dr_create),
        "deploy-request diff": CommandHandler(run=dr_diff),
        "deploy-request post": CommandHandler(run=dr_post),
        "deploy-request review": CommandHandler(run=dr_review),
        "deploy-request deploy": CommandHandler(run=deploy),
        "deploy-request apply": acting(
            "Applied the gated deploy of", lambda api, org, db, n: api.deploy_requests.apply_deploy(org, db, n)
        ),
        "deploy-request cancel": acting(
            "Cancelled the deployment of", lambda api, org, db, n: api.deploy_requests.cancel(org, db, n)
        ),
        "deploy-request close": acting("Closed", lambda api, org, db, n: api.deploy_requests.close(org, db, n)),
        "deploy-request revert": acting("Reverting", lambda api, org, db, n: api.deploy_requests.revert(org, db, n)),
        "deploy-request skip-revert": acting(
            "Skipped the revert window of", lambda api, org, db, n: api.deploy_requests.skip_revert(org, db, n)
        ),
        "deploy-request unblock": acting(
            "Completed the errored deployment of",
            lambda api, org, db, n: api.deploy_requests.complete_deploy(org, db, n),
        ),
    }
