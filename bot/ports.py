"""The ports: what cards, commands, digests and linking may ask of Slack and of account linking.

Each is a protocol its user declares here and an outer layer implements: bot/slack/port.py speaks the Slack Web API
(and translates its errors into `SlackRefused`), bot/linking keeps the PlanetScale grants. Code below the transport
depends on these protocols and value types only, so it never imports slack_sdk, and the layers import downward
(docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from bot.planetscale import TokenProvider
from bot.render.message import Message


@dataclass(frozen=True)
class Caller:
    """Who asked, and where."""

    team_id: str
    user_id: str
    channel_id: str


@dataclass(frozen=True)
class SlackPerson:
    """A Slack user as their workspace shows them: a name, their profile email if the bot may read it (None
    otherwise), and the workspace's name."""

    name: str
    email: str | None
    workspace: str


class SlackDirectory(Protocol):
    async def person(self, *, team_id: str, user_id: str) -> SlackPerson | None:
        """Who `user_id` is; None when Slack does not say (unknown user, no answer)."""
        ...


# Slack's error codes that mean "not now" rather than "not this": the same call may go through later. Each is so
# described on the pages of the methods the bot retries (https://api.slack.com/methods/chat.update#errors,
# https://api.slack.com/methods/chat.unfurl#errors; the same words at https://docs.slack.dev/reference/methods/…):
# `ratelimited` ("Refer to the Retry-After header for when to retry"), `internal_error` ("likely due to a transient
# issue on our end"), `fatal_error`, `service_unavailable` ("temporarily unavailable"), `request_timeout` (the POST
# data arrived "missing or truncated"), `team_added_to_org` and `org_login_required` (a migration, "unavailable until
# [it] is complete"), and chat.update's `update_failed` ("Internal update failure") and `external_channel_migrating`
# ("cannot be updated at this time"), and `rate_limited`, which Slack's own description of chat.update still lists
# beside `ratelimited` (https://github.com/slackapi/slack-api-specs, web-api/slack_web_openapi_v2.json; "Application
# has posted too many messages" on chat.postMessage's page): a rate limit, spelt the older way. Every other code on
# those pages refuses the call as it was made: its target (`message_not_found`, `channel_not_found`, `is_inactive`,
# `cannot_find_message`, `cannot_unfurl_url`, `cannot_unfurl_message`, …), its content (`msg_too_long`,
# `invalid_blocks`, …) or its token and the app's rights (`token_revoked`, `account_inactive`, `invalid_auth`,
# `missing_scope`, `not_in_channel`, …), and sending it again unchanged only earns the same answer.
SLACK_LATER = frozenset({
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org",
    "org_login_required", "update_failed", "external_channel_migrating", "rate_limited",
})
# The code of a refusal whose answer named none (not one of Slack's JSON answers).
UNKNOWN_REFUSAL = "unknown"


class SlackRefused(Exception):
    """Slack answered a Web API call with an error (`ok: false`); `code` is Slack's, e.g. `channel_not_found`, and
    for `missing_scope`, `needed` names the scope the app lacks. For `ratelimited`, `retry_after` is the seconds
    Slack's `Retry-After` asked for (None when it named none that can be read). `status` is the answer's HTTP status
    (None where not known): a 5xx is an outage, whatever its body says."""

    def __init__(
        self, method: str, code: str, *, needed: str | None = None, retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"Slack {method}: {code}")
        self.method = method
        self.code = code
        self.needed = needed
        self.retry_after = retry_after
        self.status = status

    @property
    def final(self) -> bool:
        """Slack will refuse this call as it is however often it is sent again (`SLACK_LATER` says why). An answer
        with no code of Slack's (`unknown`: a proxy's error page, say) or a 5xx is not Slack's word on the call, so
        it is not final either."""
        outage = self.status is not None and self.status >= 500
        return not (outage or self.code in SLACK_LATER or self.code == UNKNOWN_REFUSAL)


class SlackNotReached(OSError):
    """A Web API call that never left: the connection to Slack was never made (name lookup, refused, connect
    timeout), so Slack certainly did not act on it."""


class SlackAnswerLost(OSError):
    """A Web API call whose connection broke after the request was sent, before Slack's answer came (a reset, a
    disconnect): Slack may have acted on it."""


