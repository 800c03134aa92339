"""The catalog over gRPC, with Python stubs generated from the Go service's contract.

The stubs come from ../catalog/proto (catalog.v1) into gen/; the catalog binary
serves the same products over HTTP and gRPC from one bbolt file.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from catalog.v1 import catalog_pb2, catalog_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from contract_tests import rpc, services
from contract_tests.http import call
from contract_tests.processes import Fleet, Service, ServiceError, announced, stop
from contract_tests.rpc import CALL_TIMEOUT

Stub = catalog_pb2_grpc.CatalogServiceStub


@pytest.fixture
def stub(catalog_channel: grpc.Channel) -> Stub:
    """A client of the session's catalog."""
    return Stub(catalog_channel)


def unique_sku(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def create(
    stub: Stub, sku: str, price_cents: int = 999, stock: int = 1
) -> catalog_pb2.Product:
    request = catalog_pb2.CreateProductRequest(
        sku=sku, name=f"Product {sku}", price_cents=price_cents, stock=stock
    )
    return stub.CreateProduct(request, timeout=CALL_TIMEOUT).product


def get(stub: Stub, product_id: str) -> catalog_pb2.Product:
    request = catalog_pb2.GetProductRequest(id=product_id)
    return stub.GetProduct(request, timeout=CALL_TIMEOUT).product


def refused(
    code: grpc.StatusCode, rpc_call: Callable[..., object], request: object
) -> str:
    """Make the call, check it fails with `code`, and return the status message."""
    with pytest.raises(grpc.RpcError) as raised:
        rpc_call(request, timeout=CALL_TIMEOUT)
    assert raised.value.code() == code, raised.value.details()
    return raised.value.details()


def nanos(rfc3339: str) -> int:
    """An HTTP API time as nanoseconds since the epoch, to compare with a Timestamp."""
    stamp = Timestamp()
    stamp.FromJsonString(rfc3339)
    return stamp.ToNanoseconds()


def test_create_then_get(stub: Stub) -> None:
    sku = unique_sku("RPC")
    before = time.time_ns()
    request = catalog_pb2.CreateProductRequest(
        sku=sku, name="  Blue mug ", price_cents=1250, stock=4
    )
    product = stub.CreateProduct(request, timeout=CALL_TIMEOUT).product
    assert product.id.startswith("prd_")
    assert (product.sku, product.name, product.price_cents, product.stock) == (
        sku,
        "Blue mug",
        1250,
        4,
    )
    created = product.create_time.ToNanoseconds()
    assert before - 5 * 10**9 <= created <= time.time_ns() + 5 * 10**9
    assert product.update_time == product.create_time
    assert get(stub, product.id) == product


def test_unknown_id_is_not_found(stub: Stub) -> None:
    message = refused(
        grpc.StatusCode.NOT_FOUND,
        stub.GetProduct,
        catalog_pb2.GetProductRequest(id="prd_99999999"),
    )
    assert "prd_99999999" in message
    refused(
        grpc.StatusCode.NOT_FOUND,
        stub.AdjustStock,
        catalog_pb2.AdjustStockRequest(id="prd_99999999", delta=1),
    )


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({}, ["sku", "name", "price_cents"]),
        ({"sku": "mug"}, ["sku"]),
        ({"sku": "-MUG"}, ["sku"]),
        ({"name": "   "}, ["name"]),
        ({"name": "é" * 201}, ["name"]),
        ({"price_cents": 0}, ["price_cents"]),
        ({"price_cents": -100}, ["price_cents"]),
        ({"stock": -1}, ["stock"]),
        ({"stock": 1_000_001}, ["stock"]),
        ({"sku": "x", "price_cents": 0}, ["sku", "price_cents"]),
    ],
)
def test_invalid_product_is_an_invalid_argument(
    stub: Stub, fields: dict[str, object], bad: list[str]
) -> None:
    valid = {"sku": unique_sku("BAD"), "name": "Mug", "price_cents": 850, "stock": 1}
    request = catalog_pb2.CreateProductRequest(
        **({**valid, **fields} if fields else {})
    )
    message = refused(grpc.StatusCode.INVALID_ARGUMENT, stub.CreateProduct, request)
    named = {part.split(":")[0] for part in message.split(": ", 1)[1].split("; ")}
    assert named == set(bad), message


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("GetProduct", catalog_pb2.GetProductRequest()),
        ("ListProducts", catalog_pb2.ListProductsRequest(page_size=-1)),
        ("ListProducts", catalog_pb2.ListProductsRequest(page_token="prd_00000001")),
        ("AdjustStock", catalog_pb2.AdjustStockRequest(delta=1)),
        ("AdjustStock", catalog_pb2.AdjustStockRequest(id="prd_00000001")),
    ],
    ids=[
        "get: no id",
        "list: negative size",
        "list: made-up token",
        "adjust: no id",
        "adjust: 0",
    ],
)
def test_invalid_request_is_an_invalid_argument(
    stub: Stub, method: str, request_: object
) -> None:
    refused(grpc.StatusCode.INVALID_ARGUMENT, getattr(stub, method), request_)


def test_duplicate_sku_already_exists(stub: Stub) -> None:
    sku = unique_sku("DUP")
    create(stub, sku)
    request = catalog_pb2.CreateProductRequest(sku=sku, name="Again", price_cents=1)
    assert sku in refused(grpc.StatusCode.ALREADY_EXISTS, stub.CreateProduct, request)


