"""The question a destructive command asks before it runs, with buttons only the asker can use."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from bot.render.message import Message
from bot.render.mrkdwn import escape

CONFIRM_ACTION = "cmd_confirm"
CANCEL_ACTION = "cmd_cancel"


def confirmation_prompt(*, command_text: str, summary: str, pending_id: str, minutes: int) -> Message:
    question = f":warning: {summary} This can't be undone."
    shown = escape(command_text)
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"{question}\n`/pscale {shown}`")),
        ActionsBlock(
            block_id="confirm_command",
            elements=[
                ButtonElement(text="Yes, do it", action_id=CONFIRM_ACTION, value=pending_id, style="danger"),
                ButtonElement(text="Cancel", action_id=CANCEL_ACTION, value=pending_id),
            ],
        ),
        ContextBlock(elements=[MarkdownTextObject(text=f"Only you can answer this; it expires in {minutes} minutes.")]),
    ]
    return Message(text=f"{question} /pscale {command_text}", blocks=tuple(block.to_dict() for block in blocks))


def cancelled(command_text: str) -> Message:
    return Message(text=f":ok_hand: Cancelled `/pscale {escape(command_text)}`. Nothing was changed.")


def not_yours() -> Message:
    return Message(text=":raised_hand: Only the person who asked can answer this confirmation.")


def expired() -> Message:
    return Message(
        text=":hourglass: This confirmation has expired or was already answered. Run the command again if you still "
        "want it."
    )
