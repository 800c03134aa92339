"""Money parsing, rounding and formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricing.money import format_amount, parse_amount, round_cents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Decimal(0)),
        ("12", Decimal(12)),
        ("12.5", Decimal("12.5")),
        ("12.50", Decimal("12.50")),
        ("0.01", Decimal("0.01")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_parse_amount_accepts(text: str, expected: Decimal) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        ".5",
        "5.",
        "-1",
        "+1",
        "1.234",
        "1e3",
        " 1",
        "1 ",
        "1,00",
        "NaN",
        "١٢",
        12.5,
        12,
        None,
    ],
)
def test_parse_amount_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="decimal string"):
        parse_amount(value)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("2.675", "2.68"),
        ("0.004", "0.00"),
        ("7", "7.00"),
    ],
)
def test_rounds_half_up(amount: str, expected: str) -> None:
    assert format_amount(Decimal(amount)) == expected
    assert round_cents(Decimal(amount)) == Decimal(expected)
