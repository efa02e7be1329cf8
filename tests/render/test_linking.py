"""The linking messages are valid Block Kit, within Slack's limits, and show outside text as typed."""

from __future__ import annotations

from bot.render import linking as render
from tests.support.replies import assert_valid_slack_message


def test_the_link_prompt_is_a_button_to_the_start_url() -> None:
    url = "https://bot.example.com/oauth/planetscale/start?t=abc"
    message = render.link_prompt(url=url, minutes=10)
    assert_valid_slack_message(message)
    [button] = [element for block in message.blocks for element in block.get("elements", []) if "action_id" in element]
    assert button["action_id"] == "link_account"
    assert button["url"] == url
    assert "10 minutes" in message.text


def test_whoami_escapes_what_planetscale_says_and_stays_short() -> None:
    message = render.whoami(
        render.WhoAmI(
            planetscale_name="<!channel> & Co",
            planetscale_email="a@b.example",
            organizations=[f"org-{number}" for number in range(45)],
            scopes=["user:read_user", "organization:read_databases"],
            linked_since=1_767_603_600,
        )
    )
    assert_valid_slack_message(message)
    shown = message.blocks[0]["text"]["text"]
    assert "&lt;!channel&gt; &amp; Co" in shown
    assert "<!channel>" not in shown
    assert "and 25 more" in shown
    assert "<!date^1767603600^" in shown
    assert "2026-01-05 09:00 UTC" in shown


def test_plain_messages_name_the_next_step() -> None:
    assert "/pscale login" in render.relink_needed().text
    assert "Linked as Alice &lt;3" in render.linked("Alice <3").text
    assert "revoked" in render.unlinked("Alice", revoked=True).text
    assert "OAuth applications" in render.unlinked(None, revoked=False).text
    assert "nothing to unlink" in render.nothing_linked().text
