"""The whole journey: products from the catalog, a quote from pricing, an order
placed with orders, and the signed webhook that announces what became of it."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from contract_tests import services, signing
from contract_tests.http import call
from contract_tests.processes import Fleet, Service, free_port
from contract_tests.webhooks import Delivery, Receiver

PRODUCTS = {"SOCKS": "4.00", "TEE": "15.00", "MUG": "8.50"}


@pytest.fixture(scope="module")
def prices(catalog: Service) -> dict[str, str]:
    """Stock the catalog and return each SKU's price as the catalog states it."""
    for sku, price in PRODUCTS.items():
        body = {"sku": sku, "name": sku.title(), "price": price, "stock": 100}
        answer = call("POST", catalog.base_url + "/products", body)
        assert answer.status in (201, 409), answer.text
    listed = call("GET", catalog.base_url + "/products?limit=100").json()["items"]
    return {p["sku"]: p["price"] for p in listed if p["sku"] in PRODUCTS}


def basket(
    prices: dict[str, str], quantities: dict[str, int]
) -> list[dict[str, object]]:
    return [
        {"sku": sku, "quantity": qty, "unit_price": prices[sku]}
        for sku, qty in quantities.items()
    ]


def place(
    orders: Service, items: list[dict[str, object]], coupon: str | None = None
) -> dict:
    body: dict[str, object] = {"customer": f"c-{uuid.uuid4().hex[:8]}", "items": items}
    if coupon:
        body["coupon"] = coupon
    answer = call("POST", orders.base_url + "/orders", body)
    assert answer.status == 202, answer.text
    placed = answer.json()
    assert answer.headers["location"] == "/orders/" + placed["id"]
    assert placed["status"] == "pending"
    return placed


def verified(delivery: Delivery, secret: bytes) -> dict:
    signing.verify(secret, delivery.headers["x-signature"], delivery.body, time.time())
    return delivery.event


@pytest.mark.parametrize(
    ("quantities", "coupon", "total"),
    [
        pytest.param({"SOCKS": 3}, "SAVE10", "7.20", id="3-for-2 then 10% coupon"),
        pytest.param({"TEE": 2, "MUG": 1}, None, "32.50", id="summer sale"),
        pytest.param({"MUG": 12}, None, "96.90", id="big basket"),
        pytest.param(
            {"TEE": 1, "MUG": 2}, "FIVEOFF", "24.00", id="sale then fixed coupon"
        ),
    ],
)
def test_order_is_priced_and_announced(
    prices: dict[str, str],
    pricing: Service,
    orders: Service,
    receiver: Receiver,
    secret: bytes,
    quantities: dict[str, int],
    coupon: str | None,
    total: str,
) -> None:
    items = basket(prices, quantities)
    quote_body = {"items": items, "coupon": coupon} if coupon else {"items": items}
    quote = call("POST", pricing.base_url + "/v1/quote", quote_body).json()
    assert quote["total"] == total

    placed = place(orders, items, coupon)
    delivery = receiver.wait_for(placed)
    event = verified(delivery, secret)
    assert event["type"] == "order.completed"
    assert delivery.headers["x-webhook-event"] == "order.completed"
    assert delivery.headers["x-webhook-id"] == event["id"]
    announced = event["order"]
    assert (announced["subtotal"], announced["discount_total"], announced["total"]) == (
        quote["subtotal"],
        quote["discount_total"],
        quote["total"],
    )
    stored = call("GET", orders.base_url + "/orders/" + placed["id"]).json()
    assert (stored["status"], stored["total"]) == ("completed", total)


def test_rejected_order_is_announced_as_failed(
    prices: dict[str, str], orders: Service, receiver: Receiver, secret: bytes
) -> None:
    placed = place(orders, basket(prices, {"MUG": 1}), coupon="NOPE")
    event = verified(receiver.wait_for(placed), secret)
    assert event["type"] == "order.failed"
    assert event["order"]["reason"] == "coupon 'NOPE' is not a known coupon code"
    stored = call("GET", orders.base_url + "/orders/" + placed["id"]).json()
    assert stored["status"] == "failed"
    assert "total" not in stored


def test_webhook_is_retried_after_a_receiver_error(
    prices: dict[str, str], orders: Service, receiver: Receiver, secret: bytes
) -> None:
    customer = f"flaky-{uuid.uuid4().hex[:8]}"
    receiver.refuse(customer, times=2)
    body = {"customer": customer, "items": basket(prices, {"SOCKS": 1})}
    placed = call("POST", orders.base_url + "/orders", body).json()
    receiver.wait_for(placed, status=204)
    tries = receiver.for_order(placed)
    assert [d.status for d in tries] == [503, 503, 204]
    assert len({d.headers["x-webhook-id"] for d in tries}) == 1
    for delivery in tries:
        verified(delivery, secret)


def test_signature_is_bound_to_body_secret_and_time(
    prices: dict[str, str], orders: Service, receiver: Receiver, secret: bytes
) -> None:
    placed = place(orders, basket(prices, {"TEE": 1}))
    delivery = receiver.wait_for(placed)
    header = delivery.headers["x-signature"]
    signed_at, _ = signing.parse(header)
    assert abs(time.time() - signed_at) < 60
    tampered = delivery.body.replace(b'"completed"', b'"failed"')
    attempts = [
        (secret, tampered, time.time()),
        (b"not-the-secret", delivery.body, time.time()),
        (secret, delivery.body, time.time() + 3600),  # a replay an hour later
    ]
    for key, body, now in attempts:
        with pytest.raises(signing.SignatureError):
            signing.verify(key, header, body, now)


def test_status_page_lists_orders(
    prices: dict[str, str], orders: Service, receiver: Receiver
) -> None:
    placed = place(orders, basket(prices, {"MUG": 1}))
    receiver.wait_for(placed)
    answer = call("GET", orders.base_url + "/")
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<a href="/orders/{placed["id"]}">' in answer.text
    assert "completed" in answer.text


def test_orders_fail_cleanly_when_pricing_is_down(
    own_fleet: Fleet,
    bins: dict[str, Path],
    receiver: Receiver,
    secret: bytes,
    prices: dict[str, str],
) -> None:
    dead_pricing = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    argv = services.orders(bins, dead_pricing, receiver.url)
    lonely = own_fleet.start(
        "orders", argv, env={"ORDERS_WEBHOOK_SECRET": secret.decode()}
    )
    placed = place(lonely, basket(prices, {"MUG": 1}))
    event = verified(receiver.wait_for(placed), secret)
    assert event["type"] == "order.failed"
    assert event["order"]["reason"].startswith("pricing unavailable: ")
    assert call("GET", lonely.base_url + "/readyz").status == 503
