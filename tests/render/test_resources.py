"""Every surface these commands render passes slack_sdk's Block Kit validation and stays within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.render import audit, branches, channel, databases, listing, orgs, passwords
from bot.render.message import Message
from bot.render.mrkdwn import slack_date
from tests.support.replies import validate_blocks

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HOSTILE = "<!channel> & <@U1>"


def _checked(message: Message) -> Message:
    assert message.text
    assert len(message.text) <= listing.TEXT_LIMIT
    validate_blocks(list(message.blocks))
    return message


def _branch(name: str, **changes: Any) -> branches.BranchView:
    values: dict[str, Any] = {
        "name": name, "parent": "main", "production": False, "ready": True, "created_at": WHEN,
        "author": "Alice", "html_url": None,
    }
    values.update(changes)
    return branches.BranchView(**values)


def _database(name: str) -> databases.DatabaseView:
    return databases.DatabaseView(name=name, state="ready", kind="mysql", region="AWS us-east-1",
                                  default_branch="main", require_approval=True, branches=3, html_url=None)


def _new_password(secret: str = "pscale_pw_s3cret") -> passwords.NewPassword:
    return passwords.NewPassword(database="shop", branch="main", name="ci", role="reader",
                                 host="aws.connect.psdb.cloud", username="user1", secret=secret, expires_at=WHEN)


def test_a_long_list_is_counted_truthfully_and_fits_slack() -> None:
    items = [_branch(f"branch-{index:04d}-" + "x" * 50) for index in range(25)]
    following = "/pscale branch list shop --page 2"
    message = _checked(branches.branches("acme", "shop", items, total=1000, per_page=25, next_command=following))
    assert "Showing 25 of 1,000 branches" in str(message.blocks)
    assert "Next: `/pscale branch list shop --page 2`" in str(message.blocks)
    assert "https://app.planetscale.com/acme/shop/branches" in str(message.blocks)


def test_a_complete_list_says_how_many_without_a_link() -> None:
    message = _checked(databases.databases("acme", [_database("shop")], total=1, more=False))
    assert "1 database." in str(message.blocks)
    assert "See them all" not in str(message.blocks)


def test_a_list_without_a_total_says_there_are_more() -> None:
    message = _checked(orgs.organizations(["acme", "globex"], more=True, default="acme"))
    assert "there are more" in str(message.blocks)
    assert "your default" in str(message.blocks)


def test_a_list_too_long_for_one_message_shows_what_fits_and_says_how_many_more() -> None:
    lines = [f"• line {index:03d} " + "x" * 180 for index in range(200)]
    message = _checked(listing.list_message(title="t", lines=lines, empty="none", footer="200 lines.",
                                            link="https://app.planetscale.com/acme"))
    shown = str(message.blocks).count("• line ")
    assert 10 < shown < 200
    assert f"…and {200 - shown} more not shown here. <https://app.planetscale.com/acme|See them all" in str(
        message.blocks)
    assert "line 000" in str(message.blocks)  # the first lines are the ones shown
    cut_line = _checked(listing.list_message(title="t", lines=["y" * 5000], empty="none", footer="f"))
    assert "…" in str(cut_line.blocks)


def _markdown(message: Message) -> str:
    """What Slack parses for mentions and links: the fallback text and every mrkdwn text (headers are plain)."""
    texts = [message.text]
    for block in message.blocks:
        texts += [part["text"] for part in [block.get("text") or {}, *block.get("elements", [])]
                  if part.get("type") == "mrkdwn"]
    return "\n".join(texts)


@pytest.mark.parametrize(
    "message",
    [
        branches.branch("acme", "shop", _branch(HOSTILE, parent=HOSTILE)),
        branches.branches(HOSTILE, HOSTILE, [_branch(HOSTILE, parent=HOSTILE)], total=1, per_page=25),
        databases.database(HOSTILE, _database(HOSTILE)),
        audit.audit("acme", "shop", [
            audit.AuditView(at=1767603600, user_id="U1", action="branch create", target=HOSTILE, result=HOSTILE)
        ], more=False),
    ],
)
def test_people_and_planetscale_text_cannot_ping_or_break_markup(message: Message) -> None:
    shown = _markdown(_checked(message))
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in shown


@pytest.mark.parametrize(
    "message",
    [
        orgs.organizations([], more=False, default=None),
        orgs.organizations(["acme"], more=False, default=None),
        orgs.organization(orgs.OrganizationView(name="acme", plan="scaler_pro", databases=2), is_default=True),
        orgs.organization(orgs.OrganizationView(name="acme", plan=None, databases=None), is_default=False),
        orgs.switched("acme"),
        databases.databases("acme", [], total=0, more=False),
        databases.database("acme", _database("shop")),
        branches.branches("acme", "shop", [], total=0, per_page=25),
        branches.created("acme", "shop", _branch("dev", ready=False)),
        branches.deleted("shop", "dev"),
        passwords.passwords("acme", "shop", "main", [
            passwords.PasswordView(id="pw1", name="ci", role="reader", created_at=WHEN, expires_at=None,
                                   expired=False, last_used_at=WHEN),
            passwords.PasswordView(id="pw2", name="old", role=None, created_at=None, expires_at=WHEN,
                                   expired=True, last_used_at=None),
        ], total=2, more=False),
        passwords.new_password(_new_password()),
        passwords.deleted("shop", "main", "pw1"),
        channel.database_set("shop", previous="analytics"),
        channel.database_cleared("shop"),
        channel.database_cleared(None),
        audit.audit("acme", "shop", [], more=False),
        audit.audit("acme", "shop", [
            audit.AuditView(at=1767603600, user_id="U1", action="branch delete", target="branch `x` of `shop`",
                            result="ok")
        ] * 20, more=True),
    ],
)
def test_every_message_is_valid_block_kit(message: Message) -> None:
    _checked(message)


def test_times_are_slack_dates_each_reader_sees_in_their_zone() -> None:
    assert slack_date(WHEN) == "<!date^1767603600^{date_short_pretty} {time}|2026-01-05 09:00 UTC>"


def test_a_new_password_has_a_ready_connection_string_and_env_lines_but_no_secret_in_its_fallback() -> None:
    secret = "pscale_pw_a/b+c"
    message = _checked(passwords.new_password(_new_password(secret)))
    shown = str(message.blocks)
    assert 'mysql://user1:pscale_pw_a%2Fb%2Bc@aws.connect.psdb.cloud/shop?ssl={"rejectUnauthorized":true}' in shown
    for line in ("DATABASE_HOST=aws.connect.psdb.cloud", "DATABASE_USERNAME=user1", f"DATABASE_PASSWORD={secret}"):
        assert line in shown
    assert secret not in message.text
    assert secret not in repr(_new_password(secret))




@pytest.mark.parametrize(
    ("total", "said"),
    [(1, "1 branch makes 1 page of 25"), (8, "8 branches make 1 page of 25"), (60, "60 branches make 3 pages of 25")],
)
def test_a_page_past_the_end_says_how_many_pages_there_are(total: int, said: str) -> None:
    message = branches.branches("acme", "shop", [], total=total, page=9, per_page=25)
    assert said in str(message.blocks), message.blocks
    validate_blocks(list(message.blocks))
