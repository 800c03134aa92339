"""The pytest report normaliser against real recorded reports (tests/data/pytest/record.py).

Golden files hold the normalised cases with times zeroed; TANDEM_UPDATE_GOLDEN=1 rewrites them.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from tandem.adapters.pytest_xml import COLLECTION, case_names, to_cases
from tandem.model import Attempt, TestCase, Verdict

DATA = Path(__file__).resolve().parent.parent / "data" / "pytest"
SCENARIOS = sorted(path.stem for path in DATA.glob("*.xml"))
PROJECT = "svc"


def recorded(name: str) -> tuple[str, dict]:
    """A recorded report and what the pytest process did."""
    run = json.loads((DATA / f"{name}.run.json").read_text(encoding="utf-8"))
    return (DATA / f"{name}.xml").read_text(encoding="utf-8"), run


def normalised(name: str) -> tuple[TestCase, ...]:
    """The recorded scenario through the normaliser."""
    xml, run = recorded(name)
    return to_cases(xml, run["returncode"], run["stdout"], run["stderr"], PROJECT)


def render(cases: tuple[TestCase, ...]) -> str:
    """Cases as JSON, times zeroed, every non-ASCII or control character escaped."""
    rows = [asdict(replace(case, time=0.0)) for case in cases]
    return json.dumps(rows, indent=2, ensure_ascii=True) + "\n"


def by_name(cases: tuple[TestCase, ...]) -> dict[str, TestCase]:
    """Cases keyed by name (unique within one recorded scenario)."""
    return {case.name: case for case in cases}


def test_every_scenario_is_recorded() -> None:
    assert SCENARIOS == [
        "collection_error",
        "collection_error_xdist",
        "mixed",
        "mixed_xdist",
        "no_tests",
        "passing",
        "reruns",
    ]


@pytest.mark.parametrize("name", SCENARIOS)
def test_matches_golden(name: str) -> None:
    golden = DATA / f"{name}.expected.json"
    rendered = render(normalised(name))
    if os.environ.get("TANDEM_UPDATE_GOLDEN") == "1":
        golden.write_text(rendered, encoding="utf-8", newline="\n")
    assert rendered == golden.read_text(encoding="utf-8")


def pytest_summary(stdout: str) -> Counter[str]:
    """The counts on pytest's closing line ("7 failed, 2 passed, 3 errors in 0.1s")."""
    closing = [
        line for line in stdout.splitlines() if re.match(r"^=+ .* in [\d.]+s", line)
    ][-1]
    counts = Counter(
        {word.rstrip("s"): int(n) for n, word in re.findall(r"(\d+) (\w+)", closing)}
    )
    return counts


def short_summary(stdout: str, word: str) -> set[str]:
    """Node ids on pytest's `FAILED`/`ERROR` short summary lines."""
    return {m[1] for m in re.finditer(rf"^{word} (\S+)", stdout, re.MULTILINE)}


@pytest.mark.parametrize("name", SCENARIOS)
def test_counts_equal_pytests_own(name: str) -> None:
    xml, run = recorded(name)
    pytest_counts = pytest_summary(run["stdout"])
    cases = [case for case in normalised(name) if case.classname != PROJECT]
    verdicts = Counter(case.verdict for case in cases)
    # pytest counts a teardown error as one more "error" of a test it already counted.
    teardown = xml.count('message="failed on teardown')
    failed_and_errored = len(
        short_summary(run["stdout"], "FAILED") & short_summary(run["stdout"], "ERROR")
    )
    assert verdicts[Verdict.FAILURE] == pytest_counts["failed"]
    assert (
        verdicts[Verdict.SKIPPED] == pytest_counts["skipped"] + pytest_counts["xfailed"]
    )
    assert verdicts[Verdict.ERROR] == pytest_counts["error"] - failed_and_errored
    passed = (
        pytest_counts["passed"]
        + pytest_counts["xpassed"]
        - (teardown - failed_and_errored)
    )
    assert verdicts[Verdict.PASSED] == passed


@pytest.mark.parametrize("name", SCENARIOS)
def test_cases_are_sorted_and_unique(name: str) -> None:
    keys = [(case.classname, case.name) for case in normalised(name)]
    assert keys == sorted(set(keys))


