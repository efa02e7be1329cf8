"""`/pscale logout` and `/pscale whoami` (`login` is answered in the ack by the dispatcher)."""

from __future__ import annotations

from typing import Protocol

from bot.commands.context import CommandContext, CommandHandler
from bot.render.message import Message


class AccountService(Protocol):
    async def whoami(self, team_id: str, user_id: str) -> Message: ...

    async def logout(self, team_id: str, user_id: str) -> Message: ...


def account_handlers(accounts: AccountService) -> dict[str, CommandHandler]:
    async def whoami(ctx: CommandContext) -> Message:
        return await accounts.whoami(ctx.caller.team_id, ctx.caller.user_id)

    async def logout(ctx: CommandContext) -> Message:
        return await accounts.logout(ctx.caller.team_id, ctx.caller.user_id)

    return {
        "whoami": CommandHandler(run=whoami),
        # Logging out without a link still gets a plain answer ("nothing was linked"), not the link prompt.
        "logout": CommandHandler(run=logout, needs_grant=False),
    }
