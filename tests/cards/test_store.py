"""The card store: when cards fall due for the reconciler, and how versions move."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.cards.store import Cards
from bot.storage import Database
from tests.cards.test_render_and_budget import BASE


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
    cards.add(view=BASE, team_id="T", channel_id="C", org="acme", reader_id="U", fingerprint="f", refresh_in=300)
    cards.set_ts(BASE.card_id, "1.0")
    assert cards.due_for_refresh(limit=10) == []
    clock.now += 301
    assert [card.card_id for card in cards.due_for_refresh(limit=10)] == [BASE.card_id]

    version, changed = cards.save(BASE, fingerprint="f", refresh_in=None, reader_id="U")
    assert (version, changed) == (BASE.version, False)  # same state: same version, and no longer due
    clock.now += 10_000
    assert cards.due_for_refresh(limit=10) == []

    version, changed = cards.save(dataclasses.replace(BASE, approved=True), fingerprint="g", refresh_in=5,
                                  reader_id=None)
    assert (version, changed) == (BASE.version + 1, True)
    clock.now += 10
    assert cards.due_for_refresh(limit=10) == []  # nobody's grant left to read it with
    database.close()
