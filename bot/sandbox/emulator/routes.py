"""The emulator page's server side: it plays Slack's client and Slack's delivery to the bot.

The page asks for `/pscale …`, a click, a choice in a menu, a menu's options or a modal submission; this module
builds the request Slack would send (signed, with a fresh `response_url` and `trigger_id` from the stand-in), POSTs
it over real HTTP to the bot's `events_url`, and turns the ack into what Slack would show. Everything the bot posts
afterwards reaches the page through the stand-in, which the page polls.

The page sees two conversations for whoever it acts as: the channel, and that person's direct messages with the
bot (where "Linked as …" arrives).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.slack import OpenView, SlackError, SlackStandIn, SlackUser, StoredMessage
from bot.sandbox.slack.payloads import (
    Actor,
    SignedRequest,
    action_ts,
    block_actions_payload,
    block_suggestion_payload,
    button_action,
    event_callback,
    home_opened_event,
    interaction,
    slash_command,
    view_block_actions_payload,
    view_submission_payload,
)
from bot.tls import certifi_context

JSON = dict[str, Any]
# Slack gives the bot 3 s to acknowledge; so does the emulator, and says so like Slack does.
ACK_DEADLINE_SECONDS = 3.0
_URL = re.compile(r"https?://[^\s<>|]+")
# What the page can act on, and how each reports its value (`_chosen`).
_SELECTS = frozenset({"static_select", "external_select", "radio_buttons", "overflow"})
_INTERACTIVE = _SELECTS | {"button", "checkboxes", "plain_text_input", "number_input"}


class BadInput(Exception):
    """The page sent something unusable; answered with 400 and this message."""


class ModalGone(Exception):
    """The modal the page acted in has closed or been replaced meanwhile; answered with 409."""


@dataclass(frozen=True)
class Delivery:
    """How the bot answered one delivered request."""

    status: int | None
    body: str
    error: str | None

    def to_json(self) -> JSON:
        return {"status": self.status, "body": self.body, "error": self.error}

    def json_body(self) -> JSON | None:
        try:
            parsed = json.loads(self.body) if self.body.strip() else None
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None


@dataclass(frozen=True)
class WelcomeStep:
    """One thing to try, shown to a new visitor: a sentence in Slack's mrkdwn and the commands it mentions (the
    page offers each as a one-click fill of the message box)."""

    text: str
    commands: tuple[str, ...] = ()


def slack_escape(text: str) -> str:
    """Slack escapes these three in everything a user types before the app sees it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def _json_object(request: Request) -> JSON:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadInput("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise BadInput("the request body must be a JSON object")
    return body


def _string(body: JSON, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BadInput(f"`{name}` is required")
    return value


def _text(body: JSON, name: str) -> str:
    """An optional string field; empty when absent."""
    value = body.get(name, "")
    if not isinstance(value, str):
        raise BadInput(f"`{name}` must be a string")
    return value


def _index(body: JSON, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadInput(f"`{name}` must be a non-negative integer")
    return value


def _block_id(block: JSON, index: int) -> str:
    # Slack gives blocks without a block_id a generated one; the page and the payload must agree on it.
    return str(block.get("block_id") or f"blk{index}")


def _action_id(element: JSON, index: int) -> str:
    return str(element.get("action_id") or f"act{index}")


def _element_at(block: JSON, element_index: int | None) -> JSON:
    """The element acted on: an input's element, an `actions` block's `elements[element_index]`, or an accessory."""
    if block.get("type") == "input":
        candidate = block.get("element")
    elif element_index is None:
        candidate = block.get("accessory")
    else:
        elements = block.get("elements", [])
        candidate = elements[element_index] if element_index < len(elements) else None
    if not isinstance(candidate, dict) or candidate.get("type") not in _INTERACTIVE:
        raise BadInput("nothing to act on there")
    return candidate


def _options_of(element: JSON) -> list[JSON]:
    """An element's own options, those in option groups included."""
    options = [o for o in element.get("options", []) if isinstance(o, dict)]
    for group in element.get("option_groups", []):
        if isinstance(group, dict):
            options += [o for o in group.get("options", []) if isinstance(o, dict)]
    return options


def _external_option(given: object) -> JSON | None:
    """A choice from a menu whose options came from the bot: the page sends back the option it was offered."""
    if not isinstance(given, dict) or not isinstance(given.get("value"), str):
        return None
    text = given.get("text")
    return {
        "text": {"type": "plain_text", "text": text if isinstance(text, str) else given["value"], "emoji": True},
        "value": given["value"],
    }


def _chosen(element: JSON, given: object) -> JSON:
    """What Slack reports for `element` holding the page's value `given` (in `state.values` and in `actions`)."""
    kind = str(element.get("type", ""))
    if kind == "external_select":
        return {"selected_option": _external_option(given)}
    if kind in _SELECTS:
        return {"selected_option": next((o for o in _options_of(element) if o.get("value") == given), None)}
    if kind == "checkboxes":
        chosen = given if isinstance(given, list) else []
        return {"selected_options": [o for o in _options_of(element) if o.get("value") in chosen]}
    if kind == "button":
        return {}
    return {"value": given if isinstance(given, str) and given != "" else None}


def _state_values(view: JSON, given: object) -> JSON:
    """A modal's `state.values` from the page's entries, keyed by block index."""
    if not isinstance(given, dict):
        raise BadInput("`values` must map block indexes to values")
    state: JSON = {}
    for index, block in enumerate(view.get("blocks", [])):
        element = block.get("element")
        if block.get("type") == "input" and isinstance(element, dict):
            entry = {"type": element.get("type"), **_chosen(element, given.get(str(index)))}
            state[_block_id(block, index)] = {_action_id(element, index): entry}
    return state


class Emulator:
    def __init__(
        self,
        *,
        slack: SlackStandIn,
        events_url: str,
        signing_secret: str,
        team_id: str,
        channel_id: str,
        users: Sequence[SlackUser],
        welcome: Sequence[WelcomeStep] = (),
        on_reset: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if not users:
            raise ValueError("the emulator needs at least one user to act as")
        self._slack = slack
        self._events_url = events_url
        self._signing_secret = signing_secret
        self._team_id = team_id
        self._channel = slack.workspace.channel(channel_id)
        for user in users:
            slack.workspace.user(user.id)  # each must exist in the stand-in, or users.info would disagree
        self._users = {user.id: user for user in users}
        self._on_reset = on_reset
        self._page = _render_page(self._page_config(list(users), welcome))

    def _page_config(self, users: list[SlackUser], welcome: Sequence[WelcomeStep]) -> JSON:
        ws = self._slack.workspace
        return {
            "team": {"id": self._team_id, "name": ws.team_name, "domain": ws.team_domain},
            "channel": {"id": self._channel.id, "name": self._channel.name},
            "bot": {"id": ws.bot_user_id, "name": self._slack.bot_name},
            "users": [
                {
                    "id": u.id,
                    "name": u.name,
                    "real_name": u.real_name,
                    "is_admin": u.is_admin,
                    "dm": ws.direct_message_id(u.id),
                }
                for u in users
            ],
            "welcome": [{"text": step.text, "commands": list(step.commands)} for step in welcome],
            "can_reset": self._on_reset is not None,
        }

    def _conversation(self, user_id: str, channel_id: object) -> tuple[str, str]:
        """(id, name) of the conversation the page acts in: the channel, or the person's DM with the bot."""
        if channel_id in (None, self._channel.id):
            return self._channel.id, self._channel.name
        if channel_id == self._slack.workspace.direct_message_id(user_id):
            return self._slack.workspace.direct_message_with(user_id).id, "directmessage"
        raise BadInput("`channel_id` must be the channel or your direct messages with the bot")

    def _actor(self, body: JSON) -> Actor:
        user_id = _string(body, "user_id")
        user = self._users.get(user_id)
        if user is None:
            raise BadInput(f"unknown user {user_id!r}")
        channel_id, channel_name = self._conversation(user.id, body.get("channel_id"))
        ws = self._slack.workspace
        return Actor(
            user_id=user.id,
            user_name=user.name,
            channel_id=channel_id,
            channel_name=channel_name,
            team_id=self._team_id,
            team_domain=ws.team_domain,
            api_app_id=ws.api_app_id,
        )

    async def _deliver(self, signed: SignedRequest) -> Delivery:
        # One short-lived client per delivery: the emulator is a hand-driven page, not a hot path.
        try:
            async with httpx.AsyncClient(timeout=ACK_DEADLINE_SECONDS, verify=certifi_context()) as http:
                response = await http.post(self._events_url, content=signed.body, headers=signed.headers)
        except httpx.TimeoutException:
            return Delivery(None, "", "operation_timeout: the bot did not answer within 3 seconds")
        except httpx.HTTPError as error:
            return Delivery(None, "", f"dispatch_failed: cannot reach {self._events_url} ({type(error).__name__})")
        if response.status_code != 200:
            return Delivery(
                response.status_code,
                response.text,
                f"the bot answered HTTP {response.status_code}: {response.text[:500]}",
            )
        return Delivery(response.status_code, response.text, None)

    # -- routes --------------------------------------------------------------------------------------------
    async def page(self, _: Request) -> Response:
        return HTMLResponse(self._page)

    async def messages(self, request: Request) -> Response:
        user_id = request.query_params.get("user_id", "")
        if user_id not in self._users:
            raise BadInput("`user_id` must be one of the emulator's users")
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            raise BadInput("`since` must be an integer") from None
        ws = self._slack.workspace
        channels = {self._channel.id, ws.direct_message_id(user_id)}
        cursor, changed = ws.changes_since(since, channels=channels, viewer=user_id)
        modal = ws.top_view(user_id)
        home = ws.home(user_id)
        return JSONResponse(
            {
                "generation": ws.generation,
                "cursor": cursor,
                "messages": [message.to_view() for message in changed],
                "modal": modal.view if modal else None,
                "home": home.view if home else None,
            }
        )

    async def open_home(self, request: Request) -> Response:
        """The person opened the app's Home tab: Slack sends `app_home_opened` (with the Home it last showed them)."""
        actor = self._actor(await _json_object(request))
        shown = self._slack.workspace.home(actor.user_id)
        event = home_opened_event(user=actor.user_id, view=shown.view if shown else None)
        delivery = await self._deliver(
            event_callback(
                signing_secret=self._signing_secret, event=event, team_id=self._team_id, api_app_id=actor.api_app_id
            )
        )
        return JSONResponse(delivery.to_json())

    async def command(self, request: Request) -> Response:
        body = await _json_object(request)
        actor = self._actor(body)
        text = slack_escape(_text(body, "text").strip())
        ws = self._slack.workspace
        # Slack shows the asker what they typed; it stays private unless the reply goes to the channel.
        ws.post(
            channel=actor.channel_id,
            author=actor.user_id,
            text=f"/pscale {text}".strip(),
            blocks=None,
            source="command",
            visible_to=actor.user_id,
            as_bot=False,
            check_membership=False,
        )
        signed = slash_command(
            signing_secret=self._signing_secret,
            text=text,
            actor=actor,
            response_url=self._slack.new_response_url(channel=actor.channel_id, user=actor.user_id, team=self._team_id),
            trigger_id=self._slack.new_trigger_id(actor.user_id),
        )
        delivery = await self._deliver(signed)
        if delivery.error is None:
            self._show_command_ack(delivery, actor=actor)
        return JSONResponse(delivery.to_json())

    def _show_command_ack(self, delivery: Delivery, *, actor: Actor) -> None:
        """Slack shows a command's ack body as a reply: ephemeral unless it says `in_channel`."""
        if not delivery.body.strip():
            return
        reply = delivery.json_body() or {"text": delivery.body}
        in_channel = reply.get("response_type") == "in_channel"
        self._slack.workspace.post(
            channel=actor.channel_id,
            author=self._slack.bot_user_id,
            text=str(reply.get("text", "")),
            blocks=reply.get("blocks"),
            source="ack",
            visible_to=None if in_channel else actor.user_id,
            check_membership=False,
        )

    def _visible_message(self, actor: Actor, ts: str) -> StoredMessage:
        message = self._slack.workspace.message(actor.channel_id, ts, include_ephemeral=True)
        if message.visible_to not in (None, actor.user_id):
            raise SlackError("message_not_found")
        return message

    def _open_view(self, actor: Actor, view_id: str) -> OpenView:
        """The modal on top, or the person's Home tab: the views whose elements can be clicked."""
        home = self._slack.workspace.home(actor.user_id)
        if home is not None and home.id == view_id:
            return home
        top = self._slack.workspace.top_view(actor.user_id)
        if top is None or top.id != view_id:
            raise ModalGone
        return top

    def _message_blocks(self, message: StoredMessage, unfurl_url: object) -> list[JSON]:
        if not isinstance(unfurl_url, str):
            return message.blocks
        unfurl = message.unfurls.get(unfurl_url)
        if unfurl is None:
            raise BadInput("that message has no such unfurl")
        return list(unfurl.get("blocks", []))

    @staticmethod
    def _block(blocks: list[JSON], body: JSON) -> tuple[int, JSON]:
        index = _index(body, "block_index")
        if index is None or index >= len(blocks):
            raise BadInput("`block_index` does not point at a block there")
        return index, blocks[index]

    async def action(self, request: Request) -> Response:
        """A click or a choice: on a message (`message_ts`) or in the open modal (`view_id`)."""
        body = await _json_object(request)
        actor = self._actor(body)
        if isinstance(body.get("view_id"), str):
            return await self._view_action(body, actor)
        message = self._visible_message(actor, _string(body, "message_ts"))
        unfurl_url = body.get("unfurl_url")
        block_index, block = self._block(self._message_blocks(message, unfurl_url), body)
        element = _element_at(block, _index(body, "element_index"))
        action = self._action_entry(element, block_id=_block_id(block, block_index), given=body.get("value"))
        ephemeral = message.visible_to is not None
        payload = block_actions_payload(
            actions=[action],
            actor=actor,
            message_ts=message.ts,
            message=message.to_api(),
            is_ephemeral=ephemeral,
            response_url=self._slack.new_response_url(
                channel=actor.channel_id,
                user=actor.user_id,
                team=self._team_id,
                message_ts=message.ts,
                message_is_ephemeral=ephemeral,
            ),
            trigger_id=self._slack.new_trigger_id(actor.user_id),
        )
        if isinstance(unfurl_url, str):
            payload["container"] = {
                "type": "message_attachment",
                "message_ts": message.ts,
                "attachment_id": 1,
                "channel_id": actor.channel_id,
                "is_ephemeral": ephemeral,
                "is_app_unfurl": True,
                "app_unfurl_url": unfurl_url,
            }
        delivery = await self._deliver(interaction(payload, signing_secret=self._signing_secret))
        return JSONResponse(delivery.to_json())

    async def _view_action(self, body: JSON, actor: Actor) -> Response:
        top = self._open_view(actor, _string(body, "view_id"))
        block_index, block = self._block(list(top.view.get("blocks", [])), body)
        element = _element_at(block, _index(body, "element_index"))
        if block.get("type") == "input" and not block.get("dispatch_action"):
            raise BadInput("that input tells the app nothing until the form is submitted")
        action = self._action_entry(element, block_id=_block_id(block, block_index), given=body.get("value"))
        payload = view_block_actions_payload(
            actions=[action],
            view=top.view,
            state_values=_state_values(top.view, body.get("values", {})),
            actor=actor,
            trigger_id=self._slack.new_trigger_id(actor.user_id),
        )
        delivery = await self._deliver(interaction(payload, signing_secret=self._signing_secret))
        return JSONResponse(delivery.to_json())

    @staticmethod
    def _action_entry(element: JSON, *, block_id: str, given: object) -> JSON:
        if element.get("type") == "button":
            return button_action(element, block_id=block_id)
        return {
            "type": element.get("type"),
            "action_id": element.get("action_id", ""),
            "block_id": block_id,
            "action_ts": action_ts(),
            **_chosen(element, given),
        }

    async def options(self, request: Request) -> Response:
        """A menu whose options come from the bot was opened or typed in: ask the bot, as Slack does."""
        body = await _json_object(request)
        actor = self._actor(body)
        typed = _text(body, "value")
        if isinstance(body.get("view_id"), str):
            top = self._open_view(actor, body["view_id"])
            blocks = list(top.view.get("blocks", []))
            view, state, message = top.view, _state_values(top.view, body.get("values", {})), None
        else:
            found = self._visible_message(actor, _string(body, "message_ts"))
            blocks, view, state, message = found.blocks, None, None, found.to_api()
        block_index, block = self._block(blocks, body)
        element = _element_at(block, _index(body, "element_index"))
        if element.get("type") != "external_select":
            raise BadInput("only a menu of type external_select loads its options from the bot")
        payload = block_suggestion_payload(
            action_id=str(element.get("action_id", "")),
            block_id=_block_id(block, block_index),
            typed=typed,
            actor=actor,
            view=view,
            state_values=state,
            message=message,
        )
        delivery = await self._deliver(interaction(payload, signing_secret=self._signing_secret))
        if delivery.error is not None:
            return JSONResponse({"error": delivery.error, "options": []})
        answer = delivery.json_body() or {}
        return JSONResponse(
            {"options": answer.get("options") or [], "option_groups": answer.get("option_groups") or []}
        )

    async def view(self, request: Request) -> Response:
        body = await _json_object(request)
        actor = self._actor(body)
        view_id = _string(body, "view_id")
        top = self._open_view(actor, view_id)
        payload = view_submission_payload(
            view=top.view,
            state_values=_state_values(top.view, body.get("values", {})),
            actor=actor,
            trigger_id=self._slack.new_trigger_id(actor.user_id),
        )
        delivery = await self._deliver(interaction(payload, signing_secret=self._signing_secret))
        result = delivery.to_json()
        if delivery.error is None:
            result["errors"] = self._slack.workspace.answer_submission(
                user=actor.user_id, view_id=view_id, response=delivery.json_body() or {}
            )
        return JSONResponse(result)

    async def close_view(self, request: Request) -> Response:
        body = await _json_object(request)
        actor = self._actor(body)
        self._slack.workspace.close_top_view(actor.user_id)
        return JSONResponse({"closed": True})

    async def post(self, request: Request) -> Response:
        """A plain message from the user, maybe in a thread; links in it reach the bot as a `link_shared` event."""
        body = await _json_object(request)
        actor = self._actor(body)
        text = slack_escape(_string(body, "text").strip())
        thread_ts = body.get("thread_ts")
        message = self._slack.workspace.post(
            channel=actor.channel_id,
            author=actor.user_id,
            text=text,
            blocks=None,
            source="user",
            thread_ts=thread_ts if isinstance(thread_ts, str) else None,
            as_bot=False,
            check_membership=False,
        )
        links = [{"url": url, "domain": url.split("/")[2]} for url in dict.fromkeys(_URL.findall(text))]
        if not links:
            return JSONResponse({"status": None, "body": "", "error": None})
        event: JSON = {
            "type": "link_shared",
            "channel": actor.channel_id,
            "is_bot_user_member": True,
            "user": actor.user_id,
            "message_ts": message.ts,
            "unfurl_id": f"{actor.channel_id}.{message.ts}",
            "source": "conversations_history",
            "links": links,
            "event_ts": message.ts,
        }
        if message.thread_ts:
            event["thread_ts"] = message.thread_ts
        delivery = await self._deliver(
            event_callback(
                signing_secret=self._signing_secret, event=event, team_id=self._team_id, api_app_id=actor.api_app_id
            )
        )
        return JSONResponse(delivery.to_json())

    async def reset(self, _: Request) -> Response:
        if self._on_reset is None:
            raise BadInput("this emulator has nothing to reset")
        await self._on_reset()
        return JSONResponse({"reset": True, "generation": self._slack.workspace.generation})


Handler = Callable[[Request], Awaitable[Response]]


def _answering_plainly(handler: Handler) -> Handler:
    """Bad input → 400 with a sentence, a closed modal → 409, a Slack refusal → 404 with its code; never a
    traceback page."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except BadInput as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        except ModalGone:
            return JSONResponse({"error": "that modal is no longer open"}, status_code=409)
        except SlackError as error:
            return JSONResponse({"error": error.code}, status_code=404)

    return guarded


def _render_page(config: JSON) -> str:
    folder = resources.files("bot.sandbox.emulator")
    html = (folder / "emulator.html").read_text(encoding="utf-8")
    # `<` escaped so no string in the config can close the <script> element it sits in.
    config_json = json.dumps(config).replace("<", "\\u003c")
    return (
        html.replace("/*STYLE*/", (folder / "emulator.css").read_text(encoding="utf-8"))
        .replace("/*SCRIPT*/", (folder / "emulator.js").read_text(encoding="utf-8"))
        .replace("/*CONFIG*/", config_json)
    )


def create_emulator_routes(
    *,
    slack: SlackStandIn,
    events_url: str,
    signing_secret: str,
    team_id: str,
    channel_id: str,
    users: Sequence[SlackUser],
    welcome: Sequence[WelcomeStep] = (),
    on_reset: Callable[[], Awaitable[None]] | None = None,
) -> list[Route]:
    """Routes for a Slack-like page at `/` that drives the bot at `events_url` as `users` in `channel_id`.

    `welcome` is what the page suggests to a new visitor; `on_reset`, if given, is what its Reset button does."""
    emulator = Emulator(
        slack=slack,
        events_url=events_url,
        signing_secret=signing_secret,
        team_id=team_id,
        channel_id=channel_id,
        users=users,
        welcome=welcome,
        on_reset=on_reset,
    )
    return [
        Route("/", _answering_plainly(emulator.page), methods=["GET"]),
        Route("/sandbox/messages", _answering_plainly(emulator.messages), methods=["GET"]),
        Route("/sandbox/command", _answering_plainly(emulator.command), methods=["POST"]),
        Route("/sandbox/action", _answering_plainly(emulator.action), methods=["POST"]),
        Route("/sandbox/options", _answering_plainly(emulator.options), methods=["POST"]),
        Route("/sandbox/view", _answering_plainly(emulator.view), methods=["POST"]),
        Route("/sandbox/view/close", _answering_plainly(emulator.close_view), methods=["POST"]),
        Route("/sandbox/home", _answering_plainly(emulator.open_home), methods=["POST"]),
        Route("/sandbox/post", _answering_plainly(emulator.post), methods=["POST"]),
        Route("/sandbox/reset", _answering_plainly(emulator.reset), methods=["POST"]),
    ]
