"""The card's drawing in every state, and its diff modal: valid Block Kit, only the buttons the state allows."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.views import View

from bot.deploy_requests.actions import Action
from bot.deploy_requests.lifecycle import allowed
from bot.deploy_requests.losses import losses
from bot.deploy_requests.summary import Operation, Person
from bot.planetscale.models import DeploymentState
from bot.render import card as render
from bot.render.message import Message
from bot.render.resources import STATE_LABELS
from tests.support.deploy_requests import NOW, SNAPSHOT
from tests.support.replies import validate_blocks

BASE = render.CardView(card_id="c0ffee", version=3, request=SNAPSHOT)


def _drawn(**fields: Any) -> Message:
    """The card of SNAPSHOT with `fields` changed."""
    return render.card(dataclasses.replace(BASE, request=dataclasses.replace(SNAPSHOT, **fields)))


def _buttons(message: Message) -> list[dict[str, object]]:
    return [element for block in message.blocks if block["type"] == "actions" for element in block["elements"]]


def test_the_buttons_keep_their_action_ids() -> None:
    """Slack sends these back with every click; changing one would strand the buttons of every card posted."""
    assert list(render.ACTION_IDS.values()) == [
        "dr_approve", "dr_deploy", "dr_apply", "dr_cancel", "dr_close", "dr_revert", "dr_skip_revert", "dr_unblock",
    ]
    assert set(Action) - set(render.ACTION_IDS) == {Action.FORCE_CUTOVER}  # a command only: it ends others' queries
    assert (render.DIFF_ID, render.REFRESH_ID, render.OPEN_IN_PLANETSCALE_ID) == ("dr_diff", "dr_refresh", "dr_open")


def test_every_state_planetscale_declares_has_words() -> None:
    assert set(STATE_LABELS) == set(DeploymentState)


@pytest.mark.parametrize("deployment_state", sorted(DeploymentState))
@pytest.mark.parametrize("state", ["open", "closed"])
def test_every_state_draws_valid_block_kit_with_only_its_buttons(state: str, deployment_state: str) -> None:
    request = dataclasses.replace(
        SNAPSHOT, state=state, deployment_state=deployment_state,
        queue_position=2 if deployment_state == "queued" else None,
        progress_percentage=40.0 if deployment_state == "in_progress" else None,
        eta_seconds=125.0 if deployment_state == "in_progress" else None,
        revert_deadline=NOW + timedelta(minutes=30) if deployment_state == "complete_pending_revert" else None,
    )
    message = render.card(dataclasses.replace(BASE, request=request))
    validate_blocks(list(message.blocks))
    ids = [str(button["action_id"]) for button in _buttons(message)]
    expected = [render.ACTION_IDS[action] for action in allowed(request) if action in render.ACTION_IDS]
    assert ids[: len(expected)] == expected
    assert ids[len(expected):] == ["dr_diff", "dr_refresh", "dr_open"]
    for button in _buttons(message):
        if button["action_id"] in ("dr_deploy", "dr_apply", "dr_revert"):
            assert "confirm" in button
        if button["action_id"] != "dr_open":
            assert button["value"] == "c0ffee.3"
    assert "<Member>" not in str(message.blocks)  # names are escaped: no stray mentions or links


def test_progress_queue_and_revert_window_are_shown() -> None:
    deploying = _drawn(deployment_state="in_progress", progress_percentage=42.4, eta_seconds=300)
    assert "42% done" in str(deploying.blocks)
    assert "about 5 min left" in str(deploying.blocks)
    queued = _drawn(deployment_state="queued", queue_position=3)
    assert "2 ahead of it in the queue" in str(queued.blocks)
    deadline = NOW + timedelta(minutes=30)
    deployed = _drawn(deployment_state="complete_pending_revert", revert_deadline=deadline)
    assert f"<!date^{int(deadline.timestamp())}^" in str(deployed.blocks)
    assert "*Schema changes* (1 or more)" in str(_drawn(more_operations=True).blocks)
    instant = str(_drawn(instant_eligible=True).blocks)
    assert "dr deploy shop 7 --instant" in instant
    assert "--instant" not in str(_drawn(instant_eligible=True, state="closed").blocks)
    opened = int(SNAPSHOT.created_at.timestamp()) if SNAPSHOT.created_at else 0
    assert f"Opened <!date^{opened}^{{ago}}|" in str(deployed.blocks)  # the age, in each reader's own words


# Drawing 300 operations of 20,000 characters takes what the machine gives it: no deadline, only the limits.
@settings(deadline=None)
@given(
    notes=st.text(max_size=5000) | st.text(alphabet="&<>`\n", max_size=5000),
    ddl=st.text(max_size=20000) | st.text(alphabet="&<>`", max_size=20000),
    count=st.integers(min_value=0, max_value=300),
    lint=st.lists(st.text(max_size=400), max_size=30),
)
def test_any_content_stays_within_slack_limits(notes: str, ddl: str, count: int, lint: list[str]) -> None:
    operations = tuple(Operation(table=f"t{i}", operation="CREATE", ddl=ddl) for i in range(count))
    drawn = _drawn(
        notes=notes or None, operations=operations, lint_errors=tuple(lint), deploy_check_errors=ddl or None
    )
    validate_blocks(list(drawn.blocks))
    modal = render.diff_modal(database="shop", number=7, html_url=None, operations=operations)
    View(**modal).validate_json()


def test_ddl_is_escaped_for_slack_on_the_card_and_in_the_diff() -> None:
    ddl = "ALTER TABLE `t` ADD CONSTRAINT c CHECK (a < b && b > 0)"
    operations = (Operation(table="t", operation="ALTER", ddl=ddl),)
    shown = "CHECK (a &lt; b &amp;&amp; b &gt; 0)"
    assert shown in str(_drawn(operations=operations).blocks)
    modal = render.diff_modal(database="shop", number=7, html_url=None, operations=operations)
    assert shown in str(modal["blocks"])


def test_no_property_test_fails_for_being_slow() -> None:
    # tests/conftest.py's hypothesis profile: a loaded machine must not fail a property test for its own speed.
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check


DROP = Operation(table="coupons_legacy", operation="DROP", ddl="DROP TABLE `coupons_legacy`", can_drop_data=True)


def test_a_drop_says_what_is_lost_on_the_card_and_in_the_deploy_confirm_dialog() -> None:
    drop_column = Operation(
        table="users", operation="ALTER", ddl="ALTER TABLE `users` DROP COLUMN `legacy_id`, DROP INDEX `i`",
        can_drop_data=True,
    )
    narrowed = Operation(table="orders", operation="ALTER", ddl="ALTER TABLE `orders` MODIFY `note` varchar(10)",
                         can_drop_data=True)
    harmless = Operation(table="t", operation="ALTER", ddl="ALTER TABLE `t` DROP INDEX `i`", can_drop_data=False)
    operations = (DROP, drop_column, narrowed, harmless)
    drawn = _drawn(operations=operations, losses=losses(operations), approved=True)
    text = str(drawn.blocks)
    assert "drops table `coupons_legacy` and every row in it" in text
    assert "drops column `legacy_id` of `users` and its values" in text
    assert "narrows `note` of `orders`" in text
    assert "`t`" not in text.split("loses data")[1].split("*Schema changes*", maxsplit=1)[0]
    confirm = next(button for button in _buttons(drawn) if button["action_id"] == "dr_deploy")["confirm"]
    said = confirm["text"]["text"]  # type: ignore[index]
    assert "coupons_legacy" in said
    assert "loses data" in said
    assert len(said) <= 300  # Slack's limit on a confirm dialog's text
    assert confirm["style"] == "danger"  # type: ignore[index]
    # After the cutover it is history: no warning any more.
    assert "loses data" not in str(_drawn(operations=operations, losses=losses(operations),
                                           deployment_state="complete_pending_revert").blocks)


def test_many_losses_still_fit_the_confirm_dialog() -> None:
    operations = tuple(
        Operation(table=f"table_with_a_long_name_{index}", operation="DROP", ddl="DROP TABLE x", can_drop_data=True)
        for index in range(20)
    )
    drawn = _drawn(operations=operations, losses=losses(operations), approved=True)
    confirm = next(button for button in _buttons(drawn) if button["action_id"] == "dr_deploy")["confirm"]
    said = confirm["text"]["text"]  # type: ignore[index]
    assert len(said) <= 300
    assert "table_with_a_long_name_0" in said
    assert "more (see the card)" in said


def test_ddl_ending_in_a_backtick_keeps_its_fence_and_long_ddl_folds_behind_show_diff() -> None:
    drawn = str(_drawn(operations=(DROP,)).blocks)
    assert "```\\nDROP TABLE `coupons_legacy`\\n```" in drawn  # no stray backtick line after the statement
    long_ddl = "CREATE TABLE `t` (\\n" + ",\\n".join(f"  `c{i}` int" for i in range(40)) + "\\n)"
    folded = str(_drawn(operations=(Operation(table="t", operation="CREATE", ddl=long_ddl),)).blocks)
    assert "`c3` int" in folded
    assert "`c39` int" not in folded
    assert "*Show diff* has the whole statements." in folded


def test_lint_errors_and_deploy_checks_appear_once_each() -> None:
    drawn = str(_drawn(deployment_state="error", lint_errors=("users: JSON without default",),
                       deploy_check_errors="storage is full").blocks)
    assert drawn.count("JSON without default") == 1
    assert drawn.count("storage is full") == 1


def test_the_card_names_linked_people_as_slack_mentions_and_the_rest_by_name() -> None:
    request = dataclasses.replace(
        SNAPSHOT, approval_required=True, author_id="ps-carol",
        admins=(Person("ps-alice", "Alice Admin"), Person("ps-bob", "Bob <Builder>")),
    )
    drawn = render.card(dataclasses.replace(BASE, request=request, people={"ps-alice": "U0ALICE"}))
    text = str(drawn.blocks)
    assert "*Waits for an administrator's approval*" in text
    assert "Who can approve it: <@U0ALICE> or Bob &lt;Builder&gt;." in text
    assert "by Carol &lt;Member&gt; &amp; co" in text  # unlinked: the PlanetScale name, escaped
    assert "dr_deploy" not in str(_buttons(drawn))
    assert ":large_yellow_circle:" in text
    assert f"*<{SNAPSHOT.html_url}|shop #7 add-index → main>*" in text  # the title links to the deploy request
    approved = render.card(dataclasses.replace(
        BASE, request=dataclasses.replace(request, approved=True, approvers=(Person("ps-bob", "Bob"),)),
    ))
    assert "dr_deploy" in str(_buttons(approved))
    assert "Approved by Bob" in str(approved.blocks)
