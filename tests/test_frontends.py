"""The front ends: nox sessions, invoke tasks, ci/run and the pipeline definitions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from invoke import Context, Exit

import tasks

ROOT = Path(__file__).parent.parent


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )


def test_nox_lists_every_session_with_a_description():
    listing = run(sys.executable, "-m", "nox", "-l").stdout
    for session in ("check", "build", "fmt", "vet", "test", "tests", "lint", "bench"):
        line = next(
            line
            for line in listing.splitlines()
            if line[2:].startswith(f"{session} -> ")
        )
        assert len(line.split(" -> ", 1)[1]) > 10


def test_invoke_lists_every_task_with_help():
    listing = run(sys.executable, "-m", "invoke", "--list").stdout
    for task in ("list", "check", "build", "fmt", "vet", "test", "report", "clean"):
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


def commands(node) -> list[str]:
    """Every shell command in a GitHub or GitLab pipeline definition."""
    if isinstance(node, dict):
        found = [node["run"]] if isinstance(node.get("run"), str) else []
        for key in ("script", "before_script"):
            found += node.get(key, []) if isinstance(node.get(key), list) else []
        return found + [c for value in node.values() for c in commands(value)]
    if isinstance(node, list):
        return [c for item in node for c in commands(item)]
    return []


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_pipeline_definitions_parse_and_call_commands_that_exist(name):
    pipeline = yaml.safe_load((ROOT / "ci" / name).read_text())
    found = commands(pipeline)
    assert any(c.startswith("ci/run") for c in found)
    for command in found:
        for part in command.split("&&"):
            program = part.split()[0]
            assert (
                (ROOT / program).is_file()
                or shutil.which(program)
                or program == "apt-get"
            ), program


def test_gitlab_publishes_the_report_to_gitlab():
    pipeline = yaml.safe_load((ROOT / "ci" / "gitlab-ci.yml").read_text())
    assert pipeline["check"]["artifacts"]["reports"]["junit"] == "reports/junit.xml"


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
