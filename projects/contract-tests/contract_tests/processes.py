"""Start services as child processes, wait until they answer, and stop them.

Each service runs in its own process group, so stopping it also stops anything
it started. Stopping is the test process's job (fixture finalizers); the test
suite turns a SIGTERM into KeyboardInterrupt so that those finalizers run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.05


class ServiceError(RuntimeError):
    """A service did not start or did not answer in time."""


@dataclass(frozen=True)
class Service:
    """A running service."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def log_text(self) -> str:
        """Everything the service has written so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    name: str,
    argv: Callable[[int], Sequence[str]],
    log: Path,
    health_path: str = "/healthz",
    env: Mapping[str, str] | None = None,
) -> Service:
    """Start `argv(port)` on a free port and wait until `health_path` answers 200.

    A port taken between choosing and binding it makes the service exit at
    once; then it is started again on another port.
    """
    for _ in range(3):
        port = free_port()
        service = _spawn(name, argv(port), log, f"http://127.0.0.1:{port}", env)
        try:
            wait_ready(service, health_path)
            return service
        except ServiceError:
            stop(service)
            if "address already in use" not in service.log_text():
                raise
    raise ServiceError(f"{name}: no free port after 3 tries")


def _spawn(
    name: str,
    argv: Sequence[str],
    log: Path,
    base_url: str,
    env: Mapping[str, str] | None,
) -> Service:
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,
        )
    return Service(name, process, base_url, log)


def wait_ready(service: Service, path: str, timeout: float = READY_TIMEOUT) -> None:
    """Poll `path` until it answers 200; fail early if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise ServiceError(
                f"{service.name} exited with {service.process.returncode}:\n"
                f"{service.log_text()[-2000:]}"
            )
        if _answers(service.base_url + path):
            return
        time.sleep(POLL_INTERVAL)
    raise ServiceError(f"{service.name} not ready after {timeout:.0f}s")


def announced(service: Service, key: str, timeout: float = READY_TIMEOUT) -> str:
    """The value of `key` in the service's latest JSON log record that has it.

    A Go service logs the addresses it bound (":0" lets the kernel pick a
    port) before it serves, so once it answers, the record is there; the
    deadline only guards against a service that never writes it. The latest
    record, because a service restarted on the same log appends to it.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = [
            record[key]
            for record in _records(service.log_text())
            if isinstance(record.get(key), str)
        ]
        if found:
            return found[-1]
        if service.process.poll() is not None or time.monotonic() >= deadline:
            raise ServiceError(
                f"{service.name} logged no {key!r}:\n{service.log_text()[-2000:]}"
            )
        time.sleep(POLL_INTERVAL)


def _records(log: str) -> list[dict[str, object]]:
    records = []
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # not JSON: a panic, or a line cut short while being written
        if isinstance(record, dict):
            records.append(record)
    return records


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def stop(service: Service, timeout: float = STOP_TIMEOUT) -> int:
    """SIGTERM the service's process group, SIGKILL it if it lingers; the exit code."""
    if service.process.returncode is not None:
        return (
            service.process.returncode
        )  # stopped before; its group may be someone else's now
    _signal_group(service.process, signal.SIGTERM)
    try:
        return service.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(service.process, signal.SIGKILL)
        return service.process.wait()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass  # already gone


class Fleet:
    """Services started together and stopped together, newest first."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.services: list[Service] = []

    def start(
        self,
        name: str,
        argv: Callable[[int], Sequence[str]],
        health_path: str = "/healthz",
        env: Mapping[str, str] | None = None,
    ) -> Service:
        """Start a service whose log goes to a file of its own."""
        log = self.logs / f"{name}-{len(self.services)}.log"
        service = start(name, argv, log, health_path, env)
        self.services.append(service)
        return service

    def stop_all(self) -> None:
        """Stop every service, even if stopping one of them fails."""
        while self.services:
            stop(self.services.pop())
