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


def branches(
    org: str,
    db: str,
    items: Sequence[BranchView],
    *,
    total: int | None,
    page: int = 1,
    per_page: int,
    next_command: str | None = None,
) -> Message:
    """One page of a database's branches. Slack shows at most 50 blocks and about 12,000 characters a message
    (docs/reference/slack.md), far fewer than a database may have branches: the footer counts them all, links to
    PlanetScale's list, and names the command for the next page (`next_command`, when there is one)."""
    lines = [
        f"• `{escape(item.name)}`{' (production)' if item.production else ''}"
        f"{' from `' + escape(item.parent) + '`' if item.parent else ''}"
        f" — created {slack_date(item.created_at)}"
        for item in items
    ]
    link = listing.app_link(org, db, "branches")
    footer = _page_footer(
        shown=len(items), total=total, page=page, per_page=per_page, more=next_command is not None, link=link
    )
    if next_command is not None:
        footer += f" Next: `{escape(next_command)}`"
    return listing.list_message(
        title=f"Branches of {org}/{db}", lines=lines, empty="No branches." if page == 1 else "None on this page.",
        footer=footer, link=link,
    )


def _page_footer(*, shown: int, total: int | None, page: int, per_page: int, more: bool, link: str) -> str:
    if page == 1:
        return listing.count_line(shown=shown, total=total, more=more, noun="branch", plural="branches", link=link)
    if shown == 0:
        count = max(1, -(-total // per_page)) if total else 0
        branches = "1 branch makes" if total == 1 else f"{total:,} branches make"
        pages = f": {branches} {count:,} page{'' if count == 1 else 's'} of {per_page}" if total else ""
        return f"Page {page:,} is past the end of the list{pages}."
    first = (page - 1) * per_page + 1
    counted = f" of {total:,}" if total is not None else ""
    return (f"Showing branches {first:,}–{first + shown - 1:,}{counted}, page {page:,}. "
            f"<{link}|See them all in PlanetScale>.")


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