def test_list_visits_every_product_once(stub: Stub) -> None:
    created = [create(stub, unique_sku("PAGE")).id for _ in range(5)]
    seen: list[str] = []
    token = ""
    while True:
        request = catalog_pb2.ListProductsRequest(page_size=2, page_token=token)
        page = stub.ListProducts(request, timeout=CALL_TIMEOUT)
        assert 1 <= len(page.products) <= 2
        seen.extend(product.id for product in page.products)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) == page.total_size
    assert seen == sorted(seen)
    assert seen[-5:] == created  # the newest, in creation order


def test_adjust_stock(stub: Stub) -> None:
    product = create(stub, unique_sku("STOCK"), stock=5)
    adjust = catalog_pb2.AdjustStockRequest(id=product.id, delta=-3)
    assert stub.AdjustStock(adjust, timeout=CALL_TIMEOUT).product.stock == 2
    too_many = catalog_pb2.AdjustStockRequest(id=product.id, delta=-3)
    refused(grpc.StatusCode.FAILED_PRECONDITION, stub.AdjustStock, too_many)
    assert get(stub, product.id).stock == 2

    one_more = catalog_pb2.AdjustStockRequest(id=product.id, delta=1)

    def add_one(_: int) -> int:
        return stub.AdjustStock(one_more, timeout=CALL_TIMEOUT).product.stock

    with ThreadPoolExecutor(max_workers=8) as pool:
        stocks = list(pool.map(add_one, range(16)))
    # Each concurrent adjustment saw its own result: none was lost or merged.
    assert sorted(stocks) == list(range(3, 19))
    assert get(stub, product.id).stock == 18


def test_http_and_grpc_see_the_same_products(catalog: Service, stub: Stub) -> None:
    products = catalog.base_url + "/products"
    # Made over HTTP, read over gRPC.
    sku = unique_sku("BOTH")
    body = {"sku": sku, "name": "Both ways", "price": "12.5", "stock": 3}
    made = call("POST", products, body).json()
    seen = get(stub, made["id"])
    assert (seen.sku, seen.name, seen.price_cents, seen.stock) == (
        sku,
        "Both ways",
        1250,
        3,
    )
    assert seen.create_time.ToNanoseconds() == nanos(made["created_at"])

    # Made over gRPC, read, changed and deleted over HTTP, and the other way round.
    other = create(stub, unique_sku("BOTH"), price_cents=305, stock=7)
    url = f"{products}/{other.id}"
    assert call("GET", url).json()["price"] == "3.05"
    adjust = catalog_pb2.AdjustStockRequest(id=other.id, delta=-7)
    stub.AdjustStock(adjust, timeout=CALL_TIMEOUT)
    assert call("GET", url).json()["stock"] == 0
    renamed = {"sku": other.sku, "name": "Renamed", "price": "4.00", "stock": 1}
    assert call("PUT", url, renamed).status == 200
    assert (get(stub, other.id).name, get(stub, other.id).price_cents) == (
        "Renamed",
        400,
    )
    taken = {"sku": other.sku, "name": "Clash", "price": "1"}
    assert call("POST", products, taken).status == 409
    assert call("DELETE", url).status == 204
    refused(
        grpc.StatusCode.NOT_FOUND,
        stub.GetProduct,
        catalog_pb2.GetProductRequest(id=other.id),
    )


@pytest.fixture
def channels() -> Iterator[list[grpc.Channel]]:
    """Channels a test opens, closed when it ends."""
    opened: list[grpc.Channel] = []
    try:
        yield opened
    finally:
        for channel in opened:
            channel.close()


def test_products_survive_a_restart(
    own_fleet: Fleet,
    bins: dict[str, Path],
    tmp_path: Path,
    channels: list[grpc.Channel],
) -> None:
    db = tmp_path / "catalog.db"

    def start() -> tuple[Service, Stub]:
        service = own_fleet.start("catalog", services.catalog(bins, db))
        channels.append(rpc.connect(announced(service, "grpc_addr")))
        return service, Stub(channels[-1])

    first, stub = start()
    kept = create(stub, "KEPT", price_cents=250, stock=9)
    gone = create(stub, "GONE")
    stub.AdjustStock(
        catalog_pb2.AdjustStockRequest(id=kept.id, delta=-4), timeout=CALL_TIMEOUT
    )
    assert call("DELETE", f"{first.base_url}/products/{gone.id}").status == 204
    kept = get(stub, kept.id)
    assert stop(first) == 0
    assert db.stat().st_size > 0

    second, stub = start()
    assert second.process.pid != first.process.pid
    assert get(stub, kept.id) == kept  # every field, the times included
    page = stub.ListProducts(catalog_pb2.ListProductsRequest(), timeout=CALL_TIMEOUT)
    assert [product.id for product in page.products] == [kept.id]
    # IDs carry on where they were: a deleted product's ID is not handed out again.
    assert create(stub, "NEW").id == "prd_00000003"
    assert call("GET", f"{second.base_url}/products/{kept.id}").json()["stock"] == 5


def test_a_database_in_use_is_refused(
    own_fleet: Fleet, bins: dict[str, Path], tmp_path: Path
) -> None:
    """bbolt locks its file: a second catalog on it gives up (after a second) and exits 1."""
    db = tmp_path / "catalog.db"
    own_fleet.start("catalog", services.catalog(bins, db))
    with pytest.raises(ServiceError, match="exited with 1") as raised:
        own_fleet.start("catalog", services.catalog(bins, db))
    assert "timeout" in str(raised.value)
