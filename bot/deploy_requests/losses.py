"""What deploying a deploy request's schema changes would lose: dropped tables, dropped columns, narrowed columns.

PlanetScale flags each operation that "can drop data" (`can_drop_data`, as in the examples of
https://planetscale.com/docs/api/webhook-events: an `ALTER … DROP COLUMN` carries `true`); the DDL says what. Where
the flag is missing, the DDL alone decides, and only for what it states plainly (a dropped table or column).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class LossKind(StrEnum):
    TABLE = "table"  # the table and every row in it
    COLUMNS = "columns"  # the columns and their values
    NARROWED = "narrowed"  # columns whose new type may not hold every value they hold now
    DATA = "data"  # PlanetScale says data can be lost, the DDL does not say what


@dataclass(frozen=True)
class Loss:
    table: str
    kind: LossKind
    columns: tuple[str, ...] = ()


class Change(Protocol):
    @property
    def table(self) -> str | None: ...

    @property
    def operation(self) -> str | None: ...

    @property
    def ddl(self) -> str | None: ...

    @property
    def can_drop_data(self) -> bool | None: ...


_NAME = r"`((?:[^`]|``)+)`|([\w$]+)"
_KEEPS_DATA = r"(?:INDEX|KEY|UNIQUE|PRIMARY|FOREIGN|CHECK|CONSTRAINT|PARTITION|DEFAULT|FULLTEXT|SPATIAL)\b"
_DROP_TABLE = re.compile(r"^\s*DROP\s+TABLE\b", re.IGNORECASE)
_DROP_COLUMN = re.compile(rf"\bDROP\s+(?:COLUMN\s+)?(?!{_KEEPS_DATA})(?:{_NAME})", re.IGNORECASE)
_MODIFY_COLUMN = re.compile(
    rf"\b(?:MODIFY\s+(?:COLUMN\s+)?(?:{_NAME})|CHANGE\s+(?:COLUMN\s+)?(?:{_NAME})\s)", re.IGNORECASE
)


def _names(pattern: re.Pattern[str], ddl: str) -> tuple[str, ...]:
    found: list[str] = []
    for match in pattern.finditer(ddl):
        name = next((group for group in match.groups() if group), "")
        name = name.replace("``", "`")
        if name and name not in found:
            found.append(name)
    return tuple(found)


def loss_of(change: Change) -> Loss | None:
    if change.can_drop_data is False:
        return None
    table = change.table or "?"
    ddl = change.ddl or ""
    if (change.operation or "").upper() == "DROP" or _DROP_TABLE.match(ddl):
        return Loss(table, LossKind.TABLE)
    dropped = _names(_DROP_COLUMN, ddl)
    if dropped:
        return Loss(table, LossKind.COLUMNS, dropped)
    if not change.can_drop_data:
        return None  # no flag, and the DDL drops nothing it names
    modified = _names(_MODIFY_COLUMN, ddl)
    return Loss(table, LossKind.NARROWED, modified) if modified else Loss(table, LossKind.DATA)


def losses(changes: Iterable[Change]) -> tuple[Loss, ...]:
    """What the changes would lose, one entry per table that loses something, in the changes' order."""
    return tuple(loss for loss in map(loss_of, changes) if loss is not None)
