"""The live deploy-request card, its diff modal and the short notes around it: pure functions of view models.

The card shows only the buttons valid in the deploy request's current state (bot/cards/states.py). Every button's
`value` is `CARD_ID.VERSION`: the version is what makes a double click, or a click on a card that has moved on,
recognisable (docs/architecture.md, "Exactly once").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.cards.states import (
    BEFORE_CUTOVER,
    OPEN_IN_PLANETSCALE,
    PAST_TENSE,
    CardAction,
    awaits_review,
    state_label,
    valid_actions,
)
from bot.render.help import escape
from bot.render.message import Message
from bot.render.resources import SECTION_LIMIT, OperationView, diff, slack_ago, slack_date

DDL_ON_CARD = 400  # characters of each operation's DDL on the card; the diff modal has all of it
OPERATIONS_ON_CARD = 5
NOTES_ON_CARD = 600

_BUTTON_TEXT: dict[CardAction, str] = {
    CardAction.APPROVE: "Approve",
    CardAction.DEPLOY: "Deploy",
    CardAction.APPLY: "Apply changes",
    CardAction.CANCEL: "Cancel deploy",
    CardAction.CLOSE: "Close",
    CardAction.REVERT: "Revert",
    CardAction.SKIP_REVERT: "Skip revert",
    CardAction.UNBLOCK: "Unblock queue",
    CardAction.DIFF: "Show diff",
    CardAction.REFRESH: "Refresh",
}
_PRIMARY = frozenset({CardAction.APPROVE, CardAction.DEPLOY, CardAction.APPLY})
_DANGER = frozenset({CardAction.REVERT, CardAction.CLOSE, CardAction.CANCEL})

# Slack's own confirm dialog before acting. docs/interface.md §5 asks it of deploy, apply and revert; cancel, close and
# skip-revert give up something that cannot be had back, so they ask too.
_CONFIRM: dict[CardAction, tuple[str, str, str]] = {
    CardAction.DEPLOY: ("Deploy?", "Add {target} to the deploy queue? Its schema changes go to `{into}`.", "Deploy"),
    CardAction.APPLY: ("Apply changes?", "Cut over {target} now? Its changes go live on `{into}`.", "Apply"),
    CardAction.REVERT: ("Revert?", "Revert the schema changes of {target} on `{into}`?", "Revert"),
    CardAction.CANCEL: ("Cancel the deploy?", "Stop deploying {target}? It can be deployed again later.", "Stop it"),
    CardAction.CLOSE: ("Close?", "Close {target} without deploying it?", "Close it"),
    CardAction.SKIP_REVERT: (
        "Skip the revert window?",
        "Keep the changes of {target} for good? It can no longer be reverted afterwards.",
        "Skip it",
    ),
}


@dataclass(frozen=True)
class CardOperation:
    table: str | None
    operation: str | None
    ddl: str | None


@dataclass(frozen=True)
class CardView:
    """Everything the card shows. `stale` says why it can no longer be kept current (no grant left to read with)."""

    card_id: str
    version: int
    database: str
    number: int
    branch: str
    into_branch: str
    state: str
    deployment_state: str
    approved: bool
    approved_by: tuple[str, ...]
    author: str | None
    notes: str | None
    created_at: datetime | None
    html_url: str | None
    lint_errors: tuple[str, ...]
    deploy_check_errors: str | None
    operations: tuple[CardOperation, ...]
    queue_position: int | None
    progress_percentage: float | None
    eta_seconds: float | None
    revert_deadline: datetime | None
    gated: bool
    as_of: datetime
    stale: str | None = None
    updated_at: datetime | None = None  # PlanetScale's, of the deploy request: older webhook deliveries are ignored
    instant_eligible: bool = False
    more_operations: bool = False  # PlanetScale has more operations than the one page read

    @property
    def title(self) -> str:
        return f"{self.database} #{self.number} {self.branch} → {self.into_branch}"

    @property
    def button_value(self) -> str:
        return f"{self.card_id}.{self.version}"


def card(view: CardView) -> Message:
    """The card as posted to the channel and as every `chat.update` leaves it."""
    label = state_label(state=view.state, deployment_state=view.deployment_state)
    blocks: list[Block] = [HeaderBlock(text=view.title[:150])]
    blocks.append(_section(_summary(view, label)))
    if view.notes:
        notes = view.notes if len(view.notes) <= NOTES_ON_CARD else view.notes[:NOTES_ON_CARD] + "…"
        blocks.append(_section(f"*Notes*\n{escape(notes)}"))
    problems = _problems(view)
    if problems:
        blocks.append(_section(problems))
    if view.operations:
        blocks.append(_section(_changes(view)))
    blocks.append(ActionsBlock(block_id="dr_card_actions", elements=_buttons(view)))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_footer(view))]))
    approval = "approved" if view.approved else "not approved"
    text = f"{view.title}: {label}, {approval}."
    if view.stale:
        text += " (This card is no longer kept up to date.)"
    return Message(text=text, blocks=tuple(block.to_dict() for block in blocks), visibility="in_channel")


def _section(text: str) -> SectionBlock:
    """Slack refuses a section over 3,000 characters; escaping can triple text (`&` → `&amp;`), so cut after it."""
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 2] + " …"
    return SectionBlock(text=MarkdownTextObject(text=text))


def _summary(view: CardView, label: str) -> str:
    lines = [f"*{escape(label)}*{_progress(view)}"]
    if view.approved_by:
        lines.append(":white_check_mark: Approved by " + ", ".join(escape(name) for name in view.approved_by))
    elif view.approved:
        lines.append(":white_check_mark: Approved")
    elif awaits_review(state=view.state, deployment_state=view.deployment_state):
        lines.append(":hourglass_flowing_sand: Not approved yet")
    opened = f"Opened {slack_ago(view.created_at)}"
    if view.author:
        opened += f" by {escape(view.author)}"
    gated = view.gated and view.deployment_state in BEFORE_CUTOVER
    lines.append(opened + (" · gated: waits for *Apply changes*" if gated else ""))
    if view.instant_eligible and CardAction.DEPLOY in valid_actions(
        state=view.state, deployment_state=view.deployment_state
    ):
        lines.append(
            f":zap: Can deploy instantly: `/pscale dr deploy {escape(view.database)} {view.number} --instant` "
            "(an instant deploy cannot be reverted)"
        )
    if view.revert_deadline is not None and view.deployment_state == "complete_pending_revert":
        lines.append(f":rewind: Can be reverted until {slack_date(view.revert_deadline)}")
    return "\n".join(lines)


def _progress(view: CardView) -> str:
    parts = []
    if view.queue_position is not None:
        ahead = view.queue_position - 1
        parts.append("next in the queue" if ahead == 0 else f"{ahead} ahead of it in the queue")
    if view.progress_percentage is not None:
        parts.append(f"{view.progress_percentage:.0f}% done")
    if view.eta_seconds is not None and view.eta_seconds > 0:
        parts.append(f"about {_duration(view.eta_seconds)} left")
    return f" ({', '.join(parts)})" if parts else ""


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _problems(view: CardView) -> str:
    lines = []
    if view.deploy_check_errors:
        lines.append(f":x: *Deploy checks:* {escape(view.deploy_check_errors[:800])}")
    for error in view.lint_errors[:5]:
        lines.append(f":warning: {escape(error[:300])}")
    if len(view.lint_errors) > 5:
        lines.append(f"and {len(view.lint_errors) - 5} more lint errors")
    return "\n".join(lines)


def _changes(view: CardView) -> str:
    count = f"{len(view.operations)}{' or more' if view.more_operations else ''}"
    lines = [f"*Schema changes* ({count})"]
    for operation in view.operations[:OPERATIONS_ON_CARD]:
        ddl = operation.ddl or "(no DDL)"
        if len(ddl) > DDL_ON_CARD:
            ddl = ddl[:DDL_ON_CARD] + " …"
        what = escape(operation.operation or "change")
        # Slack reads `&`, `<` and `>` as markup even in code (`CHECK (a < b)`), and a fence would end the block.
        fenced = escape(ddl).replace("```", "'''")
        lines.append(f"{what} `{escape(operation.table or '?')}`\n```{fenced}```")
    if len(view.operations) > OPERATIONS_ON_CARD:
        lines.append(f"and {len(view.operations) - OPERATIONS_ON_CARD} more: *Show diff* has them all")
    return "\n".join(lines)


def _buttons(view: CardView) -> list[ButtonElement]:
    actions: list[CardAction] = []
    if view.stale is None:
        actions.extend(valid_actions(state=view.state, deployment_state=view.deployment_state))
    if view.operations:
        actions.append(CardAction.DIFF)
    actions.append(CardAction.REFRESH)
    buttons = [_button(action, view) for action in actions]
    if view.html_url:
        buttons.append(ButtonElement(text="Open in PlanetScale", action_id=OPEN_IN_PLANETSCALE, url=view.html_url))
    return buttons


def _button(action: CardAction, view: CardView) -> ButtonElement:
    style = "primary" if action in _PRIMARY else "danger" if action in _DANGER else None
    confirm = None
    if action in _CONFIRM:
        title, question, yes = _CONFIRM[action]
        target = f"`{escape(view.database)}` #{view.number} (`{escape(view.branch)}`)"
        confirm = ConfirmObject(
            title=title,
            text=MarkdownTextObject(text=question.format(target=target, into=escape(view.into_branch))),
            confirm=yes,
            deny="Not now",
            style="danger" if action in _DANGER else "primary",
        )
    return ButtonElement(
        text=_BUTTON_TEXT[action], action_id=action.value, value=view.button_value, style=style, confirm=confirm
    )


def _footer(view: CardView) -> str:
    if view.stale:
        return f":warning: {escape(view.stale)} Last checked {slack_date(view.as_of)}."
    return f"Updated {slack_date(view.as_of)}"


# --- what goes around the card -------------------------------------------------------------------------------------


def history_note(action: CardAction, *, user_id: str) -> Message:
    """One line in the card's thread: who did what, instead of a new message in the channel."""
    return Message(text=f"{PAST_TENSE[action]} by <@{user_id}>.", visibility="in_channel")


