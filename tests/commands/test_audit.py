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
