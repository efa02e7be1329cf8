"""What deploying schema changes would lose, read from PlanetScale's `can_drop_data` and the DDL."""

from __future__ import annotations

from bot.deploy_requests.losses import Loss, LossKind, losses
from bot.deploy_requests.summary import Operation


def _op(ddl: str, *, operation: str = "ALTER", table: str = "t", can_drop_data: bool | None = None) -> Operation:
    return Operation(table=table, operation=operation, ddl=ddl, can_drop_data=can_drop_data)


def test_dropped_tables_and_columns_are_named() -> None:
    assert losses([_op("DROP TABLE `t`", operation="DROP", can_drop_data=True)]) == (Loss("t", LossKind.TABLE),)
    dropped = losses([_op("ALTER TABLE `t` DROP COLUMN `a`, DROP b, DROP INDEX i, DROP FOREIGN KEY f")])
    assert dropped == (Loss("t", LossKind.COLUMNS, ("a", "b")),)
    assert losses([_op("ALTER TABLE `t` DROP COLUMN `we``ird`", can_drop_data=True)]) == (
        Loss("t", LossKind.COLUMNS, ("we`ird",)),
    )


def test_planetscale_flag_decides_what_the_ddl_cannot() -> None:
    narrowed = losses([_op("ALTER TABLE `t` MODIFY COLUMN `name` varchar(10)", can_drop_data=True)])
    assert narrowed == (Loss("t", LossKind.NARROWED, ("name",)),)
    assert losses([_op("ALTER TABLE `t` ENGINE=InnoDB", can_drop_data=True)]) == (Loss("t", LossKind.DATA),)
    assert losses([_op("ALTER TABLE `t` DROP COLUMN `a`", can_drop_data=False)]) == ()  # PlanetScale says no
    assert losses([_op("ALTER TABLE `t` MODIFY `name` text")]) == ()  # widening, and no flag: nothing claimed
    assert losses([_op("ALTER TABLE `t` DROP INDEX `i`")]) == ()
