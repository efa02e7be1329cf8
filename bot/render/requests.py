"""The buttons a deploy request carries outside its card (App Home, direct messages), and how they name it.

A card's buttons carry `CARD_ID.VERSION`; these carry the deploy request itself, `req:ORG/DATABASE/NUMBER`, and the
same `action_id`s (docs/interface.md §5), so one listener serves both and an approval given here is the card's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slack_sdk.models.blocks import ButtonElement

from bot.deploy_requests.actions import Action
from bot.render.card import ACTION_IDS, DIFF_ID, OPEN_IN_PLANETSCALE_ID

_PREFIX = "req:"
_VALUE = re.compile(r"^req:(?P<org>[\w.-]+)/(?P<database>[\w.-]+)/(?P<number>\d+)$")


@dataclass(frozen=True)
class RequestRef:
    """A deploy request named by its organization, database and number."""

    org: str
    database: str
    number: int

    @property
    def value(self) -> str:
        return f"{_PREFIX}{self.org}/{self.database}/{self.number}"

    @classmethod
    def parse(cls, value: str) -> RequestRef | None:
        found = _VALUE.match(value)
        if found is None:
            return None
        return cls(org=found["org"], database=found["database"], number=int(found["number"]))


def request_buttons(ref: RequestRef, *, approve: bool, diff: bool, html_url: str | None) -> list[ButtonElement]:
    """Approve (where the viewer may), Show diff, Open in PlanetScale."""
    buttons = []
    if approve:
        buttons.append(
            ButtonElement(text="Approve", action_id=ACTION_IDS[Action.APPROVE], value=ref.value, style="primary")
        )
    if diff:
        buttons.append(ButtonElement(text="Show diff", action_id=DIFF_ID, value=ref.value))
    if html_url:
        buttons.append(ButtonElement(text="Open in PlanetScale", action_id=OPEN_IN_PLANETSCALE_ID, url=html_url))
    return buttons
