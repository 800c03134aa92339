"""Start catalog, pricing and orders once per session, and stop them whatever happens."""

from __future__ import annotations

import signal
from collections.abc import Generator, Iterator
from pathlib import Path
from types import FrameType

import grpc
import pytest

from contract_tests import binaries, rpc, services, webhooks
from contract_tests.processes import Fleet, Service, announced

PROJECTS = Path(__file__).resolve().parents[2]
SECRET = b"whsec_contract_tests"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # pytest then still runs the finalizers that stop services


@pytest.fixture(scope="session", autouse=True)
def stop_services_on_sigterm() -> Iterator[None]:
    """A SIGTERM to the test run (a timeout, say) still stops the services."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def bins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The Go binaries, from TANDEM_DIST or freshly built."""
    return binaries.locate(PROJECTS, tmp_path_factory.mktemp("bin"))


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """The session's services, stopped when the session ends."""
    running = Fleet(tmp_path_factory.mktemp("logs"))
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def own_fleet(tmp_path: Path) -> Iterator[Fleet]:
    """Services for one test alone, stopped when it ends."""
    running = Fleet(tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="session")
def secret() -> bytes:
    """The webhook secret shared by orders and the receiver."""
    return SECRET


@pytest.fixture(scope="session")
def receiver() -> Iterator[webhooks.Receiver]:
    """The local webhook endpoint orders delivers to."""
    with webhooks.serve() as running:
        yield running


@pytest.fixture(scope="session")
def catalog(
    fleet: Fleet, bins: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Service:
    """The catalog service, keeping its products in a bbolt file of its own."""
    db = tmp_path_factory.mktemp("catalog-db") / "catalog.db"
    return fleet.start("catalog", services.catalog(bins, db))


@pytest.fixture(scope="session")
def catalog_channel(catalog: Service) -> Iterator[grpc.Channel]:
    """A connected gRPC channel to the catalog's gRPC API, closed at the end."""
    channel = rpc.connect(announced(catalog, "grpc_addr"))
    try:
        yield channel
    finally:
        channel.close()


@pytest.fixture(scope="session")
def pricing(fleet: Fleet) -> Service:
    """The pricing service."""
    return fleet.start("pricing", services.pricing())


@pytest.fixture(scope="session")
def orders(
    fleet: Fleet,
    bins: dict[str, Path],
    pricing: Service,
    receiver: webhooks.Receiver,
    secret: bytes,
) -> Service:
    """The orders service, ready once it can reach pricing."""
    argv = services.orders(bins, pricing.base_url, receiver.url)
    env = {"ORDERS_WEBHOOK_SECRET": secret.decode()}
    return fleet.start("orders", argv, health_path="/readyz", env=env)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the tails of the service logs to a failed test's report."""
    report = yield
    if report.failed:
        for name in ("catalog", "pricing", "orders"):
            service = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if isinstance(service, Service):
                report.sections.append(
                    (f"{name} log (tail)", service.log_text()[-3000:])
                )
    return report
