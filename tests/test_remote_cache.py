"""The remote cache end to end: real go, uv and pytest on a small git monorepo (a Go module and
a Python project), Tandem run as a command, and the real `turborepo-remote-cache` server from
npm (installed once into .tools/; Node.js and npm must be on the PATH).

A second clone with an empty local cache replays from the server what the first one ran; a
tampered, unsigned, or unreachable cache never fails a run, costs it little time and says so
in one warning line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks import cache_server
from benchmarks.cache_server import turbo_server
from tandem.model import CACHED
from tests.conftest import write_tree
from tests.pyfixtures import PYTEST, package
from tests.remote_fixtures import TOKEN, api_server, closed_port, silent_server

# One worker holds the server and the populated cache every test here reads.
pytestmark = pytest.mark.xdist_group("remote_cache")

KEY = "tandem-remote-cache-test-signature-key"
TEAM = "alpha"

FILES = {
    "pyproject.toml": "[tool.tandem]\ntimeout = 300\n",
    ".gitignore": ".tandem/\nreports/\n",
    "svc/go.mod": "module example.com/svc\n\ngo 1.22\n",
    "svc/main.go": """
        package main

        import "fmt"

        func greeting() string { return "hello" }

        func main() { fmt.Println(greeting()) }
    """,
    "svc/main_test.go": """
        package main

        import "testing"

        func TestGreeting(t *testing.T) {
        \tif greeting() != "hello" {
        \t\tt.Fatal(greeting())
        \t}
        }
    """,
    **{f"pyapp/{k}": v for k, v in package("pyapp", [PYTEST]).items()},
    "pyapp/tests/test_app.py": "from pyapp import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}
SVC = frozenset(f"svc:{s}" for s in ("build", "fmt", "vet", "test"))
EVERY = SVC | {f"pyapp:{s}" for s in ("build", "fmt", "vet", "test")}


# The server, from npm.


@pytest.fixture(scope="session")
def server_cli() -> Path:
    """The server's entry point, installed from npm at its pinned version unless it is."""
    try:
        return cache_server.server_cli()
    except cache_server.ServerError as exc:
        pytest.fail(str(exc))


# The monorepo and Tandem.


@dataclass(frozen=True)
class Run:
    """What one `tandem check` did."""

    code: int
    ran: frozenset[str]  # tasks run, not replayed
    keys: dict[str, str]  # replayed task -> its key
    warnings: tuple[str, ...]  # the remote cache's warning lines
    elapsed: float
    stderr: str

    def warning(self) -> str:
        """The one remote cache warning line (there must be exactly one)."""
        assert len(self.warnings) == 1, self.stderr
        return self.warnings[0]


def tandem(root: Path, remote: dict[str, str], *args: str) -> Run:
    """Run `tandem check` with the remote cache settings given (and no others)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TANDEM_REMOTE_CACHE_", "TURBO_"))
    }
    command = (sys.executable, "-m", "tandem", "--root", str(root), "check", *args)
    start = time.monotonic()
    done = subprocess.run(
        command, env={**env, **remote}, capture_output=True, text=True, check=False
    )
    elapsed = time.monotonic() - start
    suites = list(ET.parse(root / "reports" / "junit.xml").getroot().iter("testsuite"))
    keys = {s.get("name"): _key(s) for s in suites if _key(s)}
    lines = done.stderr.splitlines()
    said = tuple(
        line for line in lines if line.startswith("tandem: warning: remote cache")
    )
    ran = frozenset(s.get("name") for s in suites if not _key(s))
    return Run(done.returncode, ran, keys, said, elapsed, done.stderr)


def _key(suite: ET.Element) -> str:
    return next(
        (p.get("value") for p in suite.iter("property") if p.get("name") == CACHED), ""
    )


def settings(url: str, team: str = TEAM, key: str = KEY, **more: str) -> dict[str, str]:
    """The remote cache's variables; key "" for none."""
    found = {
        "TANDEM_REMOTE_CACHE_URL": url,
        "TANDEM_REMOTE_CACHE_TOKEN": TOKEN,
        "TANDEM_REMOTE_CACHE_TEAM": team,
        **more,
    }
    return {**found, "TANDEM_REMOTE_CACHE_SIGNATURE_KEY": key} if key else found


def clone(origin: Path, where: Path) -> Path:
    """A fresh clone of the monorepo: no local cache, no outputs."""
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    return where


