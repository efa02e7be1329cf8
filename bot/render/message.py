"""The one shape every reply takes on its way back to Slack.

Renderers build `Message`s; the transport (bot/slack) decides whether a message travels as the ack's body,
through `response_url`, or through the Web API. Keeping that decision out of the renderers is what lets them
stay pure and testable without Slack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

Visibility = Literal["ephemeral", "in_channel"]


@dataclass(frozen=True)
class Message:
    """A Slack message: fallback text (notifications, screen readers) plus optional Block Kit blocks."""

    text: str
    blocks: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    visibility: Visibility = "ephemeral"

    def to_response(self) -> dict[str, Any]:
        """The body for an ack or a `response_url` POST."""
        body: dict[str, Any] = {"response_type": self.visibility, "text": self.text}
        if self.blocks:
            body["blocks"] = list(self.blocks)
        return body

    @cached_property
    def response_json(self) -> str:
        """`to_response()` as JSON, encoded once per message: a reply drawn once (help) is sent as drawn."""
        return json.dumps(self.to_response())

    def to_post(self, channel: str) -> dict[str, Any]:
        """The arguments of `chat.postMessage` for this message."""
        body: dict[str, Any] = {"channel": channel, "text": self.text}
        if self.blocks:
            body["blocks"] = list(self.blocks)
        return body