def state_note(*, state: str, deployment_state: str) -> Message:
    """A change the card saw happen without a click here (PlanetScale moving on, or a change made elsewhere)."""
    return Message(text=f"Now: {escape(state_label(state=state, deployment_state=deployment_state))}.",
                   visibility="in_channel")


def already_clicked(action: CardAction, *, by_user_id: str | None, clicker_id: str) -> Message:
    """Someone's identical click won (it may still be on its way to PlanetScale): this one sent nothing."""
    who = "You" if by_user_id == clicker_id else f"<@{by_user_id}>" if by_user_id else "Someone"
    return Message(
        text=f":ok_hand: {who} already clicked *{_BUTTON_TEXT[action]}* for this deploy request, so nothing more "
        "was sent to PlanetScale. The card shows how it went."
    )


def card_moved_on(action: CardAction, *, label: str) -> Message:
    return Message(
        text=":arrows_counterclockwise: The deploy request has changed since this card was drawn "
        f"(now: {escape(label)}), so *{_BUTTON_TEXT[action]}* was not sent. The card shows its current state "
        "now; click again if it still applies."
    )


def card_unknown() -> Message:
    return Message(
        text=":grey_question: I no longer know this card, so nothing was sent to PlanetScale. Post it again with "
        "`/pscale deploy-request post DB NUMBER`."
    )


