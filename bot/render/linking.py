"""Messages about a person's PlanetScale link: the prompt, "Linked as …", whoami, logout. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.render.message import Message
from bot.render.mrkdwn import escape, utc_time

LINK_ACTION = "link_account"
# Organizations listed by whoami before "and N more": the reply must stay one readable screen.
MAX_ORGANIZATIONS_SHOWN = 20


@dataclass(frozen=True)
class WhoAmI:
    """What `/pscale whoami` shows."""

    planetscale_name: str
    planetscale_email: str | None
    organizations: Sequence[str]
    scopes: Sequence[str]
    linked_since: int  # unix seconds


def link_prompt(*, url: str, minutes: int) -> Message:
    """The ephemeral answer for someone who has no usable PlanetScale link (or asked for `/pscale login`)."""
    lead = "Link your PlanetScale account so I can act as you."
    body = (
        f":link: {lead}\nPlanetScale will show which access the bot asks for; you approve it there. "
        "Everything you do from Slack then runs with your own PlanetScale permissions."
    )
    blocks = (
        SectionBlock(text=MarkdownTextObject(text=body)),
        ActionsBlock(
            block_id="link_account",
            elements=[ButtonElement(text="Link PlanetScale account", action_id=LINK_ACTION, url=url, style="primary")],
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(text=f"The link is for you only and works once, within {minutes} minutes.")
            ]
        ),
    )
    return Message(
        text=f"{lead} Open this link within {minutes} minutes: {url}",
        blocks=tuple(block.to_dict() for block in blocks),
    )


def linked(planetscale_name: str) -> Message:
    """Sent to the person in Slack once the browser part of the link succeeded."""
    name = escape(planetscale_name)
    return Message(
        text=f":white_check_mark: Linked as {name} on PlanetScale. Try `/pscale whoami` or `/pscale database list`."
    )


def relink_needed() -> Message:
    """Sent once when a grant stops working (revoked in PlanetScale, refresh refused)."""
    return Message(
        text=":warning: Your PlanetScale link stopped working (the access was revoked or has expired). "
        "Run `/pscale login` to link your account again."
    )


def unlinked(planetscale_name: str | None, *, revoked: bool) -> Message:
    who = f" ({escape(planetscale_name)})" if planetscale_name else ""
    if revoked:
        return Message(
            text=f":wave: Unlinked your PlanetScale account{who}. Its tokens are revoked and the bot no longer "
            "keeps them. `/pscale login` links it again."
        )
    return Message(
        text=f":wave: Unlinked your PlanetScale account{who}: the bot no longer keeps its tokens. PlanetScale could "
        "not be reached to revoke them, so to be sure, remove the bot's access under Settings → OAuth applications "
        "in PlanetScale."
    )


def unlinked_unreadable() -> Message:
    """Logout of a grant no configured key opens (the encryption keys changed): nothing the bot could revoke."""
    return Message(
        text=":wave: Unlinked your PlanetScale account. The bot could no longer read its stored tokens (its "
        "encryption keys changed), so it could not revoke them: remove the bot's access under Settings → OAuth "
        "applications in PlanetScale to be sure."
    )


def nothing_linked() -> Message:
    return Message(text="There is no PlanetScale account linked to you, so there is nothing to unlink.")


def whoami(view: WhoAmI) -> Message:
    since = f"<!date^{view.linked_since}^{{date_short_pretty}} at {{time}}|{utc_time(view.linked_since)}>"
    name = escape(view.planetscale_name)
    email = f" ({escape(view.planetscale_email)})" if view.planetscale_email else ""
    shown = [f"`{escape(organization)}`" for organization in view.organizations[:MAX_ORGANIZATIONS_SHOWN]]
    more = len(view.organizations) - len(shown)
    organizations = ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "none visible"
    scopes = " ".join(f"`{escape(scope)}`" for scope in view.scopes) or "none"
    lines = [
        f":bust_in_silhouette: You are *{name}*{email} on PlanetScale, linked since {since}.",
        f"*Organizations:* {organizations}",
        f"*Access granted to the bot:* {scopes}",
    ]
    text = "\n".join(lines)
    return Message(
        text=f"You are {view.planetscale_name} on PlanetScale.",
        blocks=(SectionBlock(text=MarkdownTextObject(text=text[:3000])).to_dict(),),
    )
