"""The catalog over HTTP: products in and out, pagination, and concurrent writers."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from contract_tests.http import call
from contract_tests.processes import Service


def unique_sku(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def create(catalog: Service, sku: str, price: str = "9.99", stock: int = 1) -> dict:
    answer = call(
        "POST",
        catalog.base_url + "/products",
        {"sku": sku, "name": f"Product {sku}", "price": price, "stock": stock},
    )
    assert answer.status == 201, answer.text
    return answer.json()


@pytest.mark.parametrize(
    ("sent", "stored"), [("15.5", "15.50"), ("7", "7.00"), ("0.99", "0.99")]
)
def test_prices_are_normalised(catalog: Service, sent: str, stored: str) -> None:
    product = create(catalog, unique_sku("NORM"), price=sent)
    assert product["price"] == stored
    again = call("GET", catalog.base_url + "/products/" + product["id"]).json()
    assert again == product


def test_product_lifecycle(catalog: Service) -> None:
    sku = unique_sku("LIFE")
    product = create(catalog, sku)
    url = catalog.base_url + "/products/" + product["id"]
    changed = {"sku": sku, "name": "Renamed", "price": "12.00", "stock": 3}
    updated = call("PUT", url, changed)
    assert (updated.status, updated.json()["name"], updated.json()["stock"]) == (
        200,
        "Renamed",
        3,
    )
    assert updated.json()["created_at"] == product["created_at"]
    assert call("DELETE", url).status == 204
    assert call("GET", url).status == 404


def test_duplicate_sku_is_a_conflict(catalog: Service) -> None:
    sku = unique_sku("DUP")
    create(catalog, sku)
    answer = call(
        "POST",
        catalog.base_url + "/products",
        {"sku": sku, "name": "Again", "price": "1"},
    )
    assert answer.status == 409
    assert sku in answer.json()["error"]


def test_pagination_visits_every_product_once(catalog: Service) -> None:
    created = {create(catalog, unique_sku("PAGE"))["id"] for _ in range(5)}
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = call(
            "GET", f"{catalog.base_url}/products?limit=2&offset={offset}"
        ).json()
        assert len(page["items"]) <= 2
        seen.extend(item["id"] for item in page["items"])
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == page["total"]
    assert created <= set(seen)
    assert seen == sorted(seen)


def test_concurrent_writers(catalog: Service) -> None:
    contested = unique_sku("RACE")
    own = [unique_sku("MANY") for _ in range(16)]
    jobs = [contested] * 8 + own

    def post(sku: str) -> int:
        body = {"sku": sku, "name": "Racer", "price": "1.00"}
        return call("POST", catalog.base_url + "/products", body).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, jobs))
    assert statuses[:8].count(201) == 1
    assert statuses[:8].count(409) == 7
    assert statuses[8:] == [201] * 16
