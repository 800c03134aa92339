"""Secrets never reach what Tandem writes: the report, the summary, the terminal, the crash log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.mask import Masker
from tandem.model import Outcome, Project, Step, Task, TestCase, Verdict
from tests.conftest import go_module
from tests.test_cli import project_files, suites, tandem

TOKEN, CONFIGURED = "supersecretvalue", "hunter22"


def test_secret_looking_names_and_configured_ones_are_picked_from_the_environment():
    environ = {
        "API_TOKEN": TOKEN,
        "db_password": "pa$$word",
        "Signing_Key": "k3y-material",
        "MY_SECRET_FILE": "abc",  # too short to mask without garbling ordinary text
        "FEATURE_KEY": "true",  # a flag, not a secret
        "MY_VAR": CONFIGURED,
        "HOME": "/home/ci",
    }
    masker = Masker.from_env(environ, names=["MY_VAR"])
    assert set(masker.values) == {TOKEN, "pa$$word", "k3y-material", CONFIGURED}
    text = f"token={TOKEN} pw=pa$$word home=/home/ci abc true {CONFIGURED}"
    assert masker.text(text) == "token=*** pw=*** home=/home/ci abc true ***"


def test_a_secret_holding_another_is_masked_whole():
    masker = Masker.from_env({"A_TOKEN": "abcd", "B_TOKEN": "abcdefgh"})
    assert masker.text("x abcdefgh y abcd") == "x *** y ***"


def test_outcomes_are_masked_in_every_text_but_keep_their_task():
    task = Task(Project("svc", "go", Path("/r/svc")), Step.TEST)
    case = TestCase(
        "svc/pkg",
        f"TestLeak/{TOKEN}",
        verdict=Verdict.FAILURE,
        message=f"got {TOKEN}",
        text=f"line\n{TOKEN}\n",
        stdout=TOKEN,
        stderr=TOKEN,
        properties=(("seen", TOKEN),),
    )
    outcome = Outcome(task, (case,), properties=(("go.version", TOKEN),))
    masked = Masker.from_env({"API_TOKEN": TOKEN}).outcome(outcome)
    assert TOKEN not in repr(masked) and masked.task is task
    assert masked.cases[0].verdict is Verdict.FAILURE and masked.cases[0].text == (
        "line\n***\n"
    )
    assert Masker().outcome(outcome) is outcome


LEAKY = {
    "go.mod": go_module("leaky"),
    "leak/leak.go": "package leak\n\n// Value is read by the test.\nvar Value = 1\n",
    "leak/leak_test.go": """
        package leak

        import (
        \t"fmt"
        \t"os"
        \t"testing"
        )

        func TestLeaks(t *testing.T) {
        \tfmt.Println("stdout:", os.Getenv("API_TOKEN"), os.Getenv("MY_VAR"))
        \tfmt.Fprintln(os.Stderr, "stderr:", os.Getenv("API_TOKEN"))
        \tt.Fatalf("the token is %s and the var is %s", os.Getenv("API_TOKEN"), os.Getenv("MY_VAR"))
        }
        """,
}


@pytest.mark.tools
def test_a_failing_test_that_prints_secrets_leaves_them_nowhere(monorepo):
    root = monorepo(
        {
            "pyproject.toml": '[tool.tandem]\nsecrets = ["MY_VAR"]\n',
            **project_files("leaky", LEAKY),
        }
    )
    run = tandem(root, "test", env={"API_TOKEN": TOKEN, "MY_VAR": CONFIGURED})
    assert run.returncode == 1, run.stdout + run.stderr
    report = (root / "reports" / "junit.xml").read_text()
    summary = (root / "reports" / "summary.md").read_text()
    page = (root / "reports" / "report.html").read_text()
    assert "TestLeaks" in report and "the token is ***" in report
    assert "the token is ***" in run.stdout
    for written in (report, summary, page, run.stdout, run.stderr):
        assert TOKEN not in written and CONFIGURED not in written
    suites(root / "reports" / "junit.xml")  # still valid against the schema
