"""What a signed request to `/slack/events` may look like, as typed models: checked at the edge, before bolt.

A correctly signed body can still be anything (a broken `payload=` field, an event that is a number, a form whose
`state.values` is a list, 10,000 nested brackets). Bolt and the listeners read payloads as dicts and would raise on
such shapes, which bolt answers with HTTP 500; Slack then retries, and disables an app's event subscriptions when
more than 5% of deliveries fail. So every body is parsed exactly as bolt would parse it (`parse_body`) and validated
against the models below: one that fits is what the listeners may rely on, one that does not is acknowledged and
dropped. The models describe the fields the bot and bolt read, and only those go on to bolt: the payload is written
out again from the validated model (`for_bolt`, a dict bolt takes as it is, not parsed a second time), so nothing
unchecked reaches a listener or bolt's own extractors.

Lengths are Slack's own limits on what it sends back (docs.slack.dev/reference/block-kit/composition-objects/
option-object: an option's `value` is at most 150 characters; block-elements/button-element: a button's `value` at
most 2,000; views: `private_metadata` at most 3,000, `callback_id` and ids at most 255).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictBool, Tag, TypeAdapter, ValidationError
from slack_bolt.request.internals import parse_body

Id = Annotated[str, Field(max_length=255)]
OptionValue = Annotated[str, Field(max_length=150)]
ButtonValue = Annotated[str, Field(max_length=2000)]
Metadata = Annotated[str, Field(max_length=3000)]
Url = Annotated[str, Field(max_length=3000)]
# A slash command's text is at most 4,000 characters in Slack's composer; an options request's typed text is shorter.
Text = Annotated[str, Field(max_length=4000)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class User(_Shape):
    id: Id
    team_id: Id | None = None


class Team(_Shape):
    id: Id


class Option(_Shape):
    value: OptionValue


class ElementState(_Shape):
    """One input's entry in `state.values`: typed (`value`) or picked (`selected_option`)."""

    value: Text | None = None
    selected_option: Option | None = None


class ViewState(_Shape):
    values: dict[Id, dict[Id, ElementState]] = {}


class View(_Shape):
    """A modal as Slack last showed it: Slack always sends its type and callback id (empty if the app set none)."""

    type: Id
    callback_id: Id
    id: Id | None = None
    private_metadata: Metadata | None = None
    state: ViewState | None = None


class Action(_Shape):
    action_id: Id
    block_id: Id | None = None
    value: ButtonValue | None = None
    selected_option: Option | None = None


class Channel(_Shape):
    id: Id


class Container(_Shape):
    type: Id | None = None
    channel_id: Id | None = None
    message_ts: Id | None = None
    view_id: Id | None = None
    is_ephemeral: StrictBool | None = None


class Enterprise(_Shape):
    id: Id


class _Interaction(_Shape):
    user: User
    team: Team | None = None  # null for an org-wide install
    enterprise: Enterprise | None = None
    is_enterprise_install: StrictBool | None = None
    api_app_id: Id | None = None
    trigger_id: Id | None = None
    container: Container | None = None


class BlockActions(_Interaction):
    type: Literal["block_actions"]
    actions: list[Action] = Field(min_length=1)
    response_url: Url | None = None
    channel: Channel | None = None
    view: View | None = None


class ViewSubmission(_Interaction):
    type: Literal["view_submission"]
    view: View


class ViewClosed(_Interaction):
    type: Literal["view_closed"]
    view: View


class BlockSuggestion(_Interaction):
    type: Literal["block_suggestion"]
    action_id: Id
    block_id: Id | None = None
    value: Text = ""
    view: View | None = None


class OtherInteraction(_Interaction):
    """Shortcuts and the like, which the bot registers nothing for: bolt acknowledges them."""

    type: Literal["shortcut", "message_action"]


Interaction = Annotated[
    BlockActions | ViewSubmission | ViewClosed | BlockSuggestion | OtherInteraction, Field(discriminator="type")
]


class SlashCommand(_Shape):
    """A form: every value is a string (`is_enterprise_install` is "true" or "false")."""

    command: Id
    text: Text = ""
    team_id: Id
    team_domain: Id | None = None
    enterprise_id: Id | None = None
    is_enterprise_install: Id | None = None
    api_app_id: Id | None = None
    user_id: Id
    user_name: Id | None = None
    channel_id: Id
    channel_name: Id | None = None
    response_url: Url
    trigger_id: Id | None = None


class SslCheck(_Shape):
    """Slack checks an HTTPS endpoint's certificate with a signed form of `ssl_check=1`; bolt answers it."""

    ssl_check: Literal["1"]


class Tokens(_Shape):
    oauth: list[Id] = []
    bot: list[Id] = []


class TokensRevoked(_Shape):
    type: Literal["tokens_revoked"]
    tokens: Tokens


class AppUninstalled(_Shape):
    type: Literal["app_uninstalled"]


class ChangedUser(_Shape):
    id: Id
    team_id: Id | None = None
    deleted: StrictBool = False


class UserChange(_Shape):
    type: Literal["user_change"]
    user: ChangedUser


class SharedLink(_Shape):
    url: Url
    domain: Id | None = None


class LinkShared(_Shape):
    type: Literal["link_shared"]
    channel: Id
    user: Id
    message_ts: Id | None = None
    source: Id | None = None
    links: list[SharedLink] = []


class AppHomeOpened(_Shape):
    """Someone opened the app's Home or Messages tab (docs.slack.dev/reference/events/app_home_opened)."""

    type: Literal["app_home_opened"]
    user: Id
    channel: Id | None = None
    tab: Id | None = None


