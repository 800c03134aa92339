"""The result cache end to end: real go, uv, pytest, black and ruff on a small git monorepo.

After one green run, each change reruns exactly the tasks it can affect and replays the rest:
`ran` below is the set of tasks a run did not replay, read from the JUnit report it wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem.model import CACHED, UNAFFECTED
from tests.conftest import write_tree
from tests.pyfixtures import PYTEST, package

GO_LIB = {
    "lib/go.mod": "module example.com/lib\n\ngo 1.22\n",
    "lib/lib.go": """
        // Package lib greets.
        package lib

        import _ "embed"

        //go:embed greeting.txt
        var greeting string

        // Greeting is the embedded greeting.
        func Greeting() string { return greeting }
    """,
    "lib/greeting.txt": "hello\n",
    "lib/lib_test.go": """
        package lib

        import (
        \t"os"
        \t"testing"
        )

        func TestGreeting(t *testing.T) {
        \tif Greeting() == "" {
        \t\tt.Fatal("no greeting")
        \t}
        }

        func TestData(t *testing.T) {
        \tif data, err := os.ReadFile("testdata/expected.txt"); err != nil || len(data) == 0 {
        \t\tt.Fatal("no test data", err)
        \t}
        }
    """,
    "lib/testdata/expected.txt": "hello\n",
}
GO_SVC = {
    "svc/go.mod": (
        "module example.com/svc\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\n"
        "replace example.com/lib => ../lib\n"
    ),
    "svc/main.go": """
        package main

        import (
        \t"fmt"

        \t"example.com/lib"
        )

        func main() { fmt.Println(lib.Greeting()) }
    """,
    "svc/main_test.go": """
        package main

        import (
        \t"testing"

        \t"example.com/lib"
        )

        func TestUsesLib(t *testing.T) {
        \tif lib.Greeting() == "" {
        \t\tt.Fatal("no greeting")
        \t}
        }
    """,
}
PY_APP = {
    **{f"pyapp/{k}": v for k, v in package("pyapp", [PYTEST]).items()},
    "pyapp/tests/test_app.py": "from pyapp import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}
ROOT = {
    "pyproject.toml": "[tool.tandem]\ntimeout = 300\n",
    ".gitignore": ".tandem/\nreports/\n",
}
GO = {f"{p}:{s}" for p in ("lib", "svc") for s in ("build", "fmt", "vet", "test")}
PY = {f"pyapp:{s}" for s in ("build", "fmt", "vet", "test")}
LIB = {f"lib:{s}" for s in ("build", "fmt", "vet", "test")}
SVC = {f"svc:{s}" for s in ("build", "fmt", "vet", "test")}
# A change in lib reaches svc's build, vet and test (svc builds against lib), not its fmt.
LIB_AND_DEPENDENTS = LIB | {"svc:build", "svc:vet", "svc:test"}


def git(root: Path, *args: str) -> str:
    """Run git in the repository with a fixed identity."""
    ident = ("-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false")
    done = subprocess.run(
        ("git", *ident, *args), cwd=root, capture_output=True, text=True, check=True
    )
    return done.stdout


def tandem(
    root: Path, *args: str, env: dict[str, str] | None = None, exit: int = 0
) -> set[str]:
    """Run `tandem check`, which must end with `exit`; the ids of the tasks it ran rather than
    replayed."""
    command = (sys.executable, "-m", "tandem", "--root", str(root), "check", *args)
    done = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
    )
    assert done.returncode == exit, done.stdout + done.stderr
    return ran(root / "reports" / "junit.xml")


def ran(report: Path) -> set[str]:
    """Ids of the suites in a report that ran: not replayed, nor left out by `--changed-since`."""
    suites = ET.parse(report).getroot().iter("testsuite")
    return {s.get("name") for s in suites if not _replayed(s) and not _left_out(s)}


def _replayed(suite: ET.Element) -> bool:
    return any(p.get("name") == CACHED for p in suite.iter("property"))


def _left_out(suite: ET.Element) -> bool:
    return any(s.get("type") == UNAFFECTED for s in suite.iter("skipped"))


def edit(path: Path, text: str = "\n// edited\n") -> None:
    """Append to a file; its mtime moves on, as an editor's save does."""
    with path.open("a", encoding="utf-8") as file:
        file.write(text)


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git monorepo (two Go modules, one needing the other; one Python project), run once."""
    root = write_tree(
        tmp_path_factory.mktemp("cache") / "repo",
        {**ROOT, **GO_LIB, **GO_SVC, **PY_APP},
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    assert tandem(root) == GO | PY
    return root


@pytest.fixture
def repo(warm: Path) -> Iterator[Path]:
    """The warm monorepo, as committed, with every task cached (restored after each test).

    A Python build replays for a task that runs only while its environment holds what that
    build made (when every task replays, none needs it): a test that left another build's
    environment behind would cost the next one a build, so the environment is settled first.
    """
    tandem(warm)
    report = ET.parse(warm / "reports" / "junit.xml").getroot()
    build = next(s for s in report.iter("testsuite") if s.get("name") == "pyapp:build")
    key = next(
        p.get("value") for p in build.iter("property") if p.get("name") == CACHED
    )
    mark = warm / ".tandem" / "cache" / "built" / "pyapp"
    if not mark.is_file() or mark.read_text() != key:
        tandem(warm, "--no-cache", "-p", "pyapp")
    yield warm
    git(warm, "checkout", "-q", "--", ".")
    git(warm, "clean", "-q", "-fd")


def test_an_unchanged_rerun_replays_every_task_with_the_same_cases(repo: Path) -> None:
    report = repo / "reports" / "junit.xml"
    before = _cases(report) if tandem(repo) == set() else None
    assert tandem(repo) == set()
    assert before is not None and _cases(report) == before
    assert git(repo, "status", "--porcelain") == ""


def _cases(report: Path) -> list[tuple[str, ...]]:
    return sorted(
        (c.get("classname"), c.get("name"), *(child.tag for child in c))
        for c in ET.parse(report).getroot().iter("testcase")
    )


@pytest.mark.parametrize(
    ("changed", "text"),
    [
        ("lib/lib_test.go", "\n// edited\n"),
        ("lib/testdata/expected.txt", "more\n"),
        ("lib/greeting.txt", "more\n"),
        ("lib/lib.go", "\n// edited\n"),
    ],
)
def test_a_change_in_a_library_reruns_it_and_its_dependents(
    repo: Path, changed: str, text: str
) -> None:
    edit(repo / changed, text)
    assert tandem(repo) == LIB_AND_DEPENDENTS
    assert tandem(repo) == set()


def test_a_change_in_a_service_reruns_only_that_service(repo: Path) -> None:
    edit(repo / "svc/main_test.go")
    assert tandem(repo) == SVC


def test_a_python_test_file_reruns_only_its_project(repo: Path) -> None:
    edit(repo / "pyapp/tests/test_app.py", "\n\ndef test_more():\n    assert True\n")
    assert tandem(repo) == PY


def test_a_dependency_declaration_reruns_the_project(repo: Path) -> None:
    edit(repo / "pyapp/pyproject.toml", "# pinned again\n")
    assert tandem(repo) == PY


def test_a_shared_file_at_the_root_reruns_everything(repo: Path) -> None:
    edit(repo / "pyproject.toml", "# a comment\n")
    assert tandem(repo) == GO | PY


def test_a_file_outside_every_project_deeper_down_reruns_nothing(repo: Path) -> None:
    write_tree(repo, {"docs/guide.md": "# Guide\n"})
    assert tandem(repo) == set()


def test_a_relevant_variable_reruns_its_language_only(repo: Path) -> None:
    env = {**os.environ, "CGO_CFLAGS": "-DTANDEM_CACHE_TEST"}
    assert tandem(repo, env=env) == GO
    assert tandem(repo, env={**env, "EDITOR": "an-editor-of-its-own"}) == set()


def test_a_changed_tool_reruns_the_tasks_that_run_it(
    repo: Path, tmp_path: Path
) -> None:
    wrapper = tmp_path / "bin" / "go"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("go")} "$@"\n')
    wrapper.chmod(0o755)
    path = f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"
    # Another go: Go's build, vet and test; gofmt and the Python project's interpreter are
    # the same as before.
    expected = {f"{p}:{s}" for p in ("lib", "svc") for s in ("build", "vet", "test")}
    assert tandem(repo, env={**os.environ, "PATH": path}) == expected


def test_a_changed_flag_reruns_the_tasks_it_reaches(repo: Path) -> None:
    tests = {"lib:test", "svc:test", "pyapp:test"}
    assert tandem(repo, "--retries", "1") == tests
    assert tandem(repo, "--timeout", "200") == GO | PY


def test_no_cache_runs_everything_and_a_red_task_always_runs_again(repo: Path) -> None:
    assert tandem(repo, "--no-cache") == GO | PY
    edit(repo / "svc/main_test.go", '\nfunc TestRed(t *testing.T) { t.Fatal("red") }\n')
    assert tandem(repo, exit=1) == SVC
    # The green build, fmt and vet of svc were kept; the red test runs again.
    assert tandem(repo, exit=1) == {"svc:test"}


def test_a_removed_binary_is_restored_for_the_tasks_that_need_it(repo: Path) -> None:
    binary = repo / ".tandem" / "dist" / "svc" / "svc"
    content = binary.read_bytes()
    binary.unlink()
    assert tandem(repo) == set()
    assert binary.read_bytes() == content and os.access(binary, os.X_OK)


def test_changed_since_runs_what_a_change_reaches_and_reports_the_rest(
    repo: Path,
) -> None:
    edit(repo / "svc/main.go")
    assert tandem(repo, "--changed-since", "HEAD") == SVC
    root = ET.parse(repo / "reports" / "junit.xml").getroot()
    skipped = {
        (case.get("classname"), case.get("name"))
        for suite in root.iter("testsuite")
        for case in suite.iter("testcase")
        if case.find("skipped") is not None
    }
    left = {("pyapp", f"[{s}]") for s in ("build", "fmt", "vet", "test")}
    left |= {("lib", f"[{s}]") for s in ("fmt", "vet", "test")}  # lib's build is needed
    assert skipped == left
    assert {s.get("type") for s in root.iter("skipped")} == {UNAFFECTED}
