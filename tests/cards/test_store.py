"""The card store: when cards fall due for the reconciler, and how versions move."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.cards.store import Cards
from bot.deploy_requests.summary import Person
from bot.storage import Database
from tests.support.deploy_requests import SNAPSHOT


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_card_falls_due_when_its_interval_has_passed_and_only_if_someone_can_read_it(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "bot.sqlite3")
    database.migrate()
    clock = _Clock()
    cards = Cards(database, clock=clock)
    card = cards.add(SNAPSHOT, team_id="T", channel_id="C", org="acme", reader_id="U", refresh_in=300)
    cards.set_ts(card.card_id, "1.0")
    assert cards.due_for_refresh(limit=10) == []
    clock.now += 301
    assert [due.card_id for due in cards.due_for_refresh(limit=10)] == [card.card_id]

    version, changed = cards.save(card, SNAPSHOT, refresh_in=None, reader_id="U")
    assert (version, changed) == (1, False)  # same state: same version, and no longer due
    clock.now += 10_000
    assert cards.due_for_refresh(limit=10) == []

    version, changed = cards.save(card, dataclasses.replace(SNAPSHOT, approved=True), refresh_in=5, reader_id=None)
    assert (version, changed) == (2, True)
    clock.now += 10
    assert cards.due_for_refresh(limit=10) == []  # nobody's grant left to read it with
    database.close()


# A card stored before its snapshot was the domain's record: the renderer's view, with its id, version and the
# stale reason inside, and without the fields added later (updated_at, instant_eligible, more_operations).
_OLD_ROW_SNAPSHOT = (
    '{"card_id":"c0ffee","version":3,"database":"shop","number":7,"branch":"add-index","into_branch":"main",'
    '"state":"open","deployment_state":"ready","approved":false,"approved_by":["Bob"],"author":"Carol <Member> & co",'
    '"notes":"Speeds up *orders*.","created_at":"2026-01-05T05:00:00Z",'
    '"html_url":"https://app.planetscale.com/acme/shop/deploy-requests/7","lint_errors":[],"deploy_check_errors":null,'
    '"operations":[{"table":"orders","operation":"ALTER","ddl":"ALTER TABLE `orders` ADD INDEX i (a)"}],'
    '"queue_position":null,"progress_percentage":null,"eta_seconds":null,"revert_deadline":null,"gated":false,'
    '"as_of":"2026-01-05T10:00:00Z","stale":"Nobody who posted or used this card has a PlanetScale link any more."}'
)


def test_a_card_stored_in_the_older_shape_reads_and_keeps_its_version(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "bot.sqlite3")
    database.migrate()
    with database.session() as sql:
        sql.execute(
            "INSERT INTO cards (card_id, team_id, channel_id, ts, org, database, number, reader_id, version,"
            " fingerprint, snapshot, created_at, refreshed_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 3, ?, ?, 0, 0)",
            ("c0ffee", "T", "C", "1.0", "acme", "shop", 7, '["open", "ready", false, ["Bob"], false]',
             _OLD_ROW_SNAPSHOT),
        )
    cards = Cards(database)
    card = cards.get("c0ffee")
    assert card is not None
    assert card.snapshot == dataclasses.replace(SNAPSHOT, approvers=(Person(None, "Bob"),))
    assert (card.version, card.stale) == (3, True)
    # The state it shows is what was stored: saving it again is no change, so clicks on its drawing still count.
    assert cards.save(card, card.snapshot, refresh_in=None, reader_id=None) == (3, False)
    database.close()
