"""`response_url`s as Slack hands them out: unguessable, at most 5 uses within 30 minutes, applied to the channel.

A URL from a message interaction (a button click) remembers that message: like Slack, a POST that does not say
`"replace_original": false` replaces it, so a bot that forgets the flag is caught here rather than in production.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack.workspace import JSON, SlackError, StoredMessage, Workspace

MAX_USES = 5
LIFETIME_SECONDS = 30 * 60


@dataclass
class _Issued:
    channel: str
    user: str
    team: str
    issued_at: float
    source_ts: str | None
    source_ephemeral: bool
    uses: int = 0


@dataclass(frozen=True)
class ResponseUrlPost:
    """One POST to a response_url as received; `message_ts` is the message it created or changed."""

    url: str
    body: JSON | None
    status: int
    error: str | None
    channel: str | None
    user: str | None
    message_ts: str | None
    # time.perf_counter() when the POST arrived, before the stand-in read and checked it: when the reply reached
    # Slack, for bench/reply_latency.py.
    received_at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Outcome:
    status: int
    error: str | None = None
    message_ts: str | None = None


def _flag(body: JSON, name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower() in {"true", "1"}
    return bool(value)


class ResponseUrls:
    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._issued: dict[str, _Issued] = {}

    def issue(
        self, *, channel: str, user: str, team: str, message_ts: str | None = None, message_is_ephemeral: bool = False
    ) -> str:
        """A new secret path component; the caller prefixes its own base URL."""
        key = secrets.token_urlsafe(24)
        with self._workspace.lock:
            self._issued[key] = _Issued(
                channel=channel,
                user=user,
                team=team,
                issued_at=self._workspace.clock(),
                source_ts=message_ts,
                source_ephemeral=message_is_ephemeral,
            )
        return key

    def where(self, key: str) -> tuple[str, str] | None:
        """(channel, user) of an issued URL, for the record."""
        with self._workspace.lock:
            issued = self._issued.get(key)
        return (issued.channel, issued.user) if issued else None

    def apply(self, key: str, raw_body: bytes) -> tuple[Outcome, JSON | None]:
        body = _parse(raw_body)
        with self._workspace.lock:
            issued = self._issued.get(key)
            if issued is None:
                return Outcome(404, "invalid_url"), body
            if self._workspace.clock() - issued.issued_at > LIFETIME_SECONDS:
                return Outcome(404, "expired_url"), body
            if issued.uses >= MAX_USES:
                return Outcome(404, "used_url"), body
            issued.uses += 1
            if body is None:
                return Outcome(400, "invalid_payload"), body
            try:
                return self._apply(issued, body), body
            except SlackError as error:
                return Outcome(400, error.code), body

    def _source(self, issued: _Issued) -> StoredMessage:
        if issued.source_ts is None:
            raise SlackError("message_not_found")
        return self._workspace.message(issued.channel, issued.source_ts, include_ephemeral=True)

    def _apply(self, issued: _Issued, body: JSON) -> Outcome:
        if _flag(body, "delete_original"):
            source = self._source(issued)
            self._workspace.delete(source)
            return Outcome(200, message_ts=source.ts)
        replace = _flag(body, "replace_original")
        if replace or (replace is None and issued.source_ts is not None):
            source = self._source(issued)
            self._workspace.replace(source, text=str(body.get("text", "")), blocks=body.get("blocks"))
            return Outcome(200, message_ts=source.ts)
        in_channel = body.get("response_type") == "in_channel"
        thread_ts = body.get("thread_ts")
        # response_url works where the bot is not a member (private channels, DMs): that is its point.
        message = self._workspace.post(
            channel=issued.channel,
            author=self._workspace.bot_user_id,
            text=str(body.get("text", "")),
            blocks=body.get("blocks"),
            source="response_url",
            thread_ts=str(thread_ts) if thread_ts else None,
            visible_to=None if in_channel else issued.user,
            check_membership=False,
        )
        return Outcome(200, message_ts=message.ts)


def _parse(raw_body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None