def git(root: Path, *args: str) -> None:
    ident = ("-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false")
    subprocess.run(["git", *ident, *args], cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The monorepo, committed."""
    root = write_tree(tmp_path_factory.mktemp("remote") / "origin", FILES)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    return root


@dataclass(frozen=True)
class Shared:
    """The server with what a first clone ran, signed, and that clone."""

    url: str
    storage: Path
    first: Path


@pytest.fixture(scope="module")
def shared(
    server_cli: Path, origin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    """The signing server, and the artifacts of every task of a first clone's run."""
    where = tmp_path_factory.mktemp("shared")
    storage = where / "storage"
    with turbo_server(server_cli, storage, signing=True) as url:
        first = clone(origin, where / "first")
        run = tandem(first, settings(url))
        assert (run.code, run.ran, run.warnings) == (0, EVERY, ())
        assert len(list((storage / TEAM).glob("*.tag"))) == len(EVERY)
        yield Shared(url, storage, first)


@pytest.fixture(scope="module")
def second(
    shared: Shared, origin: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Run]:
    """A second clone, its local cache empty, run against the server."""
    root = clone(origin, tmp_path_factory.mktemp("b") / "b")
    return root, tandem(root, settings(shared.url))


# The tests.


def test_a_fresh_clone_replays_every_task_and_gets_the_binary(shared, second):
    root, run = second
    assert (run.code, run.warnings) == (0, ())
    # A Python environment cannot travel, but when every task replays none is needed.
    assert run.ran == set()
    binary = root / ".tandem" / "dist" / "svc" / "svc"
    assert binary.read_bytes() == (shared.first / ".tandem/dist/svc/svc").read_bytes()
    said = subprocess.run([binary], capture_output=True, text=True, check=True).stdout
    assert said == "hello\n"


def test_a_tampered_artifact_is_not_replayed_and_said_once(
    shared, second, origin, tmp_path
):
    artifact = shared.storage / TEAM / second[1].keys["svc:test"]
    kept = {
        path: path.read_bytes() for path in (artifact, artifact.with_suffix(".tag"))
    }
    body = bytearray(kept[artifact])
    body[len(body) // 2] ^= 0xFF
    artifact.write_bytes(body)
    try:
        run = tandem(clone(origin, tmp_path / "c"), settings(shared.url))
    finally:
        for path, data in kept.items():
            path.write_bytes(data)
    assert (run.code, run.ran) == (0, {"pyapp:build", "svc:test"})
    line = run.warning()
    assert "does not verify" in line and artifact.name in line


def test_unsigned_artifacts_run_when_a_key_is_set_and_replay_when_none_is(
    server_cli, shared, origin, tmp_path
):
    # A copy of the artifacts, served by a server that keeps no tags.
    storage = tmp_path / "storage"
    shutil.copytree(shared.storage, storage)
    with turbo_server(server_cli, storage, signing=False) as url:
        keyed = tandem(clone(origin, tmp_path / "d"), settings(url), "-p", "svc")
        trusting = tandem(
            clone(origin, tmp_path / "e"), settings(url, key=""), "-p", "svc"
        )
    assert (keyed.code, keyed.ran) == (0, SVC)
    line = keyed.warning()
    assert "4 artifacts not replayed" in line and "unsigned" in line
    assert (trusting.code, trusting.ran, trusting.warnings) == (0, frozenset(), ())


def test_read_only_uploads_nothing(shared, origin, tmp_path):
    only = settings(shared.url, team="readers", TANDEM_REMOTE_CACHE_READ_ONLY="1")
    run = tandem(clone(origin, tmp_path / "f"), only, "-p", "svc")
    assert (run.code, run.ran, run.warnings) == (0, SVC, ())
    assert not (shared.storage / "readers").exists()


@contextmanager
def down() -> Iterator[str]:
    """A URL where nothing listens."""
    yield closed_port()


@pytest.mark.parametrize("server", [down, silent_server], ids=["down", "hanging"])
def test_a_server_down_or_hanging_costs_one_warning_and_little_time(
    server, origin, tmp_path
):
    with server() as url:
        run = tandem(clone(origin, tmp_path / "g"), settings(url), "-p", "svc")
    assert (run.code, run.ran) == (0, SVC)
    line = run.warning()
    assert "not used for the rest of this run" in line
    assert run.elapsed < 20  # the run's own work, and one 5-second timeout at most


@pytest.mark.parametrize("mode", ["500", "truncate"])
def test_an_error_or_a_cut_answer_costs_one_warning(mode, origin, tmp_path):
    with api_server(mode) as server:
        remote = settings(server.url, key="")
        run = tandem(clone(origin, tmp_path / "h"), remote, "-p", "svc")
    assert (run.code, run.ran) == (0, SVC)
    line = run.warning()
    assert ("answered 500" if mode == "500" else "cut short") in line
