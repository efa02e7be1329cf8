"""A tiny stand-in for the bot's `/slack/events`, for testing the emulator: it checks every signature with
slack_sdk's `SignatureVerifier`, records what arrived, and answers the way a bolt app would."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.slack import Recorder, SlackStandIn

SIGNING_SECRET = "emulator-test-signing-secret"

HELP_BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*pscale help* — try `branch list`\n_second line_"}},
    {"type": "actions", "block_id": "help_actions", "elements": [
        {"type": "button", "action_id": "dr_approve", "value": "approve:42", "style": "primary",
         "text": {"type": "plain_text", "text": "Approve"},
         "confirm": {"title": {"type": "plain_text", "text": "Approve #42?"},
                     "text": {"type": "mrkdwn", "text": "Approve *#42*?"},
                     "confirm": {"type": "plain_text", "text": "Approve"},
                     "deny": {"type": "plain_text", "text": "Not now"}}},
        {"type": "button", "action_id": "dr_close", "value": "close:42", "style": "danger",
         "text": {"type": "plain_text", "text": "Close"}},
    ]},
]
MODAL = {
    "type": "modal", "callback_id": "branch_create", "title": {"type": "plain_text", "text": "New branch"},
    "submit": {"type": "plain_text", "text": "Create"},
    "blocks": [
        {"type": "input", "block_id": "name", "label": {"type": "plain_text", "text": "Branch name"},
         "element": {"type": "plain_text_input", "action_id": "value"}},
        {"type": "input", "block_id": "parent", "label": {"type": "plain_text", "text": "From"},
         "element": {"type": "static_select", "action_id": "value", "options": [
             {"text": {"type": "plain_text", "text": "main"}, "value": "main"},
             {"text": {"type": "plain_text", "text": "dev"}, "value": "dev"}]}},
    ],
}

# A form like the bot's create forms: a database menu that tells the app at once, options loaded from the app,
# radio buttons and checkboxes.
PICKER_MODAL = {
    "type": "modal", "callback_id": "picker", "title": {"type": "plain_text", "text": "Pick"},
    "submit": {"type": "plain_text", "text": "Go"},
    "blocks": [
        {"type": "input", "block_id": "database", "dispatch_action": True,
         "label": {"type": "plain_text", "text": "Database"},
         "element": {"type": "external_select", "action_id": "pick_database", "min_query_length": 0}},
        {"type": "input", "block_id": "when", "label": {"type": "plain_text", "text": "When"},
         "element": {"type": "radio_buttons", "action_id": "when", "options": [
             {"text": {"type": "plain_text", "text": "Now"}, "value": "now"},
             {"text": {"type": "plain_text", "text": "Later"}, "value": "later"}],
             "initial_option": {"text": {"type": "plain_text", "text": "Now"}, "value": "now"}}},
        {"type": "input", "block_id": "extras", "optional": True, "label": {"type": "plain_text", "text": "Extras"},
         "element": {"type": "checkboxes", "action_id": "extras", "options": [
             {"text": {"type": "plain_text", "text": "Notify"}, "value": "notify"},
             {"text": {"type": "plain_text", "text": "Dry run"}, "value": "dry-run"}]}},
    ],
}
DATABASES = ["analytics", "shop"]


@dataclass
class FakeBot:
    standin: SlackStandIn
    received: Recorder[dict[str, Any]] = field(default_factory=lambda: Recorder("request at the fake bot"))
    rejected: int = 0

    async def events(self, request: Request) -> Response:
        body = await request.body()
        if not SignatureVerifier(SIGNING_SECRET).is_valid_request(body, dict(request.headers)):
            self.rejected += 1
            return JSONResponse({"error": "invalid request"}, status_code=401)
        if request.headers["content-type"].startswith("application/json"):
            event = json.loads(body)
            self.received.append(event)
            return Response(status_code=200)
        form = dict(parse_qsl(body.decode()))
        if "command" in form:
            self.received.append(form)
            return await self.command(form)
        payload = json.loads(form["payload"])
        self.received.append(payload)
        if payload["type"] == "block_suggestion":
            typed = payload["value"]
            return JSONResponse({"options": [
                {"text": {"type": "plain_text", "text": f"The {name} database"}, "value": name}
                for name in DATABASES if typed in name
            ]})
        if payload["type"] == "block_actions" and payload["container"]["type"] == "view":
            return Response(status_code=200)
        if payload["type"] == "block_actions":
            reply = {"text": f"Approved by <@{payload['user']['id']}>", "replace_original": False,
                     "response_type": "ephemeral"}
            return Response(status_code=200, background=BackgroundTask(self.respond, payload["response_url"], reply))
        values = payload["view"]["state"]["values"]
        if not values["name"]["value"]["value"]:
            return JSONResponse({"response_action": "errors", "errors": {"name": "A branch needs a name"}})
        return Response(status_code=200)

    async def command(self, form: dict[str, str]) -> Response:
        web = AsyncWebClient(token=self.standin.bot_token, base_url=self.standin.api_url)
        if form["text"] in ("branch create", "pick"):
            await web.views_open(trigger_id=form["trigger_id"], view=MODAL if form["text"] == "branch create"
                                 else PICKER_MODAL)
            return Response(status_code=200)
        if form["text"] == "dm me":
            # As the bot says "Linked as …": a message to the person's id lands in their DM with the app.
            await web.chat_postMessage(channel=form["user_id"], text=f"Hello <@{form['user_id']}>")
            return Response(status_code=200)
        if form["text"] == "fail":
            return Response("boom", status_code=500)
        return JSONResponse({"response_type": "ephemeral", "text": "pscale help", "blocks": HELP_BLOCKS})

    @staticmethod
    async def respond(url: str, reply: dict[str, Any]) -> None:
        async with httpx.AsyncClient() as http:
            await http.post(url, json=reply)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/slack/events", self.events, methods=["POST"])])
