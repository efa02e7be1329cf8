"""`audit DB`: what was changed from Slack, over real HTTP."""

from __future__ import annotations

from tests.support.bot import RunningBot
from tests.support.replies import ALICE, everything, reply, usage_error


async def test_audit_shows_changes_made_from_slack_to_someone_who_can_read_the_database(demo_bot: RunningBot) -> None:
    assert "Nothing has been changed" in everything(await reply(demo_bot, "audit shop"))
    await reply(demo_bot, "branch create shop audited")
    await reply(demo_bot, "branch create shop Bad_Name")  # PlanetScale refuses: recorded as refused
    text = everything(await reply(demo_bot, "audit shop"))
    assert f"<@{ALICE.user_id}> `branch create` branch `audited` of `shop` — :white_check_mark: ok" in text
    assert "refused: 422" in text
    assert text.index("Bad_Name") < text.index("`audited`")  # newest first
    assert "<!date^" in text
    unknown = everything(await reply(demo_bot, "audit nosuchdb"))
    assert "found no database `nosuchdb`" in unknown
    usage_error(demo_bot, "audit")
    usage_error(demo_bot, "audit shop extra")


async def test_editing_a_deploy_request_and_forcing_its_cutover_are_audited(demo_bot: RunningBot) -> None:
    await reply(demo_bot, "dr edit shop 1 --enable-auto-apply")
    await reply(demo_bot, "dr force-cutover shop 1")  # not cutting over: PlanetScale refuses, recorded as refused
    text = everything(await reply(demo_bot, "audit shop"))
    assert "`deploy-request edit` deploy request #1 of `shop` — :white_check_mark: ok" in text, text
    assert "`deploy-request force-cutover` deploy request #1 of `shop` — :x: refused" in text, text


async def test_a_form_whose_opening_slack_did_not_confirm_is_audited_as_unconfirmed(demo_bot: RunningBot) -> None:
    """`branch create` with no branch opens its form (the channel's default database filled in); Slack's answer to
    `views.open` is lost. The form may be open, so the reply and the audit say unconfirmed, where the audit had said
    "failed: internal error"."""
    await reply(demo_bot, "channel db shop")
    demo_bot.slack.drop_answer("views.open")
    assert "Slack did not confirm that it did that" in everything(await reply(demo_bot, "branch create"))
    # A form's entry names no organization (none is worked out before a form opens), so `audit DB` does not list
    # it: read what was recorded.
    recorded = await demo_bot.call(demo_bot.runtime.database.fetchall(
        "SELECT action, result FROM audit_log WHERE action = ?", ("branch create",)
    ))
    assert [tuple(row) for row in recorded] == [("branch create", "unconfirmed: Slack did not answer")]