# The failures of a Slack call that may come after Slack carried it out: it did not answer in time (`TimeoutError`),
# or the connection broke once the request was sent (`SlackAnswerLost`). What such a call may have done must be
# neither done again as if it had not been (a second message) nor undone as if it never had (a card forgotten while
# Slack shows it). Only `SlackRefused` and `SlackNotReached` prove that Slack did nothing.
SLACK_MAY_HAVE_ACTED: tuple[type[Exception], ...] = (TimeoutError, SlackAnswerLost)


# Every way a Slack call fails: for what is sent as a courtesy and may be lost whatever became of it.
SLACK_CALL_FAILURES: tuple[type[Exception], ...] = (SlackRefused, SlackNotReached, *SLACK_MAY_HAVE_ACTED)


def unconfirmed(failure: BaseException) -> str:
    """For the log: why a Slack call that failed with one of `SLACK_MAY_HAVE_ACTED` may have been carried out (a
    `TimeoutError` has no words of its own)."""
    if isinstance(failure, TimeoutError):
        return "Slack did not answer in time"
    return f"the connection to Slack broke after the request was sent ({failure})"


def slack_failure(failure: BaseException) -> str:
    """For the log's one line on a Slack call that failed with one of `SLACK_CALL_FAILURES` where nothing hangs on
    which (a view that is published whole again next time, say): what happened, saying so when Slack may have done
    it all the same."""
    if isinstance(failure, SLACK_MAY_HAVE_ACTED):
        return f"it may have been done, but {unconfirmed(failure)}"
    return str(failure)


class SlackPort(Protocol):
    """The Slack actions the bot's features need. Those that act raise `SlackRefused` when Slack says no,
    `SlackNotReached` or `SlackAnswerLost` when the connection failed, and `TimeoutError` when Slack did not answer
    in time (it may have acted); the question at the end answers what it can instead.

    Whether the bot may post in a channel is learned by posting: Slack answers `not_in_channel` or
    `channel_not_found` itself, and asking first (`conversations.info`) would need four more scopes."""

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

    async def user_time_zone(self, user_id: str) -> str | None: ...

    async def publish_home(self, *, user_id: str, view: dict[str, Any]) -> None:
        """Show `view` on `user_id`'s App Home tab (`views.publish`)."""
        ...


@dataclass(frozen=True)
class LinkOffer:
    """A one-time link for someone to connect their PlanetScale account: it works once, within `valid_minutes`."""

    url: str
    valid_minutes: int


class Accounts(Protocol):
    """Each Slack user's PlanetScale grant (bot/linking implements it). The first three run on the ack path, so they
    read and write only the bot's own storage (off the event loop, like every storage call)."""

    async def has_active_grant(self, team_id: str, user_id: str) -> bool: ...

    async def seems_linked(self, team_id: str, user_id: str) -> bool:
        """`has_active_grant`, or True if this process saw that grant active within the last minute (then with no
        storage read). For the command ack only, where a stale "yes" is harmless: the follow-up reads the grant
        again for its token and answers the link prompt itself if the grant has gone."""
        ...

    async def link_offer(self, team_id: str, user_id: str) -> LinkOffer: ...

    def token_provider(self, team_id: str, user_id: str, *, read_ahead: bool = False) -> TokenProvider:
        """`read_ahead`: begin reading the first token now, for work that reads its own storage first."""
        ...

    async def slack_users(self, team_id: str, planetscale_user_ids: Collection[str]) -> dict[str, str]:
        """PlanetScale user id → Slack user id, for those who linked their account in this workspace (a local
        read, so a card can name them as themselves)."""
        ...

    async def linked_as(self, team_id: str, user_id: str) -> tuple[str, str] | None:
        """The PlanetScale user (id, name) this Slack user linked as, while the link works (a local read)."""
        ...


class UserNotifier(Protocol):
    """What account linking tells a person privately (the transport sends a DM from the bot)."""

    async def tell_linked(self, *, team_id: str, user_id: str, planetscale_name: str) -> None:
        """The browser part of their link succeeded: they are linked as `planetscale_name`."""
        ...

    async def tell_link_stopped_working(self, *, team_id: str, user_id: str) -> None:
        """Their grant died (revoked in PlanetScale, refresh refused): they should link again."""
        ...
