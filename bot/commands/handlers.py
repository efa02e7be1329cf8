"""Every command handler, by command key: the area modules' tables merged in one place."""

from __future__ import annotations

from bot.commands import deploys, resources
from bot.commands.account import AccountService, account_handlers
from bot.commands.context import CommandHandler


def all_handlers(*, accounts: AccountService) -> dict[str, CommandHandler]:
    handlers: dict[str, CommandHandler] = {}
    for table in (account_handlers(accounts), resources.HANDLERS, deploys.HANDLERS):
        overlap = handlers.keys() & table.keys()
        if overlap:
            raise ValueError(f"commands registered twice: {sorted(overlap)}")
        handlers.update(table)
    return handlers
