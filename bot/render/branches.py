"""Branches: the list (one page, a truthful count), one branch, and create/delete replies (the create form is
in render/forms.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.render import listing
from bot.render.message import Message
from bot.render.mrkdwn import escape, slack_date


@dataclass(frozen=True)
class BranchView:
    name: str
    parent: str | None
    production: bool
    ready: bool | None
    created_at: datetime | None
    author: str | None
    html_url: str | None


def branches(org: str, db: str, items: Sequence[BranchView], *, total: int | None, more: bool) -> Message:
    lines = [
        f"• `{escape(item.name)}`{' (production)' if item.production else ''}"
        f"{' from `' + escape(item.parent) + '`' if item.parent else ''}"
        f" — created {slack_date(item.created_at)}"
        for item in items
    ]
    link = listing.app_link(org, db, "branches")
    footer = listing.count_line(shown=len(items), total=total, more=more, noun="branch", plural="branches", link=link)
    return listing.list_message(
        title=f"Branches of {org}/{db}", lines=lines, empty="No branches.", footer=footer, link=link
    )


def _readiness(ready: bool | None) -> str:
    if ready is None:
        return "unknown"
    return "ready" if ready else "not ready yet"


def branch(org: str, db: str, item: BranchView) -> Message:
    created = slack_date(item.created_at) + (f" by {escape(item.author)}" if item.author else "")
    facts = [
        ("Production", "yes" if item.production else "no"),
        ("Parent", f"`{escape(item.parent)}`" if item.parent else "none"),
        ("State", _readiness(item.ready)),
        ("Created", created),
    ]
    return listing.facts_message(
        title=f"{org}/{db} branch {item.name}",
        facts=facts,
        link=item.html_url or listing.app_link(org, db, "branches", item.name),
    )


def created(org: str, db: str, item: BranchView) -> Message:
    parent = f"`{escape(item.parent)}`" if item.parent else "the default branch"
    link = item.html_url or listing.app_link(org, db, "branches", item.name)
    ready = "" if item.ready else " It takes a minute or two to be ready."
    return Message(
        text=f":white_check_mark: Created branch `{escape(item.name)}` of `{escape(db)}` from {parent} in "
        f"`{escape(org)}`.{ready} <{link}|Open in PlanetScale>"
    )


def deleted(db: str, name: str, *, with_descendants: bool = False) -> Message:
    also = " and the branches made from it" if with_descendants else ""
    return Message(text=f":wastebasket: Deleted branch `{escape(name)}` of `{escape(db)}`{also}.")
