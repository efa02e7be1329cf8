"""The audit log and parked confirmations: single use, bound to the asker, short-lived."""

from __future__ import annotations

import asyncio

from bot.commands.catalog import AUDITED_COMMANDS, CATALOG
from bot.storage import AuditLog, Database, PendingCommands
from bot.storage.pending import CONFIRMATION_SECONDS


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_confirmation_is_taken_once_and_only_by_its_asker(db: Database) -> None:
    pending = PendingCommands(db)
    pending_id = await pending.park(team_id="T1", user_id="U1", channel_id="C1", text="branch delete shop dev")
    assert await pending.take(pending_id, team_id="T1", user_id="U2") is None
    assert await pending.peek(pending_id) is not None  # a stranger's click leaves it for the asker
    taken = await asyncio.gather(*(pending.take(pending_id, team_id="T1", user_id="U1") for _ in range(8)))
    winners = [item for item in taken if item is not None]
    assert len(winners) == 1
    assert winners[0].text == "branch delete shop dev"
    assert await pending.peek(pending_id) is None


async def test_a_confirmation_expires(db: Database) -> None:
    clock = FakeClock()
    pending = PendingCommands(db, clock=clock)
    pending_id = await pending.park(team_id="T1", user_id="U1", channel_id="C1", text="password delete shop main x1")
    clock.now += CONFIRMATION_SECONDS + 1
    assert await pending.take(pending_id, team_id="T1", user_id="U1") is None


async def test_audit_entries_come_back_newest_first_per_database(db: Database) -> None:
    clock = FakeClock()
    audit = AuditLog(db, clock=clock)
    for step, target in enumerate(["branch `a` of `shop`", "branch `b` of `shop`"]):
        clock.now += step
        await audit.record(team_id="T1", user_id="U1", organization="acme", database="shop",
                           action="branch create", target=target, result="ok")
    await audit.record(team_id="T1", user_id="U1", organization="acme", database="analytics",
                       action="branch create", target="branch `c` of `analytics`", result="ok")
    await audit.record(team_id="T1", user_id="U1", organization=None, database="shop",
                       action="branch create", target="branch `d` of `shop`", result="ok")
    entries = await audit.recent(team_id="T1", organization="acme", database="shop")
    assert [entry.target for entry in entries] == ["branch `b` of `shop`", "branch `a` of `shop`"]
    assert [entry.target for entry in await audit.recent(team_id="T1", organization=None, database="shop")] == [
        "branch `d` of `shop`"
    ]
    assert await audit.recent(team_id="T2", organization="acme", database="shop") == []


def test_every_audited_command_exists() -> None:
    keys = {spec.key for spec in CATALOG}
    assert not AUDITED_COMMANDS - keys, AUDITED_COMMANDS - keys
