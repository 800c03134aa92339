"""A local HTTP server that receives webhook deliveries for tests to inspect."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got."""

    headers: dict[str, str]  # keyed by lower-case name
    body: bytes
    status: int  # what the receiver answered

    @property
    def event(self) -> dict[str, object]:
        """The body as JSON."""
        return json.loads(self.body)


class Receiver:
    """Collects deliveries; can refuse the first tries for chosen customers."""

    def __init__(self) -> None:
        self._deliveries: list[Delivery] = []
        self._failures: dict[str, int] = {}  # customer → tries still to refuse
        self._changed = threading.Condition()
        self.url = ""

    def refuse(self, customer: str, times: int) -> None:
        """Answer 503 to the next `times` deliveries about `customer`'s orders."""
        with self._changed:
            self._failures[customer] = times

    def record(self, headers: dict[str, str], body: bytes) -> int:
        """Store a delivery and return the status to answer with."""
        with self._changed:
            customer = _customer(body)
            status = 503 if self._failures.get(customer, 0) > 0 else 204
            if status == 503:
                self._failures[customer] -= 1
            self._deliveries.append(Delivery(headers, body, status))
            self._changed.notify_all()
            return status

    def for_order(self, placed: dict[str, object]) -> list[Delivery]:
        """Every delivery about one placed order so far."""
        with self._changed:
            return [d for d in self._deliveries if _about(d.body, placed)]

    def wait_for(
        self, placed: dict[str, object], status: int = 204, timeout: float = 15.0
    ) -> Delivery:
        """The first delivery about a placed order answered with `status`, waiting for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for d in self._deliveries:
                    if d.status == status and _about(d.body, placed):
                        return d
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"no webhook for {placed['id']} within {timeout:.0f}s"
                    )
                self._changed.wait(left)


def _order(body: bytes) -> dict[str, object]:
    try:
        order = json.loads(body).get("order")
    except (ValueError, AttributeError):
        return {}
    return order if isinstance(order, dict) else {}


def _about(body: bytes, placed: dict[str, object]) -> bool:
    # Order IDs restart at 1 in every orders process, so the customer tells them apart.
    order = _order(body)
    return (
        order.get("id") == placed["id"] and order.get("customer") == placed["customer"]
    )


def _customer(body: bytes) -> object:
    return _order(body).get("customer")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.record(
                {k.lower(): v for k, v in self.headers.items()}, body
            )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test output stays readable; deliveries are kept instead

    return Handler


@contextmanager
def serve() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 until the block ends."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/orders"
    thread = threading.Thread(target=server.serve_forever, name="webhooks", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
