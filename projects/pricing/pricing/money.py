"""Money as Decimal, read from and written as strings with two decimals.

Amounts never pass through a float: clients send "12.50", not 12.5.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
AMOUNT_HINT = 'must be a decimal string with at most 2 decimals, such as "12.50"'

# [0-9] rather than \d, which would also accept other scripts' digits.
_AMOUNT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")


def parse_amount(value: object) -> Decimal:
    """A non-negative amount from a string such as "12.50"; ValueError otherwise."""
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise ValueError(AMOUNT_HINT)
    return Decimal(value)


def round_cents(amount: Decimal) -> Decimal:
    """The amount rounded half-up to whole cents."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal) -> str:
    """The amount as a string with exactly two decimals."""
    return f"{round_cents(amount):.2f}"
