"""Organizations: the list (with the one commands use marked), one organization, and the switch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.render import listing
from bot.render.message import Message
from bot.render.mrkdwn import escape


@dataclass(frozen=True)
class OrganizationView:
    name: str
    plan: str | None
    databases: int | None


def organizations(names: Sequence[str], *, more: bool, default: str | None) -> Message:
    """`more`: PlanetScale has another page (organizations come without a total)."""
    lines = [f"• `{escape(name)}`{'  ← your default' if name == default else ''}" for name in names]
    hint = "Choose the one your commands use with `/pscale org switch ORG`."
    if default is None and len(names) == 1:
        hint = "Your commands use it, since it is your only one."
    footer = listing.count_line(
        shown=len(names), total=None, more=more, noun="organization", plural="organizations", link=listing.APP_URL
    )
    return listing.list_message(
        title="Your PlanetScale organizations",
        lines=lines,
        empty="Your PlanetScale account belongs to no organization the bot can see.",
        footer=f"{footer} {hint}",
    )


def organization(item: OrganizationView, *, is_default: bool) -> Message:
    facts = [
        ("Plan", escape(item.plan or "unknown")),
        ("Databases", f"{item.databases:,}" if item.databases is not None else "unknown"),
        ("Your default", "yes" if is_default else f"no (`/pscale org switch {escape(item.name)}` makes it so)"),
    ]
    return listing.facts_message(
        title=f"Organization {item.name}", facts=facts, link=listing.app_link(item.name)
    )


def switched(name: str) -> Message:
    return Message(
        text=f":white_check_mark: Your commands now use the organization `{escape(name)}` unless they say "
        "`--org ORG`."
    )
