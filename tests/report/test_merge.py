"""`tandem merge`: shards merged exactly once, counts recomputed, foreign files read, non-JUnit refused."""

from __future__ import annotations

import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tandem.model import Command, Step, TandemError, TestCase, Verdict
from tandem.report import Totals, merge_reports, read_junit, write_junit
from tandem.run import run_commands_sync

FAIL = Verdict.FAILURE


def shard(tmp_path: Path, name: str, outcomes, elapsed: float = 1.0) -> Path:
    """A report written by Tandem, as one CI shard would."""
    path = tmp_path / f"{name}.xml"
    write_junit(path, outcomes, elapsed=elapsed, hostname="ci-7")
    return path


def suite_names(path: Path) -> list[str]:
    """The suite names in a written file, in order."""
    return [suite.get("name") for suite in ET.parse(path).getroot().iter("testsuite")]


def foreign(tmp_path: Path, name: str, xml: str) -> Path:
    """A JUnit file as another tool might write it."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(xml).lstrip(), encoding="utf-8")
    return path


def test_shards_are_merged_exactly_once(tmp_path, outcome, check_report):
    a = shard(
        tmp_path, "a", [outcome("svc-a", Step.TEST, TestCase("svc-a", "T1"))], 2.5
    )
    b = shard(
        tmp_path,
        "b",
        [outcome("svc-b", Step.TEST, TestCase("svc-b", "T2", 0, FAIL))],
        4,
    )
    out = tmp_path / "merged" / "report.xml"
    assert merge_reports(out, [a, b, a]) == Totals(2, 1, 0, 0)
    assert check_report(out) == Totals(2, 1, 0, 0)
    assert suite_names(out) == ["svc-a:test", "svc-b:test"]
    root = ET.parse(out).getroot()
    assert root.get("time") == "4.000", "the longest shard"
    assert root.find("testsuite").get("hostname") == "ci-7"


def test_same_named_suites_of_different_files_are_one_suite_and_a_case_twice_shows(
    tmp_path, outcome, check_report
):
    a = shard(tmp_path, "a", [outcome("svc-a", Step.TEST, TestCase("svc-a", "T"))])
    b = shard(
        tmp_path, "b", [outcome("svc-a", Step.TEST, TestCase("svc-a", "T", 0, FAIL))]
    )
    out = tmp_path / "merged.xml"
    assert merge_reports(out, [a, b]) == Totals(2, 1, 0, 0)
    assert check_report(out) == Totals(2, 1, 0, 0)
    assert suite_names(out) == ["svc-a:test"]
    names = [case.get("name") for case in ET.parse(out).getroot().iter("testcase")]
    assert names == ["T", "T #2"], "the same test from two shards is numbered, to show"


def test_same_named_suites_of_one_file_get_distinct_names(tmp_path, check_report):
    twice = foreign(
        tmp_path,
        "twice.xml",
        """
        <testsuites>
          <testsuite name="pytest"><testcase classname="a" name="t"/></testsuite>
          <testsuite name="pytest"><testcase classname="b" name="t"/></testsuite>
        </testsuites>""",
    )
    out = tmp_path / "merged.xml"
    assert merge_reports(out, [twice]) == Totals(2, 0, 0, 0)
    assert suite_names(out) == ["pytest", "pytest #2"]


def test_a_tasks_parts_from_shards_merge_into_its_one_suite(
    tmp_path, outcome, check_report
):
    skipped = Verdict.SKIPPED
    empty = TestCase("svc-a", "[pytest]", verdict=skipped, message="no tests")
    needs = TestCase("svc-a", "[test]", verdict=Verdict.ERROR, message="needs x")
    parts = [
        [TestCase("svc-a/tests.test_a", "test_one"), needs],
        [TestCase("svc-a/tests.test_b", "test_two", 0, FAIL), needs],
        [empty, needs],
    ]
    inputs = [
        shard(tmp_path, f"s{n}", [outcome("svc-a", Step.TEST, *cases, duration=n)])
        for n, cases in enumerate(parts, 1)
    ]
    out = tmp_path / "merged.xml"
    assert merge_reports(out, inputs) == Totals(3, 1, 1, 0)
    assert check_report(out) == Totals(3, 1, 1, 0)
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite.get("name") == "svc-a:test" and suite.get("time") == "6.000"
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["test_one", "[test]", "test_two"], "step cases said once"


def test_counts_are_recomputed_from_the_cases(tmp_path, check_report):
    lying = foreign(
        tmp_path,
        "lying.xml",
        """
        <testsuites tests="99" failures="0">
          <testsuite name="x" tests="1" failures="0" errors="0" skipped="7" time="0.1234567">
            <testcase classname="x" name="a"><failure message="m">boom</failure></testcase>
            <testcase classname="x" name="b"><skipped/></testcase>
            <testcase classname="x" name="c"><error/><failure>also</failure></testcase>
          </testsuite>
        </testsuites>""",
    )
    out = tmp_path / "merged.xml"
    assert merge_reports(out, [lying]) == Totals(3, 1, 1, 1)
    assert check_report(out) == Totals(3, 1, 1, 1)
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite.get("time") == "0.123"
    third = suite.findall("testcase")[2]
    assert [child.tag for child in third] == [
        "error"
    ], "one result element: the first red"
    assert third.find("error").text == "[failure]\nalso"


def test_a_single_testsuite_root_and_nested_suites_are_flattened(
    tmp_path, check_report
):
    nested = foreign(
        tmp_path,
        "nested.xml",
        """
        <testsuite name="outer" tests="2" failures="0" errors="0" timestamp="2026-01-15T12:04:05+02:00">
          <testsuite name="inner" tests="1" failures="0" errors="0">
            <testcase classname="p" name="deep"/>
          </testsuite>
          <testcase classname="p" name="shallow"/>
        </testsuite>""",
    )
    out = tmp_path / "merged.xml"
    assert merge_reports(out, [nested]) == Totals(2, 0, 0, 0)
    check_report(out)
    suites = ET.parse(out).getroot().findall("testsuite")
    assert [(s.get("name"), s.get("timestamp")) for s in suites] == [
        ("outer", "2026-01-15T10:04:05"),
        ("inner", None),
    ]


def test_a_suite_level_error_becomes_a_red_testcase(tmp_path, check_report):
    broken = foreign(
        tmp_path,
        "broken.xml",
        """
        <testsuites><testsuite name="init" tests="0" failures="0" errors="1">
          <error message="setup failed">db unreachable</error>
        </testsuite></testsuites>""",
    )
    out = tmp_path / "merged.xml"
    assert merge_reports(out, [broken]) == Totals(1, 0, 1, 0)
    case = ET.parse(out).getroot().find("testsuite/testcase")
    assert (case.get("classname"), case.get("name")) == ("init", "[suite]")
    assert case.find("error").text == "db unreachable"


def test_extended_input_merged_strict_drops_what_junit10_rejects(
    tmp_path, outcome, check_report
):
    case = TestCase(
        "svc-b/app", "T", 0, FAIL, file="app/x.py", line=3, properties=(("k", "v"),)
    )
    extended = tmp_path / "extended.xml"
    write_junit(
        extended, [outcome("svc-b", Step.TEST, case)], elapsed=1, flavour="extended"
    )
    strict, again = tmp_path / "strict.xml", tmp_path / "extended-again.xml"
    assert (
        merge_reports(strict, [extended]) == check_report(strict) == Totals(1, 1, 0, 0)
    )
    merge_reports(again, [extended], flavour="extended")
    assert read_junit(again).suites[0].cases[0].file == "app/x.py"
    assert 'line="3"' in again.read_text(encoding="ascii")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("just some text\n", "not JUnit XML: syntax error: line 1, column 0"),
        ("<html><body/></html>", "not JUnit XML: the root element is <html>"),
        ("<testsuites><testsuite>", "not JUnit XML: no element found"),
        ("", "not JUnit XML: no element found"),
    ],
)
def test_non_junit_input_is_refused_with_one_line(tmp_path, outcome, content, problem):
    good = shard(tmp_path, "good", [outcome("p", Step.TEST)])
    bad = tmp_path / "bad.xml"
    bad.write_text(content)
    out = tmp_path / "merged.xml"
    with pytest.raises(TandemError) as caught:
        merge_reports(out, [good, bad])
    message = str(caught.value)
    assert message.startswith(f"{bad}: {problem}") and "\n" not in message
    assert not out.exists(), "nothing written"


def test_a_missing_input_is_refused(tmp_path):
    with pytest.raises(TandemError, match=r"missing\.xml: cannot read: No such file"):
        merge_reports(tmp_path / "out.xml", [tmp_path / "missing.xml"])


def test_no_inputs_is_refused(tmp_path):
    with pytest.raises(TandemError, match="no input files"):
        merge_reports(tmp_path / "out.xml", [])


PYTEST_TESTS = """\
import pytest

