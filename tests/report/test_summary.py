"""What people read: the live task line, the end-of-run summary and the Markdown summary."""

from __future__ import annotations

import re

import pytest

from tandem.model import Attempt, Step, TestCase, Verdict
from tandem.report import markdown_summary, task_line, text_summary

CLOSING = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed, (\d+) skipped$")


def test_golden_text_summary(golden_outcomes, golden):
    golden("summary.txt", text_summary(golden_outcomes, 3.4123).encode("utf-8"))


def test_golden_markdown_summary(golden_outcomes, golden):
    golden("summary.md", markdown_summary(golden_outcomes, 3.4123).encode("utf-8"))


def test_closing_line_counts_errors_as_failed(golden_outcomes):
    last = text_summary(golden_outcomes, 3.4).splitlines()[-1]
    assert last == "tandem: 6 passed, 10 failed, 2 skipped"
    assert CLOSING.match(last).groups() == ("6", "10", "2")


def test_only_the_closing_line_reads_like_the_closing_line(golden_outcomes):
    lines = text_summary(golden_outcomes, 3.4).splitlines()
    assert [line for line in lines if re.search(r"\d+ passed, \d+ failed", line)] == [
        lines[-1]
    ]


def test_a_green_run_still_ends_with_the_closing_line(outcome):
    done = [outcome("svc-a", Step.TEST, TestCase("svc-a", "T"), TestCase("svc-a", "U"))]
    summary = text_summary(done, 1.0)
    assert summary == (
        "2 tests in 1 tasks, 1.00s: passed 2, failures 0, errors 0, skipped 0\n"
        "tandem: 2 passed, 0 failed, 0 skipped\n"
    )


def test_failures_are_at_the_bottom_just_above_the_totals(golden_outcomes):
    lines = text_summary(golden_outcomes, 3.4).splitlines()
    red = [i for i, line in enumerate(lines) if line.startswith(("FAIL ", "ERROR "))]
    skipped = [i for i, line in enumerate(lines) if line.startswith("SKIP ")]
    assert max(skipped) < min(red)
    assert lines[red[-1] + 1 :][-3:] == [
        "",
        "18 tests in 6 tasks, 3.40s: passed 6, failures 7, errors 3, skipped 2",
        "tandem: 6 passed, 10 failed, 2 skipped",
    ]
    assert lines[red[0]] == "FAIL  svc-a:test  svc-a/internal/driver/TestSub/b_c"
    assert lines[red[0] + 1] == "      driver_test.go:41: want 3, got 2"


def test_red_case_text_is_cut_to_a_few_lines(outcome):
    text = "".join(f"line {i}\n" for i in range(100))
    done = [
        outcome("p", Step.TEST, TestCase("p", "T", verdict=Verdict.FAILURE, text=text))
    ]
    lines = text_summary(done, 1.0).splitlines()
    assert lines[1:10] == [f"      line {i}" for i in range(8)] + [
        "      ... (92 more lines)"
    ]


def test_many_red_cases_are_counted_not_listed(outcome):
    cases = [
        TestCase("p", f"T{i}", verdict=Verdict.ERROR, text="boom") for i in range(40)
    ]
    summary = text_summary([outcome("p", Step.TEST, *cases)], 1.0)
    assert "p/T29" in summary and "p/T30" not in summary
    assert "... and 10 more red cases in the JUnit report" in summary


def test_colour_is_off_by_default(golden_outcomes):
    assert all("\x1b" not in task_line(done) for done in golden_outcomes)
    summary = text_summary(golden_outcomes, 1.0)
    assert "\x1b" not in summary, "the tools' own colours are stripped too"


def test_colour_on_request_never_touches_the_closing_line(golden_outcomes):
    assert task_line(golden_outcomes[0], color=True).startswith(
        "\x1b[31mERROR\x1b[0m svc-a:test"
    )
    assert task_line(golden_outcomes[4], color=True).startswith(
        "\x1b[32mPASS \x1b[0m svc-c:build"
    )
    lines = text_summary(golden_outcomes, 1.0, color=True).splitlines()
    assert "\x1b[33mSKIP \x1b[0m" in lines[0]
    assert CLOSING.match(lines[-1]), "no colour codes on the line CI reads"


@pytest.mark.parametrize(
    ("index", "line"),
    [
        (
            0,
            "ERROR svc-a:test  3 passed (1 flaky), 5 failed, 2 errors, 1 skipped  2.02s",
        ),
        (1, "SKIP  svc-a:vet  svc-a:build failed  0.00s"),
        (2, "FAIL  svc-b:fmt  0 passed, 1 failed  0.31s"),
        (4, "PASS  svc-c:build  1 passed  0.40s"),
    ],
)
def test_task_line_says_verdict_task_counts_and_seconds(golden_outcomes, index, line):
    assert task_line(golden_outcomes[index]) == line


def test_markdown_has_totals_a_row_per_task_and_failure_blocks(golden_outcomes):
    md = markdown_summary(golden_outcomes, 3.4)
    assert md.startswith("## ❌ tandem: 6 passed, 10 failed, 2 skipped\n")
    rows = [line for line in md.splitlines() if line.startswith("| svc-")]
    assert len(rows) == len(golden_outcomes)
    assert rows[0] == "| svc-a:test | 💥 ERROR | 3 | 5 | 2 | 1 | 2.02s |"
    assert md.count("```text\n") == 10


def test_markdown_code_survives_backticks_and_pipes(outcome):
    text = "```\nfenced | text\n````"
    case = TestCase("p|q", "T `x`", verdict=Verdict.FAILURE, text=text)
    md = markdown_summary([outcome("p", Step.TEST, case)], 1.0)
    assert "`````text\n```\nfenced | text\n````\n`````" in md
    assert "`p|q` `` T `x` ``" in md


def test_markdown_of_a_green_run(outcome):
    md = markdown_summary([outcome("p", Step.BUILD)], 0.5)
    assert md.startswith("## ✅ tandem: 1 passed, 0 failed, 0 skipped\n")
    assert "Failures" not in md


def test_flaky_passes_are_listed_apart_from_the_red_cases(outcome):
    flaky = TestCase(
        "p/pkg", "TestFlaky", attempts=(Attempt(Verdict.FAILURE, "boom", "boom"),)
    )
    red = TestCase("p/pkg", "TestRed", verdict=Verdict.FAILURE, message="bad")
    done = [outcome("p", Step.TEST, flaky, red, TestCase("p/pkg", "TestGood"))]
    lines = text_summary(done, 1.0).splitlines()
    assert lines[0] == "flaky: 1 (passed on retry): p/pkg/TestFlaky"
    assert lines[1].startswith("FAIL  p:test  p/pkg/TestRed")
    assert lines[-1] == "tandem: 2 passed, 1 failed, 0 skipped"
    assert task_line(done[0]).startswith("FAIL  p:test  2 passed (1 flaky), 1 failed")
    md = markdown_summary(done, 1.0)
    assert "\nflaky: 1 (passed on retry): `p/pkg/TestFlaky`\n" in md
    assert md.index("flaky: 1") < md.index("### Failures")


def test_no_flaky_line_without_flaky_passes(outcome):
    done = [outcome("p", Step.TEST, TestCase("p", "T"))]
    assert "flaky" not in text_summary(done, 1.0) + markdown_summary(done, 1.0)
