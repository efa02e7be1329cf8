"""Every command handler, by command key: the area modules' tables merged in one place."""

from __future__ import annotations

from collections.abc import Collection

from bot.cards.service import CardService
from bot.commands import audit, branches, channel, databases, orgs, passwords, queue
from bot.commands.account import AccountService, account_handlers
from bot.commands.context import CommandHandler
from bot.commands.deploys import deploy_handlers
from bot.commands.digests import digest_handlers
from bot.commands.notify import notify_handlers
from bot.commands.watch import WATCH_SCOPE, watch_handlers
from bot.digests.store import Subscriptions
from bot.notify.service import DirectMessages
from bot.notify.store import NotificationSettings
from bot.watch.store import Watches


def all_handlers(
    *,
    accounts: AccountService,
    subscriptions: Subscriptions,
    watches: Watches,
    cards: CardService,
    notification_settings: NotificationSettings,
    news: DirectMessages,
    public_url: str,
    requested_scopes: Collection[str],
) -> dict[str, CommandHandler]:
    """`requested_scopes`: the OAuth scopes the bot asks PlanetScale for (`PLANETSCALE_SCOPES`)."""
    handlers: dict[str, CommandHandler] = {}
    tables = (
        account_handlers(accounts),
        orgs.HANDLERS,
        databases.HANDLERS,
        channel.HANDLERS,
        branches.HANDLERS,
        passwords.HANDLERS,
        audit.HANDLERS,
        queue.HANDLERS,
        deploy_handlers(cards),
        digest_handlers(subscriptions),
        watch_handlers(watches, public_url=public_url, scope_requested=WATCH_SCOPE in requested_scopes),
        notify_handlers(notification_settings, news),
    )
    for table in tables:
        overlap = handlers.keys() & table.keys()
        if overlap:
            raise ValueError(f"commands registered twice: {sorted(overlap)}")
        handlers.update(table)
    return handlers
