"""What account linking needs from Slack, as a port the transport implements (bot/linking never imports Slack)."""

from __future__ import annotations

from typing import Protocol

from bot.render.message import Message


class UserNotifier(Protocol):
    async def notify_user(self, *, team_id: str, user_id: str, message: Message) -> None:
        """Tell one Slack user something privately (a DM from the bot: `chat.postMessage` to the user id)."""
        ...
