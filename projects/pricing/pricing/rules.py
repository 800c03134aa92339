"""Discount rules and the function that prices a basket with them.

Rules apply in a fixed order, each to what is left after the previous ones:
item rules (percentages off SKUs, buy-N-get-M), then basket rules (a
percentage off baskets over a minimum), then at most one coupon. Every
discount is rounded half-up to the cent and never takes the total below zero.
Minimum-basket thresholds compare against the subtotal before discounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pricing.model import Discount, InvalidRequest, Line, Quote
from pricing.money import ZERO, format_amount, round_cents

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PercentOff:
    """A percentage off every line of the listed SKUs."""

    id: str
    percent: Decimal
    skus: frozenset[str]

    def describe(self) -> str:
        """The rule in words."""
        return f"{self.percent}% off {', '.join(sorted(self.skus))}"

    def amount(
        self, lines: Sequence[Line], subtotal: Decimal, left: Decimal
    ) -> Decimal:
        """The reduction for this basket."""
        base = sum((line.total for line in lines if line.sku in self.skus), ZERO)
        return base * self.percent / HUNDRED


@dataclass(frozen=True)
class BuyNGetM:
    """For every `buy` units of a SKU, `free` more units cost nothing."""

    id: str
    sku: str
    buy: int
    free: int

    def describe(self) -> str:
        """The rule in words."""
        return f"Buy {self.buy} {self.sku}, get {self.free} free"

    def amount(
        self, lines: Sequence[Line], subtotal: Decimal, left: Decimal
    ) -> Decimal:
        """The reduction for this basket: the price of the free units."""
        group = self.buy + self.free
        free_units = sum(
            line.quantity // group * self.free for line in lines if line.sku == self.sku
        )
        prices = [line.unit_price for line in lines if line.sku == self.sku]
        return prices[0] * free_units if prices else ZERO


@dataclass(frozen=True)
class MinimumBasket:
    """A percentage off what is left, for baskets whose subtotal reaches a minimum."""

    id: str
    minimum: Decimal
    percent: Decimal

    def describe(self) -> str:
        """The rule in words."""
        return f"{self.percent}% off baskets of {format_amount(self.minimum)} or more"

    def amount(
        self, lines: Sequence[Line], subtotal: Decimal, left: Decimal
    ) -> Decimal:
        """The reduction for this basket."""
        return left * self.percent / HUNDRED if subtotal >= self.minimum else ZERO


@dataclass(frozen=True)
class Coupon:
    """A code worth a percentage and/or a fixed amount, above an optional minimum."""

    code: str
    percent: Decimal = ZERO
    amount_off: Decimal = ZERO
    minimum: Decimal = ZERO

    @property
    def id(self) -> str:
        """The rule name shown on a quote."""
        return f"coupon:{self.code}"

    def describe(self) -> str:
        """The coupon in words."""
        worth = (
            f"{self.percent}% off"
            if self.percent
            else f"{format_amount(self.amount_off)} off"
        )
        if self.minimum:
            return f"{worth} baskets of {format_amount(self.minimum)} or more"
        return worth

    def amount(
        self, lines: Sequence[Line], subtotal: Decimal, left: Decimal
    ) -> Decimal:
        """The reduction for this basket; a basket under the minimum is refused."""
        if subtotal < self.minimum:
            needed = format_amount(self.minimum)
            raise InvalidRequest(
                "coupon", f"{self.code} needs a basket of at least {needed}"
            )
        return left * self.percent / HUNDRED + self.amount_off


Rule = PercentOff | BuyNGetM | MinimumBasket | Coupon


@dataclass(frozen=True)
class RuleSet:
    """The rules in force: item rules, basket rules and coupons."""

    item_rules: tuple[PercentOff | BuyNGetM, ...] = ()
    basket_rules: tuple[MinimumBasket, ...] = ()
    coupons: tuple[Coupon, ...] = ()

    def coupon(self, code: str) -> Coupon:
        """The coupon for a code, ignoring case; unknown codes are a client error."""
        for coupon in self.coupons:
            if coupon.code == code.upper():
                return coupon
        raise InvalidRequest("coupon", f"{code!r} is not a known coupon code")

    def describe(self) -> list[dict[str, str]]:
        """Every rule and coupon, in the order they apply."""
        rules: Iterable[Rule] = (*self.item_rules, *self.basket_rules, *self.coupons)
        return [{"rule": rule.id, "description": rule.describe()} for rule in rules]


DEFAULT_RULES = RuleSet(
    item_rules=(
        BuyNGetM("socks-3-for-2", sku="SOCKS", buy=2, free=1),
        PercentOff(
            "summer-sale", percent=Decimal(20), skus=frozenset({"TEE", "SHORTS"})
        ),
    ),
    basket_rules=(
        MinimumBasket("big-basket", minimum=Decimal(100), percent=Decimal(5)),
    ),
    coupons=(
        Coupon("SAVE10", percent=Decimal(10)),
        Coupon("FIVEOFF", amount_off=Decimal(5), minimum=Decimal(25)),
    ),
)


def price(
    lines: Sequence[Line], coupon_code: str | None, rules: RuleSet = DEFAULT_RULES
) -> Quote:
    """Price a basket: the subtotal, then each discount in rule order."""
    applied: list[Rule] = [*rules.item_rules, *rules.basket_rules]
    if coupon_code:
        applied.append(rules.coupon(coupon_code))
    subtotal = round_cents(sum((line.total for line in lines), ZERO))
    left, discounts = subtotal, []
    for rule in applied:
        amount = min(round_cents(rule.amount(lines, subtotal, left)), left)
        if amount > ZERO:
            discounts.append(Discount(rule.id, rule.describe(), amount))
            left -= amount
    return Quote(tuple(lines), subtotal, tuple(discounts))
