"""The HTTP API through Flask's test client."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from pricing.app import MAX_BODY

SOCKS = {"sku": "SOCKS", "quantity": 3, "unit_price": "4.00"}


def post(client: FlaskClient, body: object) -> tuple[int, dict[str, object]]:
    response = client.post("/v1/quote", json=body)
    return response.status_code, response.get_json()


def test_health(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_rules_listed_in_order(client: FlaskClient) -> None:
    rules = client.get("/v1/rules").get_json()["rules"]
    assert [r["rule"] for r in rules] == [
        "socks-3-for-2",
        "summer-sale",
        "big-basket",
        "coupon:SAVE10",
        "coupon:FIVEOFF",
    ]
    assert rules[2]["description"] == "5% off baskets of 100.00 or more"


def test_quote(client: FlaskClient) -> None:
    status, body = post(client, {"items": [SOCKS], "coupon": "SAVE10"})
    assert status == 200
    assert body["subtotal"] == "12.00"
    assert [d["amount"] for d in body["discounts"]] == ["4.00", "0.80"]
    assert (body["discount_total"], body["total"]) == ("4.80", "7.20")


def test_quote_without_coupon_field(client: FlaskClient) -> None:
    status, body = post(
        client, {"items": [{"sku": "MUG", "quantity": 1, "unit_price": "3"}]}
    )
    assert (status, body["total"], body["discounts"]) == (200, "3.00", [])


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param(
            [SOCKS], None, "request body must be a JSON object", id="array body"
        ),
        pytest.param({}, "items", "must be a list of 1 to 100 items", id="no items"),
        pytest.param(
            {"items": []}, "items", "must be a list of 1 to 100 items", id="empty items"
        ),
        pytest.param(
            {"items": [SOCKS] * 101},
            "items",
            "must be a list of 1 to 100 items",
            id="too many",
        ),
        pytest.param(
            {"items": [SOCKS], "discount": "x"},
            "discount",
            "is not a known field",
            id="unknown",
        ),
        pytest.param(
            {"items": ["SOCKS"]},
            "items[0]",
            "must be an object with sku, quantity and unit_price",
            id="item not object",
        ),
        pytest.param(
            {"items": [{**SOCKS, "colour": "red"}]},
            "items[0].colour",
            "is not a known field",
            id="unknown item field",
        ),
        pytest.param(
            {"items": [{**SOCKS, "sku": "socks"}]},
            "items[0].sku",
            "must be 2 to 32 upper-case letters, digits or hyphens",
            id="lower-case sku",
        ),
        pytest.param(
            {"items": [{**SOCKS, "quantity": 0}]},
            "items[0].quantity",
            "must be a whole number from 1 to 10000",
            id="zero quantity",
        ),
        pytest.param(
            {"items": [{**SOCKS, "quantity": True}]},
            "items[0].quantity",
            "must be a whole number from 1 to 10000",
            id="boolean quantity",
        ),
        pytest.param(
            {"items": [{**SOCKS, "quantity": 2.0}]},
            "items[0].quantity",
            "must be a whole number from 1 to 10000",
            id="float quantity",
        ),
        pytest.param(
            {"items": [{**SOCKS, "unit_price": 4.0}]},
            "items[0].unit_price",
            'must be a decimal string with at most 2 decimals, such as "12.50"',
            id="price as number",
        ),
        pytest.param(
            {"items": [{**SOCKS, "unit_price": "4.001"}]},
            "items[0].unit_price",
            'must be a decimal string with at most 2 decimals, such as "12.50"',
            id="three decimals",
        ),
        pytest.param(
            {"items": [{**SOCKS, "unit_price": "0.00"}]},
            "items[0].unit_price",
            "must be greater than 0",
            id="free item",
        ),
        pytest.param(
            {"items": [SOCKS, SOCKS]},
            "items[1].sku",
            "repeats items[0]; add up the quantities instead",
            id="duplicate sku",
        ),
        pytest.param(
            {"items": [SOCKS], "coupon": 10},
            "coupon",
            "must be 1 to 32 letters, digits or hyphens",
            id="numeric coupon",
        ),
        pytest.param(
            {"items": [SOCKS], "coupon": "NOPE"},
            "coupon",
            "'NOPE' is not a known coupon code",
            id="unknown coupon",
        ),
    ],
)
def test_invalid_quote(
    client: FlaskClient, body: object, field: str | None, message: str
) -> None:
    status, answer = post(client, body)
    assert status == 400
    if field is None:
        assert answer == {"error": message}
    else:
        assert answer == {"error": f"{field} {message}", "fields": {field: message}}


@pytest.mark.parametrize(
    ("data", "content_type", "status", "error"),
    [
        pytest.param(
            '{"items": [', "application/json", 400, "malformed JSON", id="truncated"
        ),
        pytest.param(
            '{"items": NaN}', "application/json", 400, "NaN is not valid JSON", id="NaN"
        ),
        pytest.param(
            b"\xff\xfe", "application/json", 400, "malformed JSON", id="not UTF-8"
        ),
        pytest.param(
            "items=1",
            "application/x-www-form-urlencoded",
            415,
            "Content-Type",
            id="form",
        ),
        pytest.param(
            "x" * (MAX_BODY + 1),
            "application/json",
            413,
            "must not be larger",
            id="big",
        ),
    ],
)
def test_unreadable_body(
    client: FlaskClient, data: str | bytes, content_type: str, status: int, error: str
) -> None:
    response = client.post("/v1/quote", data=data, content_type=content_type)
    assert response.status_code == status
    assert error in response.get_json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/v2/quote", 404, "no route for GET /v2/quote"),
        (
            "GET",
            "/v1/quote",
            405,
            "method GET is not allowed for /v1/quote (allowed: OPTIONS, POST)",
        ),
        ("DELETE", "/healthz", 405, "method DELETE is not allowed for /healthz"),
    ],
)
def test_routing_errors_are_json(
    client: FlaskClient, method: str, path: str, status: int, error: str
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert json.loads(response.data)["error"].startswith(error)
    if status == 405:
        assert "Allow" in response.headers


def test_server_error_is_json(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("rule table corrupt")

    monkeypatch.setattr("pricing.app.price", broken)
    response = client.post("/v1/quote", json={"items": [SOCKS]})
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal server error"}
