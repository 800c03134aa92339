"""All three services report client mistakes the same way: a JSON body with
"error" (a sentence) and, for invalid fields, "fields" (field → problem)."""

from __future__ import annotations

import pytest

from contract_tests.http import Answer, call
from contract_tests.processes import Service

BIG = (
    b'{"pad": "' + b"x" * (65 * 1024) + b'"}'
)  # just over every service's 64 KiB limit

CASES = [
    # service, method, path, JSON body, expected status, fields that must be named
    ("catalog", "POST", "/products", {"sku": "x"}, 400, {"sku", "name", "price"}),
    (
        "orders",
        "POST",
        "/orders",
        {"customer": "", "items": []},
        400,
        {"customer", "items"},
    ),
    ("pricing", "POST", "/v1/quote", {"items": []}, 400, {"items"}),
    ("catalog", "GET", "/products?limit=0", None, 400, {"limit"}),
    ("orders", "GET", "/orders?status=lost", None, 400, {"status"}),
    ("catalog", "GET", "/products/prd_missing", None, 404, set()),
    ("orders", "GET", "/orders/ord_missing", None, 404, set()),
    ("pricing", "GET", "/v9/nothing", None, 404, set()),
    ("catalog", "DELETE", "/products", None, 405, set()),
    ("orders", "PUT", "/orders", None, 405, set()),
    ("pricing", "GET", "/v1/quote", None, 405, set()),
]


def check_error_shape(answer: Answer, status: int, fields: set[str]) -> None:
    assert answer.status == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert isinstance(body["error"], str) and body["error"]
    assert set(body) <= {"error", "fields"}
    named = body.get("fields", {})
    assert all(isinstance(v, str) and v for v in named.values())
    assert fields <= set(named)


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "status", "fields"),
    CASES,
    ids=[f"{c[0]} {c[1]} {c[2]}" for c in CASES],
)
def test_error_shape(
    name: str,
    method: str,
    path: str,
    body: object,
    status: int,
    fields: set[str],
    request: pytest.FixtureRequest,
) -> None:
    service: Service = request.getfixturevalue(name)
    answer = call(method, service.base_url + path, body)
    check_error_shape(answer, status, fields)
    if status == 405:
        assert "allow" in answer.headers


WRITES = [("catalog", "/products"), ("orders", "/orders"), ("pricing", "/v1/quote")]


BAD_WRITES = [
    # raw body, Content-Type, expected status, words the error must contain
    pytest.param(b"a=1", "text/plain", 415, None, id="wrong content type"),
    pytest.param(BIG, "application/json", 413, None, id="body too large"),
    pytest.param(
        b'{"items": [', "application/json", 400, "malformed JSON", id="malformed JSON"
    ),
]


@pytest.mark.parametrize(("raw", "content_type", "status", "message"), BAD_WRITES)
@pytest.mark.parametrize(("name", "path"), WRITES, ids=[w[0] for w in WRITES])
def test_bad_write(
    name: str,
    path: str,
    raw: bytes,
    content_type: str,
    status: int,
    message: str | None,
    request: pytest.FixtureRequest,
) -> None:
    service: Service = request.getfixturevalue(name)
    answer = call(
        "POST",
        service.base_url + path,
        raw=raw,
        headers={"Content-Type": content_type},
    )
    check_error_shape(answer, status, set())
    if message is not None:
        assert message in answer.json()["error"]
