"""projects/, Tandem's default workload: green under `tandem check`, with the tools' own counts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
GO = ("catalog", "gokit", "orders")
PYTHON = ("contract-tests", "pricing")
# One worker runs them all, so the monorepo is checked once.
pytestmark = pytest.mark.xdist_group("projects")


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> Path:
    """A copy of the monorepo after `tandem check` ran over it."""
    root = tmp_path_factory.mktemp("mono")
    shutil.copy(ROOT / "pyproject.toml", root)
    shutil.copytree(ROOT / "projects", root / "projects")
    run = subprocess.run(
        [sys.executable, "-m", "tandem", "--root", str(root), "check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return root


def report_counts(root: Path, project: str) -> Counter:
    """Verdicts of the project's test cases in the report."""
    suite = next(
        s
        for s in ET.parse(root / "reports/junit.xml").getroot()
        if s.get("name") == f"{project}:test"
    )
    verdicts = Counter()
    for case in suite.iter("testcase"):
        tags = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        verdicts[tags[0] if tags else "passed"] += 1
    return verdicts


@pytest.mark.parametrize("project", GO)
def test_go_counts_equal_go_tests_own(checked, project):
    out = subprocess.run(
        ["go", "test", "-json", "./..."],
        cwd=checked / "projects" / project,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    own = Counter(
        e["Action"] for e in events if e.get("Test") and e["Action"] in ("pass", "skip")
    )
    assert report_counts(checked, project) == Counter(
        passed=own["pass"], skipped=own["skip"]
    )


@pytest.mark.parametrize("project", PYTHON)
def test_python_counts_equal_pytests_own(checked, project):
    venv_python = checked / ".tandem" / "venvs" / project / "bin" / "python"
    out = subprocess.run(
        [str(venv_python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=checked / "projects" / project,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/local/go/bin:/usr/bin:/bin",
            "TANDEM_DIST": str(checked / ".tandem" / "dist"),
        },
    ).stdout
    summary = re.search(r"(\d+) passed(?:, (\d+) skipped)? in ", out)
    assert summary, out[-2000:]
    expected = Counter(passed=int(summary[1]), skipped=int(summary[2] or 0))
    assert report_counts(checked, project) == +expected


def test_the_workload_is_real(checked):
    total = sum(sum(report_counts(checked, p).values()) for p in GO + PYTHON)
    assert total >= 80
    dist = checked / ".tandem" / "dist"
    assert (dist / "catalog" / "catalog").is_file()
    assert (dist / "orders" / "orders").is_file()
    assert list((dist / "pricing").glob("pricing-*.whl"))
    assert not (checked / "dist").exists()


def test_generated_code_is_checked_and_the_grpc_contract_tests_run(checked):
    suites = {
        s.get("name"): s for s in ET.parse(checked / "reports/junit.xml").getroot()
    }
    generating = sorted(n for n in suites if n.endswith(":generate"))
    assert generating == ["catalog:generate", "contract-tests:generate"]
    for name in generating:
        assert suites[name].get("failures") == suites[name].get("errors") == "0"
    grpc = [
        c
        for c in suites["contract-tests:test"].iter("testcase")
        if "test_grpc" in c.get("classname", "")
    ]
    assert len(grpc) >= 10 and all(
        not list(c) or c[0].tag == "system-out" for c in grpc
    )
    # The Go service persists through a third-party module: go.sum and module downloads.
    assert "go.etcd.io/bbolt" in (checked / "projects/catalog/go.sum").read_text()
