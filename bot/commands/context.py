"""What a command handler is given, and what it may ask of the world: no Slack SDK and no HTTP in here.

A handler is `async (CommandContext) -> Message | None`. It reads typed values from `ctx.invocation`, calls
PlanetScale as the person who asked (`ctx.planetscale`), may ask Slack for the few things commands need
(`ctx.slack`), and returns the reply. Failures it does not handle itself (PlanetScale errors, an expired grant) are
turned into plain replies by the dispatcher, so handlers stay a straight line: parse → domain call → view model →
renderer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.commands.grammar import Invocation
from bot.planetscale import PlanetScaleAPI
from bot.ports import SLACK_MAY_HAVE_ACTED, Caller, SlackPort, unconfirmed
from bot.render.message import Message
from bot.storage import AuditLog, ChannelPreferences, UserPreferences

log = logging.getLogger(__name__)


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

    async def organization(self) -> str:
        """The org this command acts in: `--org`, else the user's default (`org switch`), else their only org,
        which then becomes their default, as `pscale auth login` writes the account's organization into the CLI's
        config (docs/reference/pscale-cli.md): every later command is then one PlanetScale round trip, not two."""
        if self._organization is not None:
            return self._organization
        chosen = self.invocation.org or await self.user_preferences.default_org(
            self.caller.team_id, self.caller.user_id
        )
        if chosen is None:
            chosen = await self._only_organization()
            await self.user_preferences.set_default_org(
                team_id=self.caller.team_id, user_id=self.caller.user_id, org=chosen
            )
        self._organization = chosen
        return chosen

    async def post_notice(self, notice: Message) -> bool:
        """Tell the caller's channel what the command did (`digest subscribe`, `watch`): True once Slack confirmed
        the post, False when it may or may not have made it (`SLACK_MAY_HAVE_ACTED`), which the reply then says:
        posting it again could show it twice. Slack's refusals and a Slack not reached are raised (nothing posted)."""
        try:
            await self.slack.post_message(channel=self.caller.channel_id, message=notice)
        except SLACK_MAY_HAVE_ACTED as failure:
            log.warning("%s: notice in %s unconfirmed, since %s", self.invocation.key, self.caller.channel_id,
                        unconfirmed(failure))
            return False
        return True

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

