"""Pricing baskets with the default rules and with custom ones."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricing.model import InvalidRequest, Line
from pricing.rules import Coupon, PercentOff, RuleSet, price


def basket(*items: tuple[str, int, str]) -> list[Line]:
    return [Line(sku, qty, Decimal(unit)) for sku, qty, unit in items]


@pytest.mark.parametrize(
    ("items", "coupon", "expected_discounts", "expected_total"),
    [
        pytest.param([("MUG", 2, "10.00")], None, {}, "20.00", id="no discount"),
        pytest.param(
            [("SOCKS", 3, "4.00")],
            None,
            {"socks-3-for-2": "4.00"},
            "8.00",
            id="3 for 2",
        ),
        pytest.param(
            [("SOCKS", 2, "4.00")], None, {}, "8.00", id="2 socks are full price"
        ),
        pytest.param(
            [("SOCKS", 7, "4.00")],
            None,
            {"socks-3-for-2": "8.00"},
            "20.00",
            id="7 socks, 2 free",
        ),
        pytest.param(
            [("TEE", 1, "15.00")], None, {"summer-sale": "3.00"}, "12.00", id="sale"
        ),
        pytest.param(
            [("TEE", 3, "9.99")],
            None,
            {"summer-sale": "5.99"},
            "23.98",
            id="sale rounds",
        ),
        pytest.param(
            [("MUG", 1, "100.00")],
            None,
            {"big-basket": "5.00"},
            "95.00",
            id="big basket",
        ),
        pytest.param(
            [("MUG", 1, "99.99")], None, {}, "99.99", id="just under big basket"
        ),
        pytest.param(
            [("TEE", 1, "125.00")],
            None,
            {"summer-sale": "25.00", "big-basket": "5.00"},
            "95.00",
            id="big basket applies to what the sale left",
        ),
        pytest.param(
            [("MUG", 2, "10.00")],
            "SAVE10",
            {"coupon:SAVE10": "2.00"},
            "18.00",
            id="percent coupon",
        ),
        pytest.param(
            [("MUG", 2, "10.00")],
            "save10",
            {"coupon:SAVE10": "2.00"},
            "18.00",
            id="code any case",
        ),
        pytest.param(
            [("MUG", 1, "25.00")],
            "FIVEOFF",
            {"coupon:FIVEOFF": "5.00"},
            "20.00",
            id="fixed coupon",
        ),
        pytest.param(
            [("SOCKS", 3, "4.00"), ("MUG", 1, "10.00")],
            "SAVE10",
            {"socks-3-for-2": "4.00", "coupon:SAVE10": "1.80"},
            "16.20",
            id="coupon after item rules",
        ),
    ],
)
def test_default_rules(
    items: list[tuple[str, int, str]],
    coupon: str | None,
    expected_discounts: dict[str, str],
    expected_total: str,
) -> None:
    quote = price(basket(*items), coupon)
    assert {d.rule: f"{d.amount:.2f}" for d in quote.discounts} == expected_discounts
    assert f"{quote.total:.2f}" == expected_total
    assert quote.subtotal - quote.discount_total == quote.total


@pytest.mark.parametrize(
    ("coupon", "message"),
    [
        ("NOPE", "coupon 'NOPE' is not a known coupon code"),
        ("FIVEOFF", "coupon FIVEOFF needs a basket of at least 25.00"),
    ],
)
def test_coupon_refusals(coupon: str, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        price(basket(("MUG", 1, "24.99")), coupon)
    assert caught.value.field == "coupon"
    assert str(caught.value) == message


def test_total_never_below_zero() -> None:
    rules = RuleSet(coupons=(Coupon("BIG", amount_off=Decimal(50)),))
    quote = price(basket(("MUG", 1, "30.00")), "BIG", rules)
    assert [d.amount for d in quote.discounts] == [Decimal("30.00")]
    assert quote.total == Decimal("0.00")


def test_tiny_percent_rounds_half_up() -> None:
    rules = RuleSet(item_rules=(PercentOff("ten", Decimal(10), frozenset({"PIN"})),))
    quote = price(basket(("PIN", 1, "0.05")), None, rules)
    assert quote.discounts[0].amount == Decimal("0.01")
    assert quote.to_json()["total"] == "0.04"


def test_quote_json_is_all_strings() -> None:
    body = price(basket(("SOCKS", 3, "4.5")), "SAVE10").to_json()
    assert body == {
        "lines": [
            {"sku": "SOCKS", "quantity": 3, "unit_price": "4.50", "total": "13.50"}
        ],
        "subtotal": "13.50",
        "discounts": [
            {
                "rule": "socks-3-for-2",
                "description": "Buy 2 SOCKS, get 1 free",
                "amount": "4.50",
            },
            {"rule": "coupon:SAVE10", "description": "10% off", "amount": "0.90"},
        ],
        "discount_total": "5.40",
        "total": "8.10",
    }