def card_stale() -> Message:
    return Message(
        text=":warning: Nobody who posted or used this card has a PlanetScale link any more, so I can't read it. "
        "Link your account with `/pscale login`, then click *Refresh*."
    )


def acted(action: CardAction, view: CardView) -> Message:
    label = state_label(state=view.state, deployment_state=view.deployment_state)
    return Message(text=f":white_check_mark: {PAST_TENSE[action]}: `{escape(view.database)}` #{view.number}. "
                   f"Now: {escape(label)}.")


def posted(*, database: str, number: int, link: str | None) -> Message:
    suffix = f" <{link}|Open in PlanetScale>." if link else ""
    return Message(text=f":white_check_mark: Posted `{escape(database)}` #{number} in this channel.{suffix}")


# --- the diff modal ------------------------------------------------------------------------------------------------


def diff_loading(*, database: str, number: int) -> dict[str, Any]:
    return _modal(title=f"{database} #{number}",
                  blocks=[SectionBlock(text=MarkdownTextObject(text=":hourglass: Reading the schema changes…"))])


def diff_modal(
    *, database: str, number: int, operations: Sequence[OperationView], html_url: str | None
) -> dict[str, Any]:
    message = diff(database, number, operations, html_url=html_url)
    return _modal(title=f"{database} #{number}", blocks=list(message.blocks))


def diff_failed(*, database: str, number: int, message: Message) -> dict[str, Any]:
    return _modal(title=f"{database} #{number}", blocks=[SectionBlock(text=MarkdownTextObject(text=message.text))])


def _modal(*, title: str, blocks: Sequence[Block | dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "dr_diff",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [block.to_dict() if isinstance(block, Block) else block for block in blocks],
    }