def test_passing_run_keeps_ids_classes_and_one_based_lines() -> None:
    cases = by_name(normalised("passing"))
    assert set(cases) == {
        "test_add",
        "test_ids[a/b c]",
        "test_ids[plain]",
        "test_ids[tab\\tend]",
        "test_method",
    }
    assert cases["test_method"].classname == "svc/tests.passing.test_math.TestGroup"
    assert cases["test_add"].file == "tests/passing/test_math.py"
    assert cases["test_add"].line == 6  # `def test_add` is on line 6; pytest writes 5
    assert all(
        case.verdict is Verdict.PASSED and not case.stdout for case in cases.values()
    )


def test_skips_xfails_and_xpasses() -> None:
    cases = by_name(normalised("mixed"))
    assert cases["test_skipped"].verdict is Verdict.SKIPPED
    assert cases["test_skipped"].message == "not on this platform"
    assert (cases["test_xfail"].verdict, cases["test_xfail"].type) == (
        Verdict.SKIPPED,
        "pytest.xfail",
    )
    assert cases["test_xpass"].verdict is Verdict.PASSED
    assert cases["test_xpass_strict"].verdict is Verdict.FAILURE
    assert cases["test_xpass_strict"].message == "[XPASS(strict)] must fail"


def test_failure_and_its_teardown_error_become_one_failure() -> None:
    case = by_name(normalised("mixed"))["test_fails_then_teardown_error"]
    assert case.verdict is Verdict.FAILURE
    assert case.message.startswith("AssertionError: body failed")
    assert "body failed" in case.text
    assert 'failed on teardown with "RuntimeError: teardown broke"' in case.text


def test_teardown_error_of_a_passing_test_is_an_error() -> None:
    case = by_name(normalised("mixed"))["test_passes_then_teardown_error"]
    assert (case.verdict, case.type) == (Verdict.ERROR, "pytest.error")


def test_output_keeps_control_characters_visible_and_drops_ansi() -> None:
    case = by_name(normalised("mixed"))["test_control_output"]
    assert "bell#x07 nul#x00 red done" in case.stdout
    assert "warn yellow" in case.stderr
    assert case.message == "AssertionError: see bold output\nassert False"
    assert "#x1B" not in case.stdout + case.stderr + case.text + case.message
    assert case.properties == (("owner", "team-a"),)


def test_empty_captured_sections_are_dropped() -> None:
    cases = by_name(normalised("mixed"))
    assert cases["test_fails"].stdout.splitlines() == [
        "-" * 33 + " Captured Log " + "-" * 33,
        "WARNING  sample:test_mixed.py:25 about to fail",
        "-" * 33 + " Captured Out " + "-" * 33,
        "checking the sum",
    ]
    assert cases["test_fails"].stderr == ""
    assert cases["test_param_fails[x y]"].stdout == ""


def identities(
    name: str,
) -> list[tuple[str, str, Verdict, str, str | None, int | None]]:
    """What must not depend on scheduling: names, results, locations."""
    return [
        (c.classname, c.name, c.verdict, c.type, c.file, c.line)
        for c in normalised(name)
    ]


def test_xdist_run_normalises_like_a_serial_run() -> None:
    assert identities("mixed_xdist") == identities("mixed")


def test_collection_error_without_xdist_stops_the_session() -> None:
    (case,) = normalised("collection_error")
    assert (case.classname, case.name) == (
        "svc/(collection)",
        "tests.broken.test_broken",
    )
    assert (case.verdict, case.type) == (Verdict.ERROR, "pytest.collection")
    assert "No module named 'not_a_module_anywhere'" in case.text


def test_collection_error_with_xdist_still_runs_the_rest() -> None:
    cases = normalised("collection_error_xdist")
    assert [(c.classname, c.name, c.verdict) for c in cases] == [
        ("svc/(collection)", "tests.broken.test_broken", Verdict.ERROR),
        ("svc/tests.broken.test_fine", "test_fine", Verdict.PASSED),
    ]


def test_no_tests_collected_is_a_skipped_pytest_case() -> None:
    (case,) = normalised("no_tests")
    assert (case.classname, case.name, case.verdict) == (
        "svc",
        "[pytest]",
        Verdict.SKIPPED,
    )
    assert case.message == "no tests were collected (pytest exit code 5)"


def test_rerun_attempts_collapse_into_one_case() -> None:
    cases = by_name(normalised("reruns"))
    assert len(cases) == 3
    flaky, always = cases["test_flaky"], cases["test_always_fails"]
    assert flaky.verdict is Verdict.PASSED
    assert [a.verdict for a in flaky.attempts] == [Verdict.FAILURE]
    assert always.verdict is Verdict.FAILURE
    assert always.message.startswith("AssertionError: every attempt fails")
    assert len(always.attempts) == 2
    assert cases["test_steady"].attempts == ()


