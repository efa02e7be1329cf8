"""Databases: the list (a truthful count of all of them) and one database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.render import listing
from bot.render.message import Message
from bot.render.mrkdwn import escape


@dataclass(frozen=True)
class DatabaseView:
    name: str
    state: str | None
    kind: str | None
    region: str | None
    default_branch: str | None
    require_approval: bool
    branches: int | None
    html_url: str | None


def databases(org: str, items: Sequence[DatabaseView], *, total: int | None, more: bool) -> Message:
    lines = [
        f"• `{escape(item.name)}` — {escape(item.state or 'state unknown')}"
        f"{', ' + escape(item.region) if item.region else ''}"
        for item in items
    ]
    link = listing.app_link(org)
    footer = listing.count_line(
        shown=len(items), total=total, more=more, noun="database", plural="databases", link=link
    )
    return listing.list_message(
        title=f"Databases in {org}", lines=lines, empty="No databases you can see.", footer=footer, link=link
    )


def database(org: str, item: DatabaseView) -> Message:
    facts = [
        ("State", escape(item.state or "unknown")),
        ("Engine", escape(item.kind or "unknown")),
        ("Region", escape(item.region or "unknown")),
        ("Default branch", f"`{escape(item.default_branch)}`" if item.default_branch else "unknown"),
        ("Deploy requests need approval", "yes" if item.require_approval else "no"),
        ("Branches", f"{item.branches:,}" if item.branches is not None else "unknown"),
    ]
    return listing.facts_message(
        title=f"{org}/{item.name}", facts=facts, link=item.html_url or listing.app_link(org, item.name)
    )
