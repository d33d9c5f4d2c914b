"""Phone numbers as the business tables store them: digits only
(``79001234567``), the form WhatsApp and YClients identify people by."""

from __future__ import annotations

import re

from platform_db.values.rejections import DataRejected

# What people type around the digits: "+7 (900) 123-45-67".
_DECORATION = re.compile(r"[+\s\-().]")
_DIGITS = re.compile(r"[0-9]{10,15}")


class InvalidPhone(DataRejected):
    """A phone number that is not 10 to 15 digits once decoration is removed."""

    def __init__(self, table: str, column: str, value):
        super().__init__(
            table,
            column,
            value,
            "a phone number must be 10 to 15 digits "
            "(spaces, '+', '-', '.' and brackets are removed first)",
        )


def normalize_phone(value, table: str, column: str = "phone") -> str:
    """``value`` as digits only, or ``InvalidPhone`` naming the column."""
    if not isinstance(value, str):
        raise InvalidPhone(table, column, value)
    digits = _DECORATION.sub("", value)
    if not _DIGITS.fullmatch(digits):
        raise InvalidPhone(table, column, value)
    return digits


# The database's CHECK, the same rule as normalize_phone's result.
PHONE_CHECK = "phone ~ '^[0-9]{10,15}$'"
