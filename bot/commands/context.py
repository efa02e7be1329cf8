"""What a command handler is given, and what it may ask of the world: no Slack SDK and no HTTP in here.

A handler is `async (CommandContext) -> Message | None`. It reads typed values from `ctx.invocation`, calls
PlanetScale as the person who asked (`ctx.planetscale`), may ask Slack for the few things commands need
(`ctx.slack`), and returns the reply. Failures it does not handle itself (PlanetScale errors, an expired grant) are
turned into plain replies by the dispatcher, so handlers stay a straight line: parse → domain call → view model →
renderer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.commands.grammar import Invocation
from bot.planetscale import PlanetScaleAPI, TokenProvider
from bot.render.message import Message
from bot.storage import AuditLog, ChannelPreferences, UserPreferences


@dataclass(frozen=True)
class Caller:
    """Who asked, and where."""

    team_id: str
    user_id: str
    channel_id: str


@dataclass(frozen=True)
class ChannelAccess:
    """Whether the bot can post in a channel, and if not, what the person should do about it."""

    can_post: bool
    reason: str = ""


class SlackPort(Protocol):
    """The Slack actions commands need; the transport implements it with the Web API."""

    async def post_message(self, *, channel: str, message: Message, thread_ts: str | None = None) -> str:
        """Post to a channel; returns the message's `ts`."""
        ...

    async def update_message(self, *, channel: str, ts: str, message: Message) -> None: ...

    async def unfurl(self, *, channel: str, ts: str, url: str, message: Message) -> None: ...

    async def open_modal(self, *, trigger_id: str, view: dict[str, Any]) -> str:
        """Open a modal; returns its view id."""
        ...

    async def update_modal(self, *, view_id: str, view: dict[str, Any]) -> None: ...

    async def post_ephemeral(self, *, channel: str, user: str, message: Message) -> None: ...

    async def channel_access(self, channel: str) -> ChannelAccess: ...

    async def user_time_zone(self, user_id: str) -> str | None: ...


class Accounts(Protocol):
    """Each Slack user's PlanetScale grant (bot/linking implements it). The first two run on the ack path, so they
    read only local storage."""

    def has_active_grant(self, team_id: str, user_id: str) -> bool: ...

    def link_prompt(self, team_id: str, user_id: str) -> Message: ...

    def token_provider(self, team_id: str, user_id: str) -> TokenProvider: ...


class CommandRefused(Exception):
    """The command cannot go on for a reason the person can fix; the dispatcher replies with the text."""


class OrganizationUnknown(CommandRefused):
    """No `--org`, no default org, and the account's orgs do not make the choice obvious; the text says what to do."""


@dataclass
class CommandContext:
    caller: Caller
    invocation: Invocation
    trigger_id: str | None
    planetscale: PlanetScaleAPI
    slack: SlackPort
    user_preferences: UserPreferences
    channel_preferences: ChannelPreferences
    audit: AuditLog
    _organization: str | None = field(default=None, repr=False)

    @property
    def known_organization(self) -> str | None:
        """The org, if it has been worked out already (for error messages); never calls PlanetScale."""
        return self._organization or self.invocation.org

    async def require_posting_here(self, *, nothing_done: str = "") -> None:
        """Commands that post check first that the bot can post in this channel; if it cannot, the person is told
        why and how to fix it (`nothing_done` says what did not happen), and the command stops."""
        access = await self.slack.channel_access(self.caller.channel_id)
        if not access.can_post:
            raise CommandRefused(f"{access.reason} {nothing_done}".strip())

    async def organization(self) -> str:
        """The org this command acts in: `--org`, else the user's default (`org switch`), else their only org."""
        if self._organization is not None:
            return self._organization
        chosen = self.invocation.org or self.user_preferences.default_org(self.caller.team_id, self.caller.user_id)
        if chosen is None:
            chosen = await self._only_organization()
        self._organization = chosen
        return chosen

    async def _only_organization(self) -> str:
        page = await self.planetscale.organizations.list(per_page=25)
        names = [organization.name for organization in page.data]
        if len(names) == 1:
            return names[0]
        if not names:
            raise OrganizationUnknown("Your PlanetScale account belongs to no organization that the bot can see.")
        listed = ", ".join(f"`{name}`" for name in names[:10])
        raise OrganizationUnknown(
            f"Your PlanetScale account belongs to several organizations ({listed}). Pick one with "
            "`/pscale org switch ORG`, or add `--org ORG` to the command."
        )


# None: nothing more to say (the handler opened a modal, or already posted what the person needs to see).
Handler = Callable[[CommandContext], Awaitable[Message | None]]


@dataclass(frozen=True)
class CommandHandler:
    """A handler and what it needs before it runs."""

    run: Handler
    # Most commands act on PlanetScale as the asker; without a grant they get the link prompt instead.
    needs_grant: bool = True

