"""The command line and the real server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest

from pricing.__main__ import build_server, parse_args


@pytest.mark.parametrize(
    ("argv", "host", "port"),
    [
        ([], "127.0.0.1", 8000),
        (["--port", "0"], "127.0.0.1", 0),
        (["--host", "0.0.0.0", "--port", "9001"], "0.0.0.0", 9001),
    ],
)
def test_parse_args(
    argv: list[str], host: str, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRICING_HOST", raising=False)
    monkeypatch.delenv("PRICING_PORT", raising=False)
    args = parse_args(argv)
    assert (args.host, args.port) == (host, port)


@pytest.mark.parametrize("port", ["-1", "65536", "http", ""])
def test_parse_args_rejects_bad_ports(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_args(["--port", port])
    assert caught.value.code == 2
    assert "not a port number" in capsys.readouterr().err


def test_port_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICING_PORT", "8123")
    assert parse_args([]).port == 8123


def test_server_answers_over_http() -> None:
    server = build_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert json.load(response) == {"status": "ok"}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_module_runs_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pricing", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("pricing listening on http://127.0.0.1:")
        url = first.split()[-1] + "/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == "pricing stopped\n"
    finally:
        proc.kill()
        proc.wait()
