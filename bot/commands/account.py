"""`/pscale logout` and `/pscale whoami` (`login` is answered in the ack by the dispatcher)."""

from __future__ import annotations

from typing import Protocol

from bot.commands.context import CommandContext, CommandHandler
from bot.linking import LinkedAccount, Unlinked
from bot.ports import LinkOffer
from bot.render import linking as render
from bot.render.message import Message


class AccountService(Protocol):
    async def link_offer(self, team_id: str, user_id: str) -> LinkOffer: ...

    async def whoami(self, team_id: str, user_id: str) -> LinkedAccount | None: ...

    async def logout(self, team_id: str, user_id: str) -> Unlinked | None: ...


def account_handlers(accounts: AccountService) -> dict[str, CommandHandler]:
    async def whoami(ctx: CommandContext) -> Message:
        account = await accounts.whoami(ctx.caller.team_id, ctx.caller.user_id)
        if account is None:  # unlinked since the dispatcher checked
            offer = await accounts.link_offer(ctx.caller.team_id, ctx.caller.user_id)
            return render.link_prompt(url=offer.url, minutes=offer.valid_minutes)
        return render.whoami(
            render.WhoAmI(
                planetscale_name=account.planetscale_name,
                planetscale_email=account.planetscale_email,
                organizations=account.organizations,
                scopes=account.scopes,
                linked_since=account.linked_since,
            )
        )

    async def logout(ctx: CommandContext) -> Message:
        unlinked = await accounts.logout(ctx.caller.team_id, ctx.caller.user_id)
        if unlinked is None:
            return render.nothing_linked()
        if unlinked.unreadable:
            return render.unlinked_unreadable()
        return render.unlinked(unlinked.planetscale_name, revoked=unlinked.revoked)

    return {
        "whoami": CommandHandler(run=whoami),
        # Logging out without a link still gets a plain answer ("nothing was linked"), not the link prompt.
        "logout": CommandHandler(run=logout, needs_grant=False),
    }