class OtherEvent(_Shape):
    """Any event the bot does not act on: bolt acknowledges it and nothing reads more of it."""

    type: Id


_HANDLED_EVENTS = frozenset({"tokens_revoked", "app_uninstalled", "user_change", "link_shared", "app_home_opened"})


def _event_kind(event: Any) -> str:
    """Which model an event must fit: its own if the bot acts on its type, else `OtherEvent`; so an event the bot
    handles but whose fields are wrong is refused rather than passed on as some other event."""
    kind = event.get("type") if isinstance(event, dict) else getattr(event, "type", None)
    return kind if isinstance(kind, str) and kind in _HANDLED_EVENTS else "other"  # a list is not hashable


Event = Annotated[
    Annotated[TokensRevoked, Tag("tokens_revoked")]
    | Annotated[AppUninstalled, Tag("app_uninstalled")]
    | Annotated[UserChange, Tag("user_change")]
    | Annotated[LinkShared, Tag("link_shared")]
    | Annotated[AppHomeOpened, Tag("app_home_opened")]
    | Annotated[OtherEvent, Tag("other")],
    Discriminator(_event_kind),
]


class EventCallback(_Shape):
    type: Literal["event_callback"]
    team_id: Id
    api_app_id: Id | None = None
    event_id: Id | None = None
    event_time: int | None = None
    event: Event


class UrlVerification(_Shape):
    type: Literal["url_verification"]
    challenge: Id


class RateLimited(_Shape):
    """Slack's notice that it is dropping this app's events for a while; nothing to do but acknowledge."""

    type: Literal["app_rate_limited"]


Envelope = Annotated[EventCallback | UrlVerification | RateLimited, Field(discriminator="type")]
Inbound = BlockActions | ViewSubmission | ViewClosed | BlockSuggestion | OtherInteraction | SlashCommand | SslCheck | \
    EventCallback | UrlVerification | RateLimited

_INTERACTION: TypeAdapter[Inbound] = TypeAdapter(Interaction)
_ENVELOPE: TypeAdapter[Inbound] = TypeAdapter(Envelope)
_FORM: TypeAdapter[Inbound] = TypeAdapter(SslCheck | SlashCommand)

JSON_TYPE = "application/json"


class Unreadable(Exception):
    """A signed body that is not a payload the bot understands; `reason` names why, never what it held."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_inbound(text: str, content_type: str | None) -> Inbound:
    """The typed payload in `text`, parsed as bolt parses it; `Unreadable` if it is none the bot understands."""
    # The same three cases as parse_body: a JSON envelope, a form with a JSON `payload`, a plain form.
    if content_type == JSON_TYPE or text.startswith("{"):
        adapter = _ENVELOPE
    elif "payload" in text:
        adapter = _INTERACTION
    else:
        adapter = _FORM
    try:
        body = parse_form(text) if adapter is _FORM else parse_body(text, content_type)
    except (ValueError, RecursionError) as error:  # RecursionError: JSON nested deeper than the parser goes
        raise Unreadable(f"not parseable ({type(error).__name__})") from None
    if not isinstance(body, dict):
        raise Unreadable(f"not an object ({type(body).__name__})")
    try:
        return adapter.validate_python(body)
    except ValidationError as error:
        raise Unreadable(_summary(error)) from None


def parse_form(text: str) -> dict[str, str]:
    """A plain form (a slash command) as bolt's `parse_body` reads it: a field given twice keeps its last value, a
    blank one is kept.

    `parse_body` does it with `urllib.parse.parse_qsl`, which is a quarter of a slash command's ack beyond bare bolt
    (26 µs for Slack's 14 fields, against 14 µs here): it unquotes every name and value, most of which hold nothing
    to unquote. Checked against `parse_body` on any text (tests/transport/test_inbound_form.py)."""
    fields: dict[str, str] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        # What `unquote_plus` does, without the calls for the many fields that hold nothing to unquote.
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value)
        fields[name] = value
    return fields


# Socket Mode carries the same payloads, already parsed, in envelopes whose type says which kind each is.
_SOCKET_ADAPTERS: dict[str, TypeAdapter[Inbound]] = {
    "events_api": _ENVELOPE,
    "interactive": _INTERACTION,
    "slash_commands": _FORM,
}


def read_socket_payload(envelope_type: str, payload: object) -> dict[str, Any]:
    """A Socket Mode envelope's payload checked against the same models as over HTTP, and written out again from
    them; `Unreadable` if it is none the bot understands (or an envelope type it does not handle)."""
    adapter = _SOCKET_ADAPTERS.get(envelope_type)
    if adapter is None:
        raise Unreadable(f"an envelope of type {envelope_type[:40]!r}")
    if not isinstance(payload, dict):
        raise Unreadable(f"not an object ({type(payload).__name__})")
    try:
        return for_bolt(adapter.validate_python(payload))
    except ValidationError as error:
        raise Unreadable(_summary(error)) from None


def for_bolt(payload: Inbound) -> dict[str, Any]:
    """The validated payload as bolt's listeners read it (what `parse_body` makes of Slack's body), holding only
    what the models checked."""
    return payload.model_dump(mode="json", exclude_unset=True)


def _summary(error: ValidationError) -> str:
    """Where a payload went wrong, by field path and problem type only: no value from the body."""
    first = error.errors(include_url=False, include_input=False, include_context=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{first['type']} at {where} ({error.error_count()} problem(s))"
