"""The emulator page's server side: it plays Slack's client and Slack's delivery to the bot.

The page asks for `/pscale …`, a click or a modal submission; this module builds the request Slack would send
(signed, with a fresh `response_url` and `trigger_id` from the stand-in), POSTs it over real HTTP to the bot's
`events_url`, and turns the ack into what Slack would show. Everything the bot posts afterwards reaches the page
through the stand-in, which the page polls.
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

from bot.sandbox.slack import SlackError, SlackStandIn, SlackUser, StoredMessage
from bot.sandbox.slack.payloads import (
    Actor,
    SignedRequest,
    action_ts,
    block_actions_payload,
    button_action,
    event_callback,
    interaction,
    slash_command,
    view_submission_payload,
)

JSON = dict[str, Any]
# Slack gives the bot 3 s to acknowledge; so does the emulator, and says so like Slack does.
ACK_DEADLINE_SECONDS = 3.0
_URL = re.compile(r"https?://[^\s<>|]+")


class BadInput(Exception):
    """The page sent something unusable; answered with 400 and this message."""


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


def _interactive_element(block: JSON, element_index: int | None) -> JSON:
    """The clicked element: an `actions` block's `elements[element_index]`, or a section's accessory."""
    if element_index is None:
        candidate = block.get("accessory")
    else:
        elements = block.get("elements", [])
        candidate = elements[element_index] if element_index < len(elements) else None
    if not isinstance(candidate, dict) or candidate.get("type") not in {"button", "static_select"}:
        raise BadInput("no button or select there")
    return candidate


def _element_value(element: JSON, given: object) -> JSON:
    """`state.values` entry for one input element, as Slack reports it on submission."""
    kind = str(element.get("type", ""))
    if kind == "static_select":
        options = [o for o in element.get("options", []) if isinstance(o, dict)]
        chosen = next((o for o in options if o.get("value") == given), None)
        return {"type": kind, "selected_option": chosen}
    return {"type": kind, "value": given if isinstance(given, str) and given != "" else None}


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
        self._page = _render_page(self._page_config(list(users)))

    def _page_config(self, users: list[SlackUser]) -> JSON:
        ws = self._slack.workspace
        return {
            "team": {"id": self._team_id, "name": ws.team_name, "domain": ws.team_domain},
            "channel": {"id": self._channel.id, "name": self._channel.name},
            "bot": {"id": ws.bot_user_id, "name": self._slack.bot_name},
            "users": [{"id": u.id, "name": u.name, "real_name": u.real_name, "is_admin": u.is_admin} for u in users],
        }

    def _actor(self, user_id: str) -> Actor:
        user = self._users.get(user_id)
        if user is None:
            raise BadInput(f"unknown user {user_id!r}")
        ws = self._slack.workspace
        return Actor(
            user_id=user.id,
            user_name=user.name,
            channel_id=self._channel.id,
            channel_name=self._channel.name,
            team_id=self._team_id,
            team_domain=ws.team_domain,
            api_app_id=ws.api_app_id,
        )

    async def _deliver(self, signed: SignedRequest) -> Delivery:
        # One short-lived client per delivery: the emulator is a hand-driven page, not a hot path.
        try:
            async with httpx.AsyncClient(timeout=ACK_DEADLINE_SECONDS) as http:
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
        cursor, changed = self._slack.workspace.changes_since(since, channel=self._channel.id, viewer=user_id)
        modal = self._slack.workspace.top_view(user_id)
        return JSONResponse(
            {
                "cursor": cursor,
                "messages": [message.to_view() for message in changed],
                "modal": modal.view if modal else None,
            }
        )

    async def command(self, request: Request) -> Response:
        body = await _json_object(request)
        actor = self._actor(_string(body, "user_id"))
        raw_text = body.get("text", "")
        if not isinstance(raw_text, str):
            raise BadInput("`text` must be a string")
        text = slack_escape(raw_text.strip())
        ws = self._slack.workspace
        # Slack shows the asker what they typed; it stays private unless the reply goes to the channel.
        ws.post(
            channel=self._channel.id,
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
            response_url=self._slack.new_response_url(channel=self._channel.id, user=actor.user_id, team=self._team_id),
            trigger_id=self._slack.new_trigger_id(actor.user_id),
        )
        delivery = await self._deliver(signed)
        if delivery.error is None:
            self._show_command_ack(delivery, user_id=actor.user_id)
        return JSONResponse(delivery.to_json())

    def _show_command_ack(self, delivery: Delivery, *, user_id: str) -> None:
        """Slack shows a command's ack body as a reply: ephemeral unless it says `in_channel`."""
        if not delivery.body.strip():
            return
        reply = delivery.json_body() or {"text": delivery.body}
        in_channel = reply.get("response_type") == "in_channel"
        self._slack.workspace.post(
            channel=self._channel.id,
            author=self._slack.bot_user_id,
            text=str(reply.get("text", "")),
            blocks=reply.get("blocks"),
            source="ack",
            visible_to=None if in_channel else user_id,
            check_membership=False,
        )

    def _visible_message(self, user_id: str, ts: str) -> StoredMessage:
        message = self._slack.workspace.message(self._channel.id, ts, include_ephemeral=True)
        if message.visible_to not in (None, user_id):
            raise SlackError("message_not_found")
        return message

    async def action(self, request: Request) -> Response:
        body = await _json_object(request)
        actor = self._actor(_string(body, "user_id"))
        message = self._visible_message(actor.user_id, _string(body, "message_ts"))
        unfurl_url = body.get("unfurl_url")
        blocks = message.blocks
        if isinstance(unfurl_url, str):
            unfurl = message.unfurls.get(unfurl_url)
            if unfurl is None:
                raise BadInput("that message has no such unfurl")
            blocks = list(unfurl.get("blocks", []))
        block_index = _index(body, "block_index")
        if block_index is None or block_index >= len(blocks):
            raise BadInput("`block_index` does not point at a block of that message")
        block = blocks[block_index]
        element = _interactive_element(block, _index(body, "element_index"))
        block_id = _block_id(block, block_index)
        if element.get("type") == "static_select":
            action: JSON = {
                "type": "static_select",
                "action_id": element.get("action_id", ""),
                "block_id": block_id,
                "action_ts": action_ts(),
                "selected_option": _element_value(element, body.get("value"))["selected_option"],
            }
        else:
            action = button_action(element, block_id=block_id)
        ephemeral = message.visible_to is not None
        payload = block_actions_payload(
            actions=[action],
            actor=actor,
            message_ts=message.ts,
            message=message.to_api(),
            is_ephemeral=ephemeral,
            response_url=self._slack.new_response_url(
                channel=self._channel.id,
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
                "channel_id": self._channel.id,
                "is_ephemeral": ephemeral,
                "is_app_unfurl": True,
                "app_unfurl_url": unfurl_url,
            }
        delivery = await self._deliver(interaction(payload, signing_secret=self._signing_secret))
        return JSONResponse(delivery.to_json())

    async def view(self, request: Request) -> Response:
        body = await _json_object(request)
        actor = self._actor(_string(body, "user_id"))
        view_id = _string(body, "view_id")
        top = self._slack.workspace.top_view(actor.user_id)
        if top is None or top.id != view_id:
            return JSONResponse({"error": "that modal is no longer open"}, status_code=409)
        given = body.get("values", {})
        if not isinstance(given, dict):
            raise BadInput("`values` must map block indexes to values")
        state: JSON = {}
        for index, block in enumerate(top.view.get("blocks", [])):
            element = block.get("element")
            if block.get("type") == "input" and isinstance(element, dict):
                state[_block_id(block, index)] = {
                    str(element.get("action_id") or f"act{index}"): _element_value(element, given.get(str(index)))
                }
        payload = view_submission_payload(
            view=top.view, state_values=state, actor=actor, trigger_id=self._slack.new_trigger_id(actor.user_id)
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
        actor = self._actor(_string(body, "user_id"))
        self._slack.workspace.close_top_view(actor.user_id)
        return JSONResponse({"closed": True})

    async def post(self, request: Request) -> Response:
        """A plain message from the user; links in it reach the bot as a `link_shared` event (unfurls)."""
        body = await _json_object(request)
        actor = self._actor(_string(body, "user_id"))
        text = slack_escape(_string(body, "text").strip())
        message = self._slack.workspace.post(
            channel=self._channel.id,
            author=actor.user_id,
            text=text,
            blocks=None,
            source="user",
            as_bot=False,
            check_membership=False,
        )
        links = [{"url": url, "domain": url.split("/")[2]} for url in dict.fromkeys(_URL.findall(text))]
        if not links:
            return JSONResponse({"status": None, "body": "", "error": None})
        event = {
            "type": "link_shared",
            "channel": self._channel.id,
            "is_bot_user_member": True,
            "user": actor.user_id,
            "message_ts": message.ts,
            "unfurl_id": f"{self._channel.id}.{message.ts}",
            "source": "conversations_history",
            "links": links,
            "event_ts": message.ts,
        }
        delivery = await self._deliver(
            event_callback(
                signing_secret=self._signing_secret, event=event, team_id=self._team_id, api_app_id=actor.api_app_id
            )
        )
        return JSONResponse(delivery.to_json())


Handler = Callable[[Request], Awaitable[Response]]


def _answering_plainly(handler: Handler) -> Handler:
    """Bad input → 400 with a sentence, a Slack refusal → 404 with its code; never a traceback page."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except BadInput as error:
            return JSONResponse({"error": str(error)}, status_code=400)
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
) -> list[Route]:
    """Routes for a Slack-like page at `/` that drives the bot at `events_url` as `users` in `channel_id`."""
    emulator = Emulator(
        slack=slack,
        events_url=events_url,
        signing_secret=signing_secret,
        team_id=team_id,
        channel_id=channel_id,
        users=users,
    )
    return [
        Route("/", _answering_plainly(emulator.page), methods=["GET"]),
        Route("/sandbox/messages", _answering_plainly(emulator.messages), methods=["GET"]),
        Route("/sandbox/command", _answering_plainly(emulator.command), methods=["POST"]),
        Route("/sandbox/action", _answering_plainly(emulator.action), methods=["POST"]),
        Route("/sandbox/view", _answering_plainly(emulator.view), methods=["POST"]),
        Route("/sandbox/view/close", _answering_plainly(emulator.close_view), methods=["POST"]),
        Route("/sandbox/post", _answering_plainly(emulator.post), methods=["POST"]),
    ]
