"""Content that grows without bound (lists, diffs, digests) always fits one message Slack accepts, and what is left
out is counted: shown + not shown = all. Checked against the Slack stand-in's own limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.deploy_requests.lifecycle import Need
from bot.deploy_requests.summary import Operation, QueueEntry, Summary
from bot.render import card, digests, home, listing, resources
from bot.render.message import Message
from bot.sandbox.slack.limits import HOME_ONLY, MODAL_ONLY, check_view
from tests.support.replies import validate_blocks

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Text as people and PlanetScale write it, with Slack's control characters, which escaping makes longer.
TEXT = st.text(alphabet=st.sampled_from("abc xyz_,()`'\n<>&*"), max_size=6000)
NAME = st.text(alphabet="abcdefghij-_0123456789", min_size=1, max_size=60)
MORE = re.compile(r"…and ([\d,]+) more")


def hidden(message: Message) -> int:
    found = MORE.findall(str(message.blocks))
    return sum(int(count.replace(",", "")) for count in found)


def fits(message: Message) -> str:
    assert message.text
    assert len(message.text) <= listing.TEXT_LIMIT
    validate_blocks(list(message.blocks))
    return str(message.blocks)


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(NAME, TEXT), max_size=120))
def test_a_diff_fits_and_accounts_for_every_change(changes: list[tuple[str, str]]) -> None:
    operations = [Operation(table=table, operation="create", ddl=ddl) for table, ddl in changes]
    message = resources.diff("shop", 7, operations, html_url="https://app.planetscale.com/acme/shop/deploy-requests/7")
    shown = fits(message)
    with_ddl = shown.count("```") // 2
    listed = sum(section["text"]["text"].count("• *") for section in message.blocks if section["type"] == "section")
    assert with_ddl + listed + hidden(message) == len(operations)
    if hidden(message):
        assert "See them all in PlanetScale" in shown
    modal = card.diff_modal(database="shop", number=7, operations=operations, html_url=None)
    check_view(modal, view_types=MODAL_ONLY)


@settings(deadline=None, max_examples=40)
@given(st.lists(TEXT, max_size=300))
def test_a_list_fits_and_accounts_for_every_line(texts: list[str]) -> None:
    lines = [f"• L{index} {text}" for index, text in enumerate(texts)]
    message = listing.list_message(title="Branches of acme/shop", lines=lines, empty="No branches.",
                                   footer=f"{len(lines)} branches.", link="https://app.planetscale.com/acme/shop/branches")
    shown = fits(message)
    assert len(set(re.findall(r"• L(\d+) ", shown))) + hidden(message) == len(lines)


def summary(number: int, branch: str) -> Summary:
    return Summary(number=number, branch=branch, into_branch="main", state="open", deployment_state="ready",
                   approved=False, author="Carol <Member> & co", notes=None, created_at=WHEN,
                   html_url=f"https://app.planetscale.com/acme/shop/deploy-requests/{number}", lint_errors=(),
                   deploy_check_errors=None, queue_position=None, revert_deadline=None, gated=False)


@settings(deadline=None, max_examples=40)
@given(
    st.dictionaries(st.sampled_from(list(Need)), st.lists(NAME, max_size=40), max_size=len(Need)),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=300),
)
def test_a_digest_fits_and_accounts_for_every_deploy_request(
    groups: dict[Need, list[str]], unread: int, queued: int
) -> None:
    numbered = {need: [summary(index, name) for index, name in enumerate(names)] for need, names in groups.items()}
    given_count = sum(len(items) for items in numbered.values())
    queue = [QueueEntry(number=n, deployment_state="queued", into_branch="main", queued_at=WHEN) for n in range(queued)]
    message = digests.digest(org="acme", db="shop", groups=numbered, total_open=given_count + unread, queue=queue)
    shown = fits(message)
    listed = shown.count("• <https://")
    assert listed + hidden(message) == given_count + unread + queued - len(re.findall(r"\d+\. #\d+", shown))



@pytest.mark.parametrize(
    ("waiting", "mine", "digest_count", "watch_count"),
    [(0, 0, 0, 0), (0, 0, 1, 0), (0, 0, 0, 11), (25, 25, 10, 10), (25, 25, 11, 11), (60, 60, 40, 40)],
)
def test_a_full_home_fits_one_view_and_counts_every_digest_and_watch(
    waiting: int, mine: int, digest_count: int, watch_count: int
) -> None:
    """Every list of the Home as long as it gets, with a notice and unread databases on top: still within a view's
    100 blocks, and each digest and watch either has its Remove button or is counted."""
    view = home.HomeView(
        planetscale_name="Alice",
        waiting=[home.HomeItem("acme", "shop", summary(n, "b"), can_approve=True) for n in range(waiting)],
        mine=[home.HomeItem("acme", "shop", summary(n, "b")) for n in range(mine)],
        unread=["acme/x"], notice="Done.",
        digests=[home.HomeDigest("C0GENERAL01", "acme", f"db{n}", "09:00", "Europe/Paris", False)
                 for n in range(digest_count)],
        watches=[home.HomeWatch(f"hook{n}", "C0GENERAL01", "acme", f"db{n}") for n in range(watch_count)],
    )
    drawn = home.home(view)
    check_view(drawn, view_types=HOME_ONLY)
    buttons = [block["accessory"] for block in drawn["blocks"] if "accessory" in block]
    removable = [button for button in buttons if button["text"]["text"] == "Remove"]
    hidden_set_up = sum(int(n) for n in MORE.findall(str(drawn["blocks"]).split("Your digests and watches")[1]))
    assert len(removable) + hidden_set_up == digest_count + watch_count
