"""Passwords: the list (never a secret in it), the one-time reveal of a new password, and the deletion.

The new password is rendered into exactly one ephemeral reply; `NewPassword` has no `repr` of its secret, so a
stray log line or traceback cannot carry it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from bot.render import listing
from bot.render.message import Message
from bot.render.mrkdwn import escape, slack_date


@dataclass(frozen=True)
class PasswordView:
    id: str
    name: str
    role: str | None
    created_at: datetime | None
    expires_at: datetime | None
    expired: bool
    last_used_at: datetime | None


def passwords(
    org: str, db: str, branch: str, items: Sequence[PasswordView], *, total: int | None, more: bool
) -> Message:
    def line(item: PasswordView) -> str:
        if item.expired:
            expiry = ", expired"
        elif item.expires_at:
            expiry = f", expires {slack_date(item.expires_at)}"
        else:
            expiry = ", never expires"
        used = f", last used {slack_date(item.last_used_at)}" if item.last_used_at else ", never used"
        return (
            f"• `{escape(item.name)}` ({escape(item.role or 'role unknown')}) — ID `{escape(item.id)}`, "
            f"created {slack_date(item.created_at)}{expiry}{used}"
        )

    link = listing.app_link(org, db, "branches", branch, "passwords")
    footer = listing.count_line(
        shown=len(items), total=total, more=more, noun="password", plural="passwords", link=link
    )
    return listing.list_message(
        title=f"Passwords of {org}/{db} branch {branch}",
        lines=[line(item) for item in items],
        empty="No passwords on this branch.",
        footer=f"{footer} `/pscale password delete {escape(db)} {escape(branch)} ID` deletes one.",
        link=link,
    )


@dataclass(frozen=True)
class NewPassword:
    """Shown once, only to the person who asked; never stored, logged or posted."""

    database: str
    branch: str
    name: str
    role: str
    host: str
    username: str
    secret: str = field(repr=False)
    expires_at: datetime | None


# The connection string PlanetScale's docs show for MySQL clients (Node's mysql2 reads the ssl JSON).
_SSL_QUERY = "ssl=" + json.dumps({"rejectUnauthorized": True}, separators=(",", ":"))


def connection_string(item: NewPassword) -> str:
    user, secret = quote(item.username, safe=""), quote(item.secret, safe="")
    return f"mysql://{user}:{secret}@{item.host}/{quote(item.database, safe='')}?{_SSL_QUERY}"


def new_password(item: NewPassword) -> Message:
    expiry = f"It expires {slack_date(item.expires_at)}." if item.expires_at else "It does not expire."
    intro = (
        f":key: New *{escape(item.role)}* password `{escape(item.name)}` for `{escape(item.database)}` branch "
        f"`{escape(item.branch)}`. Only you can see this, and only now: copy it somewhere safe. {expiry}"
    )
    env = f"DATABASE_HOST={item.host}\nDATABASE_USERNAME={item.username}\nDATABASE_PASSWORD={item.secret}"
    blocks = [
        listing.section(intro),
        listing.section(f"*Host:* `{item.host}`\n*Username:* `{item.username}`\n*Password:* `{item.secret}`"),
        listing.section(f"*Connection string*\n```{connection_string(item)}```"),
        listing.section(f"*Environment*\n```{env}```"),
    ]
    # The fallback text is what notifications and previews show: no secret in it.
    text = f"New password {item.name} for {item.database}/{item.branch} (host {item.host}, user {item.username})"
    return listing.message(text, blocks)


def deleted(db: str, branch: str, password_id: str) -> Message:
    return Message(
        text=f":wastebasket: Deleted password `{escape(password_id)}` of `{escape(db)}` branch `{escape(branch)}`. "
        "Connections using it stop working."
    )
