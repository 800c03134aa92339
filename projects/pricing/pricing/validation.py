"""Turns a decoded JSON request body into basket lines, or says what is wrong."""

from __future__ import annotations

import re

from pricing.model import InvalidRequest, Line
from pricing.money import ZERO, parse_amount

MAX_ITEMS = 100
MAX_QUANTITY = 10_000
_SKU = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")
_COUPON = re.compile(r"[A-Za-z0-9-]{1,32}")
_BASKET_FIELDS = frozenset({"items", "coupon"})
_LINE_FIELDS = frozenset({"sku", "quantity", "unit_price"})


def parse_basket(data: object) -> tuple[list[Line], str | None]:
    """The lines and coupon code of a quote request."""
    if not isinstance(data, dict):
        raise InvalidRequest("", "request body must be a JSON object")
    _reject_unknown(data, _BASKET_FIELDS, "")
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidRequest("items", f"must be a list of 1 to {MAX_ITEMS} items")
    lines = [parse_line(item, f"items[{i}]") for i, item in enumerate(items)]
    _reject_duplicates(lines)
    return lines, parse_coupon(data.get("coupon"))


def parse_line(item: object, field: str) -> Line:
    """One basket line; `field` names it in errors, e.g. "items[2]"."""
    if not isinstance(item, dict):
        raise InvalidRequest(
            field, "must be an object with sku, quantity and unit_price"
        )
    _reject_unknown(item, _LINE_FIELDS, field + ".")
    sku = item.get("sku")
    if not isinstance(sku, str) or not _SKU.fullmatch(sku):
        raise InvalidRequest(
            f"{field}.sku", "must be 2 to 32 upper-case letters, digits or hyphens"
        )
    quantity = item.get("quantity")
    # bool is an int subclass, and true must not count as a quantity of 1.
    if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidRequest(
            f"{field}.quantity", f"must be a whole number from 1 to {MAX_QUANTITY}"
        )
    try:
        unit_price = parse_amount(item.get("unit_price"))
    except ValueError as exc:
        raise InvalidRequest(f"{field}.unit_price", str(exc)) from None
    if unit_price == ZERO:
        raise InvalidRequest(f"{field}.unit_price", "must be greater than 0")
    return Line(sku, quantity, unit_price)


def parse_coupon(coupon: object) -> str | None:
    """The coupon code, if one was given."""
    if coupon is None:
        return None
    if not isinstance(coupon, str) or not _COUPON.fullmatch(coupon):
        raise InvalidRequest("coupon", "must be 1 to 32 letters, digits or hyphens")
    return coupon


def _reject_unknown(
    data: dict[str, object], known: frozenset[str], prefix: str
) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidRequest(prefix + unknown[0], "is not a known field")


def _reject_duplicates(lines: list[Line]) -> None:
    first: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.sku in first:
            where = f"items[{first[line.sku]}]"
            raise InvalidRequest(
                f"items[{i}].sku", f"repeats {where}; add up the quantities instead"
            )
        first[line.sku] = i
