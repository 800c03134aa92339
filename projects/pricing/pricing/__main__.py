"""Run the pricing service: `python -m pricing --port 8000`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from werkzeug.serving import BaseWSGIServer, make_server

from pricing.app import create_app


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Options from the command line, falling back to PRICING_HOST and PRICING_PORT."""
    parser = argparse.ArgumentParser(prog="python -m pricing", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("PRICING_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port",
        type=_port,
        default=os.environ.get("PRICING_PORT", "8000"),
        help="0 lets the system pick a free port",
    )
    return parser.parse_args(argv)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def build_server(host: str, port: int) -> BaseWSGIServer:
    """A threaded WSGI server for the app, bound but not yet serving."""
    return make_server(host, port, create_app(), threaded=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # stops serve_forever the same way for SIGTERM and ^C


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM, then exit 0."""
    args = parse_args(argv)
    server = build_server(args.host, args.port)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"pricing listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("pricing stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
