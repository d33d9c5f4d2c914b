import pytest

from business.phones import InvalidPhone, normalize_phone


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("79001234567", "79001234567"),
        ("+7 (900) 123-45-67", "79001234567"),
        ("8.900.123.45.67", "89001234567"),
        ("+44 20 7946 0958", "442079460958"),
    ],
)
def test_decoration_is_removed(typed, stored):
    assert normalize_phone(typed, "clients") == stored


@pytest.mark.parametrize("typed", ["", "12345", "+7 900 CALL-NOW", "7900123456789012", None, 7900])
def test_anything_else_is_refused_naming_table_column_and_value(typed):
    with pytest.raises(InvalidPhone) as error:
        normalize_phone(typed, "clients")
    assert str(error.value).startswith(f"clients.phone = {typed!r} rejected: ")
    assert (error.value.table, error.value.column, error.value.value) == ("clients", "phone", typed)
