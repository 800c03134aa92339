"""The no-op replay end to end: real go on a small git monorepo, `tandem` as a user runs it.

A run that replayed every task records itself; the same command again, with nothing changed,
is replayed whole before Tandem's modules load (`-X importtime` shows which loaded). Any change
to what the run read sends the next run down the full path, which reruns exactly what changed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem import DEFAULT_STATE
from tandem.cache import noop
from tests.conftest import write_tree
from tests.test_cache_runs import (
    GO_LIB,
    GO_SVC,
    LIB_AND_DEPENDENTS,
    ROOT,
    SVC,
    edit,
    git,
    ran,
)

GO = {f"{p}:{s}" for p in ("lib", "svc") for s in ("build", "fmt", "vet", "test")}
CLOCK = re.compile(rb'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d|\d+\.\d+ ?s\b|time="[\d.]+"')


def tandem(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[bool, str]:
    """Run `tandem check ARGS` in `root` as a user does; whether it took the full path (loaded
    the workflow), and what it printed."""
    command = (sys.executable, "-X", "importtime", "-m", "tandem", "check", *args)
    done = subprocess.run(
        command,
        check=False,
        cwd=root,
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return "tandem.workflow" in done.stderr, done.stdout


def record(root: Path) -> Path:
    return Path(noop.record_path(str(root / DEFAULT_STATE)))


def settle(root: Path) -> None:
    """Runs until the next one is a no-op: what a run writes must be older than a clock tick
    before a record can vouch for it by its stat."""
    full, _ = tandem(root)
    if full:
        time.sleep(noop_tick())
        tandem(root)
    assert record(root).is_file()


def noop_tick() -> float:
    from tandem.cache.files import RACY_NS

    return RACY_NS / 1e9 + 0.1


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two Go modules, one needing the other, committed and checked once."""
    root = write_tree(
        tmp_path_factory.mktemp("noop") / "repo", {**ROOT, **GO_LIB, **GO_SVC}
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    tandem(root)
    assert ran(root / "reports" / "junit.xml") == GO
    return root


@pytest.fixture
def repo(warm: Path) -> Iterator[Path]:
    """The warm monorepo with a record of its last run (the tree restored after each test)."""
    settle(warm)
    yield warm
    git(warm, "checkout", "-q", "--", ".")
    git(warm, "clean", "-q", "-fd")


def test_an_unchanged_rerun_is_replayed_whole_before_tandem_loads(repo: Path) -> None:
    reports = repo / "reports"
    noop.forget(str(repo / DEFAULT_STATE))
    full, printed = tandem(repo)  # every task replayed the long way: it records itself
    assert full and record(repo).is_file()
    written = {p.name: p.read_bytes() for p in reports.iterdir()}
    full, again = tandem(repo)
    assert not full
    assert _clockless(again.encode()) == _clockless(printed.encode())
    for name in ("junit.xml", "summary.md", "report.html"):
        assert _clockless((reports / name).read_bytes()) == _clockless(written[name])
        assert (reports / f"{name}.previous").read_bytes() == written[name]
    assert ran(reports / "junit.xml") == set()
    assert git(repo, "status", "--porcelain") == ""


def _clockless(text: bytes) -> bytes:
    return CLOCK.sub(b"T", text)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda root: edit(root / "lib/lib.go"), LIB_AND_DEPENDENTS),
        (
            lambda root: edit(root / "lib/testdata/expected.txt", "more\n"),
            LIB_AND_DEPENDENTS,
        ),
        (lambda root: (root / "svc/extra.go").write_text("package main\n"), SVC),
        (lambda root: (root / "svc/notes.txt").write_text("notes\n"), SVC),
        (lambda root: (root / DEFAULT_STATE / "dist/svc/svc").unlink(), set()),
    ],
    ids=["edited", "testdata", "new-go-file", "new-other-file", "binary-removed"],
)
def test_a_change_takes_the_full_path_and_reruns_what_it_affects(
    repo: Path, change, expected: set[str]
) -> None:
    change(repo)
    full, _ = tandem(repo)
    assert full and ran(repo / "reports" / "junit.xml") == expected
    assert (repo / DEFAULT_STATE / "dist/svc/svc").is_file()


def test_a_relevant_variable_reruns_and_any_other_takes_the_full_path(
    repo: Path,
) -> None:
    full, _ = tandem(repo, env={**os.environ, "UNRELATED_SETTING": "1"})
    assert full and ran(repo / "reports" / "junit.xml") == set()
    full, _ = tandem(repo, env={**os.environ, "GOFLAGS": "-count=1"})
    assert full and ran(repo / "reports" / "junit.xml") == GO


def test_another_command_takes_the_full_path(repo: Path) -> None:
    full, _ = tandem(repo, "-p", "lib")
    assert full and ran(repo / "reports" / "junit.xml") == set()
    full, out = tandem(repo)
    assert full and "replayed 8 of 8" in out
