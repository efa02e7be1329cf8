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
