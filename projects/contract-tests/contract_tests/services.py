"""The command line of each service, as a function of the port to listen on."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

Argv = Callable[[int], list[str]]


def catalog(bins: Mapping[str, Path], db: Path | None = None) -> Argv:
    """Run catalog on a port, its gRPC API on a port of the kernel's choosing.

    The bound gRPC address is in the first log record (`grpc_addr`; see
    processes.announced). With `db`, the products are kept in that bbolt
    file, and a catalog started again on it finds them there; without, in a
    temporary file that goes when the process exits.
    """
    stored = [] if db is None else ["-db", str(db)]
    return lambda port: [
        str(bins["catalog"]),
        "-addr",
        f"127.0.0.1:{port}",
        "-grpc-addr",
        "127.0.0.1:0",
        *stored,
    ]


def pricing() -> Argv:
    """Run pricing on a port, with this environment's Python."""
    return lambda port: [sys.executable, "-m", "pricing", "--port", str(port)]


def orders(bins: Mapping[str, Path], pricing_url: str, webhook_url: str) -> Argv:
    """Run orders on a port, against a pricing service, announcing to a webhook URL.

    The webhook secret goes in the environment (ORDERS_WEBHOOK_SECRET), where
    other users' `ps` cannot read it.
    """
    return lambda port: [
        str(bins["orders"]),
        f"-addr=127.0.0.1:{port}",
        f"-pricing-url={pricing_url}",
        f"-webhook-url={webhook_url}",
        "-workers=2",
    ]