def test_pass():
    print("\\x1b[32mgreen\\x1b[0m and a bell \\x07")

def test_fail():
    print("caf\\u00e9 output")
    assert 1 == 2

@pytest.mark.skip(reason="not here")
def test_skip():
    pass

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_error(broken):
    pass

@pytest.mark.parametrize("x", ["a/b c", "a/b c "])
def test_param(x):
    assert x
"""


def run_pytest(tmp_path: Path) -> Path:
    """Run the real pytest on a small test file; return the JUnit XML it wrote."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "test_sample.py").write_text(PYTEST_TESTS, encoding="utf-8")
    xml = project / "pytest.xml"
    argv = (
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
    )
    argv += (f"--junitxml={xml}", "-o", "junit_logging=all", "test_sample.py")
    (result,) = run_commands_sync([Command(argv, cwd=project)], timeout=120)
    assert result.returncode == 1, result.output
    return xml


def test_merging_a_pytest_report(tmp_path, outcome, check_report):
    pytest_xml = run_pytest(tmp_path)
    ours = shard(
        tmp_path, "ours", [outcome("svc-a", Step.TEST, TestCase("svc-a", "T", 0, FAIL))]
    )
    out = tmp_path / "merged.xml"
    expected = Totals(tests=8, failures=2, errors=1, skipped=2)
    assert merge_reports(out, [ours, pytest_xml]) == expected
    assert check_report(out) == expected
    assert suite_names(out) == ["svc-a:test", "pytest"]
    suite = ET.parse(out).getroot().findall("testsuite")[1]
    assert "+" not in suite.get("timestamp") and len(suite.get("timestamp")) == 19
    failing = next(c for c in suite.iter("testcase") if c.get("name") == "test_fail")
    assert "café output" in failing.findtext("system-out")
