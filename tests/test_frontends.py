"""The front ends: nox sessions, invoke tasks and ci/run.

The pipeline definitions are read in test_ci_definitions.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from invoke import Context, Exit

import tasks

ROOT = Path(__file__).parent.parent


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )


def test_nox_lists_every_session_with_a_description():
    listing = run(sys.executable, "-m", "nox", "-l").stdout
    for session in (
        "check",
        "generate",
        "build",
        "fmt",
        "vet",
        "test",
        "tests",
        "lint",
        "bench",
    ):
        line = next(
            line
            for line in listing.splitlines()
            if line[2:].startswith(f"{session} -> ")
        )
        assert len(line.split(" -> ", 1)[1]) > 10


def test_invoke_lists_every_task_with_help():
    listing = run(sys.executable, "-m", "invoke", "--list").stdout
    for task in (
        "list",
        "check",
        "generate",
        "build",
        "fmt",
        "vet",
        "test",
        "report",
        "clean",
    ):
        assert any(
            line.split()[:1] == [task] and len(line.split()) > 2
            for line in listing.splitlines()
        )


def test_an_invoke_task_ends_with_tandems_exit_code(capsys):
    with pytest.raises(Exit) as stopped:
        tasks.test(Context(), project=["no-such-project"])
    assert stopped.value.code == 2
    assert "no project named 'no-such-project'" in capsys.readouterr().err


def test_ci_run_describes_itself():
    help_text = run("bash", "ci/run", "--help")
    assert help_text.returncode == 0
    assert (
        "ci/run tests" in help_text.stdout and "reports/junit.xml" in help_text.stdout
    )


def test_ci_run_refuses_an_unknown_job_before_running_anything():
    refused = run("bash", "ci/run", "nosuch")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("ci/run: no job named 'nosuch'")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PYTHON": "/bin/false"},
            "PYTHON=/bin/false is not a working Python 3.11 or newer",
        ),
        ({"PATH": "/usr/bin:/bin"}, "no go on the PATH; install Go 1.22 or newer"),
    ],
)
def test_ci_run_names_what_is_missing_and_exits_2(env, message):
    result = subprocess.run(
        ["/bin/bash", "ci/run", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
