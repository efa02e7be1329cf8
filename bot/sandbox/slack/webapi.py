"""The Web API methods the bot calls, answered from the stand-in's `Workspace` with Slack's shapes and errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.slack.limits import check_blocks
from bot.sandbox.slack.scopes import CHAT_WRITE_PUBLIC, USERS_READ_EMAIL, ChannelKind
from bot.sandbox.slack.workspace import JSON, SlackError, Workspace

# Arrays and objects that form-encoded calls carry as JSON strings (slack_sdk sends both kinds of body).
_JSON_ARGUMENTS = ("blocks", "attachments", "view", "unfurls", "metadata")


@dataclass
class Call:
    """A call being answered: its arguments, the scopes its token holds, and the scopes the answer relied on."""

    args: JSON
    held: frozenset[str]
    used: list[str] = field(default_factory=list)

    def relies_on(self, scope: str) -> None:
        if scope not in self.used:
            self.used.append(scope)


Method = Callable[[Call], Awaitable[JSON]]


@dataclass(frozen=True)
class ApiCall:
    """One Web API call as the stand-in saw it (arguments decoded, token left out), what it answered, and which of
    the token's scopes that answer relied on (what the manifest must ask for)."""

    method: str
    args: JSON
    status: int
    response: JSON
    scopes_used: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else str(self.response.get("error"))


def decode_arguments(raw: dict[str, Any]) -> JSON:
    args = {key: value for key, value in raw.items() if key != "token"}
    for name in _JSON_ARGUMENTS:
        value = args.get(name)
        if isinstance(value, str):
            try:
                args[name] = json.loads(value)
            except json.JSONDecodeError:
                raise SlackError(f"invalid_{name}") from None
    return args


def _required(args: JSON, name: str) -> str:
    value = args.get(name)
    if value in (None, ""):
        raise SlackError("channel_not_found" if name == "channel" else "invalid_arguments")
    return str(value)


def _text(args: JSON) -> str:
    return str(args.get("text") or "")


