"""The pricing vocabulary: basket lines, discounts, quotes and request errors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pricing.money import ZERO, format_amount


class InvalidRequest(Exception):
    """A client mistake, reported as a 4xx with the offending field."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field} {message}" if field else message)
        self.field = field
        self.message = message
        self.status = status

    def to_json(self) -> dict[str, object]:
        """The error body: a sentence, plus the field when there is one."""
        body: dict[str, object] = {"error": str(self)}
        if self.field:
            body["fields"] = {self.field: self.message}
        return body


@dataclass(frozen=True)
class Line:
    """One basket line."""

    sku: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        """Unit price times quantity."""
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Discount:
    """One rule's reduction of the price."""

    rule: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    """A priced basket."""

    lines: tuple[Line, ...]
    subtotal: Decimal
    discounts: tuple[Discount, ...]

    @property
    def discount_total(self) -> Decimal:
        """All discounts added up."""
        return sum((d.amount for d in self.discounts), ZERO)

    @property
    def total(self) -> Decimal:
        """What the customer pays."""
        return self.subtotal - self.discount_total

    def to_json(self) -> dict[str, object]:
        """The quote with every amount as a two-decimal string."""
        return {
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": format_amount(line.unit_price),
                    "total": format_amount(line.total),
                }
                for line in self.lines
            ],
            "subtotal": format_amount(self.subtotal),
            "discounts": [
                {
                    "rule": d.rule,
                    "description": d.description,
                    "amount": format_amount(d.amount),
                }
                for d in self.discounts
            ],
            "discount_total": format_amount(self.discount_total),
            "total": format_amount(self.total),
        }
