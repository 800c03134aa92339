"""Every service is up, says so, and tags responses with a request ID."""

from __future__ import annotations

import pytest

from contract_tests.http import call
from contract_tests.processes import Service


@pytest.mark.parametrize("name", ["catalog", "pricing", "orders"])
def test_health(name: str, request: pytest.FixtureRequest) -> None:
    service: Service = request.getfixturevalue(name)
    answer = call("GET", service.base_url + "/healthz")
    assert answer.status == 200
    assert answer.json()["status"] == "ok"
    assert answer.headers["content-type"].startswith("application/json")


def test_orders_is_ready_when_pricing_answers(orders: Service) -> None:
    answer = call("GET", orders.base_url + "/readyz")
    assert (answer.status, answer.json()) == (
        200,
        {"status": "ok", "checks": {"pricing": "ok"}},
    )


@pytest.mark.parametrize("name", ["catalog", "orders"])
@pytest.mark.parametrize(
    ("sent", "kept"), [("contract-req-1", True), ("bad id with spaces", False)]
)
def test_request_id(
    name: str, sent: str, kept: bool, request: pytest.FixtureRequest
) -> None:
    service: Service = request.getfixturevalue(name)
    answer = call("GET", service.base_url + "/healthz", headers={"X-Request-ID": sent})
    echoed = answer.headers["x-request-id"]
    assert (echoed == sent) is kept
    assert echoed