def test_missing_report_is_a_pytest_error_with_the_output_tail() -> None:
    stdout = "\n".join(f"line {n}" for n in range(100))
    (case,) = to_cases(None, 1, stdout, "Fatal Python error: Segmentation fault", "svc")
    assert (case.classname, case.name, case.verdict) == (
        "svc",
        "[pytest]",
        Verdict.ERROR,
    )
    assert case.message == "pytest exited with code 1; it wrote no report"
    assert case.text.endswith("line 99\nFatal Python error: Segmentation fault")
    assert "line 0\n" not in case.text


def test_unreadable_report_is_a_pytest_error() -> None:
    (case,) = to_cases("<testsuites><testsuite", 1, "", "", "svc")
    assert case.verdict is Verdict.ERROR
    assert "its report is unreadable" in case.message


def test_report_missing_after_exit_zero_is_still_an_error() -> None:
    (case,) = to_cases(None, 0, "", "", "svc")
    assert case.verdict is Verdict.ERROR
    assert case.message == "pytest exited with code 0; it wrote no report"


@pytest.mark.parametrize(
    ("returncode", "message"),
    [
        (1, "pytest exited with code 1"),
        (2, "pytest was interrupted"),
        (3, "pytest hit an internal error"),
        (4, "pytest could not start: bad arguments or configuration"),
        (-9, "pytest was killed by signal 9"),
    ],
)
def test_red_exit_over_a_green_report_adds_a_pytest_error(
    returncode: int, message: str
) -> None:
    xml, run = recorded("passing")
    cases = to_cases(xml, returncode, run["stdout"], "", "svc")
    extra = [case for case in cases if case.name == "[pytest]"]
    assert [(c.verdict, c.message) for c in extra] == [(Verdict.ERROR, message)]
    assert len(cases) == 6


def test_interrupted_run_with_an_error_case_needs_no_extra_case() -> None:
    cases = normalised("collection_error")  # exit 2 with a collection error
    assert [case.name for case in cases] == ["tests.broken.test_broken"]


def test_failures_explain_exit_one_without_an_extra_case() -> None:
    assert "[pytest]" not in by_name(normalised("mixed"))


def test_earlier_failed_attempts_keep_their_details() -> None:
    xml = (
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="t" name="a"><failure message="boom">trace 1</failure></testcase>'
        '<testcase classname="t" name="a"><error message="failed on setup">trace 2</error></testcase>'
        '<testcase classname="t" name="a"/></testsuite></testsuites>'
    )
    (case,) = to_cases(xml, 0, "", "", "svc")
    assert case.verdict is Verdict.PASSED
    assert case.attempts == (
        Attempt(Verdict.FAILURE, "boom", "trace 1"),
        Attempt(Verdict.ERROR, "failed on setup", "trace 2"),
    )


def test_the_nameless_case_of_a_stopped_test_never_counts_as_passed() -> None:
    # What pytest 9.2 writes on SIGINT: the running test's element, opened at its setup and
    # never named, beside the tests that ended.
    xml = (
        '<testsuites><testsuite name="pytest" tests="3">'
        '<testcase classname="tests.test_hang" name="test_a" time="0.001"/>'
        '<testcase classname="tests.test_hang" name="test_b" time="0.001"/>'
        '<testcase classname="tests.test_hang.TestK" name="test_c" time="0.001"/>'
        '<testcase time="0.000"/></testsuite></testsuites>'
    )
    cases = to_cases(xml, 2, "", "", "svc")
    assert [(c.name, c.verdict) for c in cases] == [
        ("test_a", Verdict.PASSED),
        ("test_b", Verdict.PASSED),
        ("test_c", Verdict.PASSED),
        ("[pytest]", Verdict.ERROR),
    ]
    assert cases[-1].message == "pytest was interrupted"


@pytest.mark.parametrize(
    "node",
    [
        "tests/test_x.py::test_y",
        "tests/sub/test_x.py::TestA::TestB::test_y",
        "test_top.py::test_y[a::b/c.d]",
        "tests/test_x.py::TestA::test_y[x y-1]",
        "tests/test_x.py::test_y[a[b]]",
        "tests/test_x.py",
    ],
)
def test_case_names_are_those_pytests_junitxml_gives(node: str) -> None:
    from _pytest.junitxml import mangle_test_address

    *classes, name = mangle_test_address(node)
    assert case_names(node, "svc") == (f"svc/{'.'.join(classes) or COLLECTION}", name)
