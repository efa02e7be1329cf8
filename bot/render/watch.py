"""Messages about watching a database: `/pscale watch` and `unwatch`, and the one-line notice for a webhook delivery
about a deploy request that has no card in the channel. Pure: view values in, `Message`s out."""

from __future__ import annotations

from dataclasses import dataclass

from bot.render.message import Message
from bot.render.mrkdwn import escape
from bot.render.resources import state_label


@dataclass(frozen=True)
class DeliveryView:
    """A PlanetScale deploy-request event as read from a webhook delivery; values are as PlanetScale sent them."""

    database: str
    number: str
    branch: str
    into_branch: str
    event: str  # without the `deploy_request.` prefix, e.g. `schema_applied`
    state: str  # open|closed
    deployment_state: str
    html_url: str | None  # only an https link, so the notice never carries another scheme


def delivery(view: DeliveryView) -> Message:
    title = f"`{escape(view.database)}` #{view.number} `{escape(view.branch)}` → `{escape(view.into_branch)}`"
    suffix = f" <{view.html_url}|Open in PlanetScale>" if view.html_url else ""
    return Message(
        text=f"{title}: {escape(view.event.replace('_', ' '))} ({escape(state_label(view).lower())}).{suffix}",
        visibility="in_channel",
    )


def already_watched(db: str, *, channel_id: str) -> Message:
    return Message(text=f"`{escape(db)}` is already watched in <#{channel_id}>. `/pscale unwatch` it there first to "
                   "move it.")


def watching_notice(db: str, *, user_id: str) -> Message:
    """For everyone in the channel: who started watching, and what will show up here."""
    return Message(
        text=f"<@{user_id}> is watching `{escape(db)}` here: deploy-request events will be posted in this channel.",
        visibility="in_channel",
    )


def watching(db: str) -> Message:
    return Message(text=f":white_check_mark: Watching `{escape(db)}` in this channel.")


def not_watched(db: str) -> Message:
    return Message(text=f"`{escape(db)}` is not watched; nothing changed.")


def stopped_notice(db: str, *, user_id: str) -> Message:
    return Message(text=f"<@{user_id}> stopped watching `{escape(db)}`.", visibility="in_channel")


def stopped(db: str) -> Message:
    return Message(text=f":white_check_mark: Stopped watching `{escape(db)}`.")
