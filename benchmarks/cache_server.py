"""The real `turborepo-remote-cache` server (ducktors, on npm), for the tests and benchmarks.

Installed once, pinned, into `.tools/remote-cache` (gitignored) with npm; started on 127.0.0.1
at a free port with local disk storage and one token; stopped (SIGTERM, then SIGKILL) when the
block ends. Node.js 20+ and npm must be on the PATH.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_VERSION = "2.12.0"  # turborepo-remote-cache (ducktors) on npm
TOOLS = Path(__file__).resolve().parents[1] / ".tools" / "remote-cache"
PACKAGE = TOOLS / "node_modules" / "turborepo-remote-cache"
TOKEN = "remote-cache-test-token"


class ServerError(Exception):
    """The server could not be installed or started; the message says why and what to do."""


def server_cli() -> Path:
    """The server's entry point, installed from npm at SERVER_VERSION unless it already is."""
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        raise ServerError(
            "the remote cache server is turborepo-remote-cache from npm: "
            "install Node.js 20+ with npm and put them on the PATH"
        )
    TOOLS.mkdir(parents=True, exist_ok=True)
    with (TOOLS / ".lock").open("w") as lock:
        fcntl.flock(
            lock, fcntl.LOCK_EX
        )  # test workers of other runs may install at once
        if _installed() != SERVER_VERSION:
            _npm_install(npm)
    manifest = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))
    return PACKAGE / manifest["bin"]["turborepo-remote-cache"]


def _installed() -> str:
    try:
        manifest = (PACKAGE / "package.json").read_text(encoding="utf-8")
    except OSError:
        return ""
    return json.loads(manifest).get("version", "")


def _npm_install(npm: str) -> None:
    package_spec = f"turborepo-remote-cache@{SERVER_VERSION}"
    command = [npm, "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund"]
    done = subprocess.run(
        [*command, "--loglevel=error", package_spec],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise ServerError(f"npm could not install {package_spec}:\n{done.stderr}")


@contextmanager
def turbo_server(cli: Path, storage: Path, *, signing: bool) -> Iterator[str]:
    """The server on a free local port, keeping artifacts under `storage`; its base URL."""
    port = _free_port()
    log = storage.with_name(f"{storage.name}-server.log")
    with log.open("w") as out:
        node = shutil.which("node") or "node"
        env = _server_env(port, storage, signing)
        server = subprocess.Popen([node, str(cli)], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _server_env(port: int, storage: Path, signing: bool) -> dict[str, str]:
    """The server's settings (its README's variables): local storage, one token, this host."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "NODE_ENV": "production",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "STORAGE_PROVIDER": "local",
        "STORAGE_PATH": str(storage),
        "STORAGE_PATH_USE_TMP_FOLDER": "false",
        "TURBO_TOKEN": TOKEN,
        "LOG_LEVEL": "warn",
    }
    if signing:
        # The server verifies nothing: with a key set, it keeps and returns x-artifact-tag.
        env["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = "any"
    return env


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    status = urllib.request.Request(
        f"{url}/v8/artifacts/status", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerError(f"the remote cache server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(status, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise ServerError(
        f"the remote cache server did not answer in 60 s:\n{log.read_text()}"
    )
