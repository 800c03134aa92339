"""A SIGTERM stops each service cleanly, and orders finishes what it accepted."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from contract_tests import services
from contract_tests.http import call
from contract_tests.processes import Fleet, stop
from contract_tests.webhooks import Receiver


def argv_for(
    name: str, bins: dict[str, Path], pricing_url: str, hook: str
) -> services.Argv:
    if name == "catalog":
        return services.catalog(bins)
    if name == "pricing":
        return services.pricing()
    return services.orders(bins, pricing_url, hook)


@pytest.mark.parametrize(
    ("name", "farewell"),
    [
        ("catalog", "catalog stopped cleanly"),
        ("pricing", "pricing stopped"),
        ("orders", "orders stopped cleanly"),
    ],
)
def test_sigterm_is_a_clean_exit(
    own_fleet: Fleet,
    bins: dict[str, Path],
    pricing,
    receiver: Receiver,
    secret: bytes,
    name: str,
    farewell: str,
) -> None:
    argv = argv_for(name, bins, pricing.base_url, receiver.url)
    service = own_fleet.start(
        name, argv, env={"ORDERS_WEBHOOK_SECRET": secret.decode()}
    )
    assert stop(service) == 0
    assert farewell in service.log_text()


def test_orders_drains_its_queue_before_exiting(
    own_fleet: Fleet, bins: dict[str, Path], pricing, receiver: Receiver, secret: bytes
) -> None:
    argv = services.orders(bins, pricing.base_url, receiver.url)
    orders = own_fleet.start(
        "orders", argv, env={"ORDERS_WEBHOOK_SECRET": secret.decode()}
    )
    items = [{"sku": "MUG", "quantity": 1, "unit_price": "8.50"}]
    placed = [
        call(
            "POST",
            orders.base_url + "/orders",
            {"customer": f"late-{uuid.uuid4().hex[:6]}", "items": items},
        ).json()
        for _ in range(5)
    ]
    assert stop(orders) == 0
    # Every accepted order was priced and announced before the process exited.
    for order in placed:
        events = [d.event for d in receiver.for_order(order) if d.status == 204]
        assert [e["type"] for e in events] == ["order.completed"]
