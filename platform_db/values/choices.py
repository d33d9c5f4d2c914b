"""Choices enums enforced by PostgreSQL.

Piccolo validates ``choices`` only in Python and its ``is_in`` renders broken
SQL inside a ``Check`` (see PICCOLO_NOTES.md), so each enum column also gets
a CHECK built here from the enum's values.
"""

from __future__ import annotations

from enum import Enum

from piccolo.constraints import Check

from platform_db.values.rejections import DataRejected


def sql_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def values_check(column: str, choices: type[Enum], nullable: bool = False) -> Check:
    """``CHECK ("column" IN (...values...))`` for a Choices enum."""
    values = ", ".join(sql_literal(member.value) for member in choices)
    condition = f'"{column}" IN ({values})'
    if nullable:
        condition = f'"{column}" IS NULL OR {condition}'
    return Check(condition)


class InvalidChoice(DataRejected):
    """A value outside a column's Choices enum."""

    def __init__(self, table: str, column: str, value, choices: type[Enum]):
        allowed = ", ".join(repr(m.value) for m in choices)
        super().__init__(table, column, value, f"allowed values are {allowed}")


def coerce(table: str, column: str, value, choices: type[Enum]) -> Enum:
    """The enum member for ``value``, or ``InvalidChoice`` naming the column."""
    try:
        return choices(value)
    except ValueError:
        raise InvalidChoice(table, column, value, choices) from None
