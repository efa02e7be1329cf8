"""Pure parts of cards: the drawing in every state, the states table, the shared `chat.update` budget."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.views import View

from bot.cards.states import STATE_LABELS, CardAction, refresh_seconds, valid_actions
from bot.cards.updates import CardUpdates
from bot.render import card as render
from bot.render.message import Message
from bot.render.resources import OperationView
from bot.tasks import TaskTracker
from tests.support.cards import validate_blocks

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
BASE = render.CardView(
    card_id="c0ffee",
    version=3,
    database="shop",
    number=7,
    branch="add-index",
    into_branch="main",
    state="open",
    deployment_state="ready",
    approved=False,
    approved_by=(),
    author="Carol <Member> & co",
    notes="Speeds up *orders*.",
    created_at=NOW - timedelta(hours=5),
    html_url="https://app.planetscale.com/acme/shop/deploy-requests/7",
    lint_errors=(),
    deploy_check_errors=None,
    operations=(render.CardOperation(table="orders", operation="ALTER", ddl="ALTER TABLE `orders` ADD INDEX i (a)"),),
    queue_position=None,
    progress_percentage=None,
    eta_seconds=None,
    revert_deadline=None,
    gated=False,
    as_of=NOW,
)


def _buttons(message: Message) -> list[dict[str, object]]:
    return [element for block in message.blocks if block["type"] == "actions" for element in block["elements"]]


@pytest.mark.parametrize("deployment_state", sorted(STATE_LABELS))
@pytest.mark.parametrize("state", ["open", "closed"])
def test_every_state_draws_valid_block_kit_with_only_its_buttons(state: str, deployment_state: str) -> None:
    view = dataclasses.replace(
        BASE, state=state, deployment_state=deployment_state,
        queue_position=2 if deployment_state == "queued" else None,
        progress_percentage=40.0 if deployment_state == "in_progress" else None,
        eta_seconds=125.0 if deployment_state == "in_progress" else None,
        revert_deadline=NOW + timedelta(minutes=30) if deployment_state == "complete_pending_revert" else None,
    )
    message = render.card(view)
    validate_blocks(list(message.blocks))
    ids = [str(button["action_id"]) for button in _buttons(message)]
    expected = [action.value for action in valid_actions(state=state, deployment_state=deployment_state)]
    assert ids[: len(expected)] == expected
    assert ids[len(expected):] == ["dr_diff", "dr_refresh", "dr_open"]
    for button in _buttons(message):
        if button["action_id"] in ("dr_deploy", "dr_apply", "dr_revert"):
            assert "confirm" in button
        if button["action_id"] != "dr_open":
            assert button["value"] == "c0ffee.3"
    assert "<Member>" not in str(message.blocks)  # names are escaped: no stray mentions or links


def test_the_states_table_follows_the_reference() -> None:
    assert valid_actions(state="open", deployment_state="ready") == (
        CardAction.APPROVE, CardAction.DEPLOY, CardAction.CLOSE
    )
    assert valid_actions(state="open", deployment_state="pending_cutover") == (CardAction.APPLY, CardAction.CANCEL)
    assert valid_actions(state="open", deployment_state="complete_pending_revert") == (
        CardAction.REVERT, CardAction.SKIP_REVERT
    )
    assert valid_actions(state="open", deployment_state="complete_error") == (CardAction.UNBLOCK,)
    assert valid_actions(state="closed", deployment_state="complete_revert_error") == (CardAction.UNBLOCK,)
    assert valid_actions(state="closed", deployment_state="ready") == ()
    assert valid_actions(state="open", deployment_state="in_progress_revert") == ()


def test_progress_queue_and_revert_window_are_shown() -> None:
    deploying = render.card(dataclasses.replace(
        BASE, deployment_state="in_progress", progress_percentage=42.4, eta_seconds=300
    ))
    assert "42% done" in str(deploying.blocks)
    assert "about 5 min left" in str(deploying.blocks)
    queued = render.card(dataclasses.replace(BASE, deployment_state="queued", queue_position=3))
    assert "2 ahead of it in the queue" in str(queued.blocks)
    deadline = NOW + timedelta(minutes=30)
    deployed = render.card(dataclasses.replace(BASE, deployment_state="complete_pending_revert",
                                               revert_deadline=deadline))
    assert f"<!date^{int(deadline.timestamp())}^" in str(deployed.blocks)
    assert "*Schema changes* (1 or more)" in str(render.card(dataclasses.replace(BASE, more_operations=True)).blocks)
    instant = str(render.card(dataclasses.replace(BASE, instant_eligible=True)).blocks)
    assert "dr deploy shop 7 --instant" in instant
    assert "--instant" not in str(render.card(dataclasses.replace(BASE, instant_eligible=True, state="closed")).blocks)
    opened = int(BASE.created_at.timestamp()) if BASE.created_at else 0
    assert f"Opened <!date^{opened}^{{ago}}|" in str(deployed.blocks)  # the age, in each reader's own words


@given(
    notes=st.text(max_size=5000) | st.text(alphabet="&<>`\n", max_size=5000),
    ddl=st.text(max_size=20000) | st.text(alphabet="&<>`", max_size=20000),
    count=st.integers(min_value=0, max_value=300),
    lint=st.lists(st.text(max_size=400), max_size=30),
)
def test_any_content_stays_within_slack_limits(notes: str, ddl: str, count: int, lint: list[str]) -> None:
    view = dataclasses.replace(
        BASE,
        notes=notes or None,
        operations=tuple(render.CardOperation(table=f"t{i}", operation="CREATE", ddl=ddl) for i in range(count)),
        lint_errors=tuple(lint),
        deploy_check_errors=ddl or None,
    )
    validate_blocks(list(render.card(view).blocks))
    modal = render.diff_modal(
        database="shop", number=7, html_url=None,
        operations=[OperationView(table=f"t{i}", operation="CREATE", ddl=ddl) for i in range(count)],
    )
    View(**modal).validate_json()


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def update_message(self, *, channel: str, ts: str, message: Message) -> None:
        self.sent.append((ts, message.text))

    async def unfurl(self, *, channel: str, ts: str, url: str, message: Message) -> None:
        self.sent.append((f"{ts} {url}", message.text))


async def test_the_budget_paces_updates_sends_state_changes_first_and_only_the_newest_drawing() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    slack = _Recorder()
    tasks = TaskTracker()
    updates = CardUpdates(slack, tasks, per_minute=60, burst=1, clock=lambda: now[0], sleep=sleep)
    updates.submit(channel="C", ts="1", message=Message(text="progress 10%"), state_change=False)
    updates.submit(channel="C", ts="2", message=Message(text="progress 50%"), state_change=False)
    updates.submit(channel="C", ts="1", message=Message(text="progress 20%"), state_change=False)
    updates.submit(channel="C", ts="3", message=Message(text="deployed"), state_change=True)
    await tasks.drain(grace_seconds=5)
    # The state change went first though it came last; then one call a second, and card 1's 10% drawing was
    # replaced by its 20% one before it was ever sent.
    assert slack.sent == [("3", "deployed"), ("1", "progress 20%"), ("2", "progress 50%")]
    assert now[0] == pytest.approx(2.0)


def test_cards_are_read_again_while_something_can_still_change_them() -> None:
    assert refresh_seconds(state="open", deployment_state="in_progress") == 5.0
    assert refresh_seconds(state="open", deployment_state="complete_pending_revert") == 60.0
    # PlanetScale sends no webhook for an approval given in its web app: open requests are re-read now and then.
    assert refresh_seconds(state="open", deployment_state="ready") == 300.0
    assert refresh_seconds(state="closed", deployment_state="ready") is None
    assert refresh_seconds(state="closed", deployment_state="complete") is None


def test_ddl_is_escaped_for_slack_on_the_card_and_in_the_diff() -> None:
    ddl = "ALTER TABLE `t` ADD CONSTRAINT c CHECK (a < b && b > 0)"
    view = dataclasses.replace(BASE, operations=(render.CardOperation(table="t", operation="ALTER", ddl=ddl),))
    shown = "CHECK (a &lt; b &amp;&amp; b &gt; 0)"
    assert shown in str(render.card(view).blocks)
    modal = render.diff_modal(database="shop", number=7, html_url=None,
                              operations=[OperationView(table="t", operation="ALTER", ddl=ddl)])
    assert shown in str(modal["blocks"])
