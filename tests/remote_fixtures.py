"""Stand-ins for a remote cache server, in threads of the test process: a small server of the
Turborepo Remote Cache API that keeps artifacts in memory (or answers 500, or cuts its bodies
short), and a socket that accepts connections and never answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from benchmarks.cache_server import TOKEN

PREFIX = "/v8/artifacts/"


class ApiServer(ThreadingHTTPServer):
    """HEAD, GET and PUT /v8/artifacts/KEY; `mode` "ok", "500", or "truncate": every GET a
    body cut short."""

    daemon_threads = True

    def __init__(self, mode: str = "ok") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.artifacts: dict[tuple[str, str], tuple[bytes, str | None]] = {}
        self.requests: list[tuple[str, str, str]] = []  # method, key, team query

    @property
    def url(self) -> str:
        """The base URL, as the settings take it."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read `requests` instead."""

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_PUT(self) -> None:
        key, team = self._parse("PUT")
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self._refused():
            return
        self.server.artifacts[team, key] = (body, self.headers.get("x-artifact-tag"))
        self._send(200, b'{"urls":[]}')

    def _answer(self, send_body: bool) -> None:
        key, team = self._parse(self.command)
        if self._refused():
            return
        if self.server.mode == "truncate":
            # Whatever is asked for: 10 of the 1000 bytes the answer announces.
            self._send(200, b"x" * 10, length=1000, send_body=send_body)
            return
        if (team, key) not in self.server.artifacts:
            self._send(404, b"")
            return
        body, tag = self.server.artifacts[team, key]
        headers = {"x-artifact-tag": tag} if tag else {}
        self._send(200, body, headers, send_body=send_body)

    def _parse(self, method: str) -> tuple[str, str]:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        team = query.get("teamId") or query.get("slug", "")
        key = parts.path.removeprefix(PREFIX)
        self.server.requests.append((method, key, "&".join(sorted(query))))
        return key, team

    def _refused(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, b"")
        elif self.server.mode == "500":
            self._send(500, b"")
        else:
            return False
        return True

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        length: int | None = None,
        send_body: bool = True,
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if send_body:
            self.wfile.write(body)
        self.close_connection = True


@contextmanager
def api_server(mode: str = "ok") -> Iterator[ApiServer]:
    """An ApiServer serving in a thread until the block ends."""
    server = ApiServer(mode)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """The URL of a socket that accepts every connection and never answers a byte."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    listener.settimeout(0.1)  # so the thread sees the block end
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join()
        listener.close()
        for connection in held:
            connection.close()


def closed_port() -> str:
    """The URL of a port nothing listens on."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