class WebApi:
    def __init__(self, workspace: Workspace, *, bot_name: str, connections_url: Callable[[], str]) -> None:
        self._workspace = workspace
        self._bot_name = bot_name
        self._connections_url = connections_url
        self.bot_methods: dict[str, Method] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "chat.unfurl": self.chat_unfurl,
            "views.open": self.views_open,
            "views.update": self.views_update,
            "views.push": self.views_push,
            "views.publish": self.views_publish,
            "users.info": self.users_info,
            "conversations.info": self.conversations_info,
        }
        self.app_methods: dict[str, Method] = {"apps.connections.open": self.apps_connections_open}

    async def auth_test(self, _: Call) -> JSON:
        ws = self._workspace
        return {
            "url": f"https://{ws.team_domain}.slack.com/",
            "team": ws.team_name,
            "user": self._bot_name,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    async def chat_post_message(self, call: Call) -> JSON:
        args = call.args
        channel = _required(args, "channel")
        thread_ts = args.get("thread_ts")
        message = self._workspace.post(
            channel=channel,
            author=self._workspace.bot_user_id,
            text=_text(args),
            blocks=args.get("blocks"),
            source="chat.postMessage",
            thread_ts=str(thread_ts) if thread_ts else None,
            metadata=args.get("metadata"),
            public_ok=CHAT_WRITE_PUBLIC in call.held,
        )
        target = self._workspace.channel(message.channel)
        if target.kind is ChannelKind.PUBLIC and not target.bot_is_member:
            call.relies_on(CHAT_WRITE_PUBLIC)
        return {"channel": message.channel, "ts": message.ts, "message": message.to_api()}

    async def chat_update(self, call: Call) -> JSON:
        args = call.args
        channel = _required(args, "channel")
        message = self._workspace.own_message(channel, _required(args, "ts"), refusal="cant_update_message")
        self._workspace.replace(message, text=_text(args), blocks=args.get("blocks"))
        return {"channel": channel, "ts": message.ts, "text": message.text, "message": message.to_api()}

    async def chat_post_ephemeral(self, call: Call) -> JSON:
        # Needs the bot in the conversation even in a public channel: chat:write.public does not stretch to
        # ephemeral messages (https://github.com/slackapi/node-slack-sdk/issues/977).
        args = call.args
        channel = _required(args, "channel")
        thread_ts = args.get("thread_ts")
        message = self._workspace.post(
            channel=channel,
            author=self._workspace.bot_user_id,
            text=_text(args),
            blocks=args.get("blocks"),
            source="chat.postEphemeral",
            thread_ts=str(thread_ts) if thread_ts else None,
            visible_to=_required(args, "user"),
        )
        return {"message_ts": message.ts}

    async def chat_delete(self, call: Call) -> JSON:
        channel = _required(call.args, "channel")
        message = self._workspace.own_message(channel, _required(call.args, "ts"), refusal="cant_delete_message")
        self._workspace.delete(message)
        return {"channel": channel, "ts": message.ts}

    async def chat_unfurl(self, call: Call) -> JSON:
        unfurls = call.args.get("unfurls")
        if not isinstance(unfurls, dict) or not unfurls:
            raise SlackError("missing_unfurls")
        for url, unfurl in unfurls.items():
            if not isinstance(unfurl, dict):
                raise SlackError("invalid_unfurls_format")
            if "blocks" in unfurl:
                check_blocks(unfurl["blocks"], pointer=f"/unfurls/{url}/blocks")
        # chat.unfurl names its targets' failures its own way (https://api.slack.com/methods/chat.unfurl#errors):
        # a channel the token cannot see, a ts that matches no message, a URL that is not in the message.
        channel, ts = call.args.get("channel"), call.args.get("ts")
        if not channel:
            raise SlackError("missing_channel")
        if not ts:
            raise SlackError("missing_ts")
        if self._workspace.visible_channel(channel) is None:
            raise SlackError("cannot_find_channel")
        try:
            message = self._workspace.message(str(channel), str(ts))
        except SlackError:
            raise SlackError("cannot_find_message") from None
        if any(url not in message.text for url in unfurls):
            raise SlackError("cannot_unfurl_message")
        self._workspace.set_unfurls(message, unfurls)
        return {}

    async def views_open(self, call: Call) -> JSON:
        opened = self._workspace.open_view(trigger_id=call.args.get("trigger_id"), view=call.args.get("view"))
        return {"view": opened.view}

    async def views_push(self, call: Call) -> JSON:
        pushed = self._workspace.push_view(trigger_id=call.args.get("trigger_id"), view=call.args.get("view"))
        return {"view": pushed.view}

    async def views_update(self, call: Call) -> JSON:
        args = call.args
        updated = self._workspace.update_view(
            view_id=args.get("view_id"),
            external_id=args.get("external_id"),
            view_hash=args.get("hash"),
            view=args.get("view"),
        )
        return {"view": updated.view}

    async def views_publish(self, call: Call) -> JSON:
        args = call.args
        published = self._workspace.publish_home(
            user_id=args.get("user_id"), view=args.get("view"), view_hash=args.get("hash")
        )
        return {"view": published.view}

    async def users_info(self, call: Call) -> JSON:
        # The email comes only with `users:read.email`, and only an answer that holds one relied on that scope.
        user = self._workspace.user(_required(call.args, "user"))
        api = user.to_api(
            team_id=self._workspace.team_id, now=self._workspace.clock(), with_email=USERS_READ_EMAIL in call.held
        )
        if "email" in api["profile"]:
            call.relies_on(USERS_READ_EMAIL)
        return {"user": api}

    async def conversations_info(self, call: Call) -> JSON:
        return {"channel": self._workspace.channel_info(_required(call.args, "channel"))}

    async def apps_connections_open(self, _: Call) -> JSON:
        return {"url": self._connections_url()}
