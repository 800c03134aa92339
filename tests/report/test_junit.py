"""The JUnit writer: golden files, the schema, every reader's totals, sanitising and bounds."""

from __future__ import annotations

import re
import socket
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from junitparser.xunit2 import JUnitXml as XUnit2

from tandem.model import Attempt, Command, Step, TandemError, TestCase, Verdict
from tandem.report import Totals, totals, write_junit, write_report, xml_text
from tandem.report.junit import build_report
from tandem.report.text import (
    BODY_LIMIT,
    MESSAGE_LIMIT,
    clean,
    message_text,
    utc_timestamp,
)
from tandem.run import run_commands_sync
from tests.report.conftest import xunit_viewer_status

GOLDEN_TOTALS = Totals(tests=18, failures=7, errors=3, skipped=2)


def write(tmp_path: Path, outcomes, flavour: str = "strict") -> Path:
    """Write `outcomes` as the golden run would: fixed elapsed time and hostname."""
    path = tmp_path / "out" / "report.xml"
    write_junit(path, outcomes, flavour=flavour, elapsed=3.4123, hostname="ci-7")
    return path


def cases_of(path: Path) -> dict[tuple[str, str], ET.Element]:
    """The written testcases by (classname, name)."""
    root = ET.parse(path).getroot()
    return {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}


@pytest.mark.parametrize("flavour", ["strict", "extended"])
def test_golden_report(tmp_path, golden_outcomes, golden, flavour):
    path = write(tmp_path, golden_outcomes, flavour)
    golden(f"junit-{flavour}.xml", path.read_bytes())


def test_strict_report_passes_the_schema_and_every_reader(
    tmp_path, golden_outcomes, check_report
):
    path = write(tmp_path, golden_outcomes)
    assert check_report(path) == GOLDEN_TOTALS


def test_extended_report_adds_file_line_properties_and_root_skipped(
    tmp_path, golden_outcomes, junit10, check_report
):
    path = write(tmp_path, golden_outcomes, "extended")
    assert check_report(path, "extended") == GOLDEN_TOTALS
    root = ET.parse(path).getroot()
    assert root.get("skipped") == "2"
    case = cases_of(path)[("svc-b/tests.test_api.TestLogin", "test_x[a/b c]")]
    assert (case.get("file"), case.get("line")) == ("tests/test_api.py", "12")
    assert [(p.get("name"), p.get("value")) for p in case.iter("property")] == [
        ("owner", "team-b")
    ]
    assert list(junit10.iter_errors(str(path))), "extended is meant to fail junit-10"


def test_strict_report_has_no_extended_attributes(tmp_path, golden_outcomes):
    root = ET.parse(write(tmp_path, golden_outcomes)).getroot()
    assert "skipped" not in root.attrib
    for case in root.iter("testcase"):
        assert "file" not in case.attrib and "line" not in case.attrib
        assert case.find("properties") is None


def test_junit2html_renders_the_report(tmp_path, golden_outcomes):
    path, html = write(tmp_path, golden_outcomes), tmp_path / "report.html"
    argv = (sys.executable, "-m", "junit2htmlreport", str(path), str(html))
    (result,) = run_commands_sync([Command(argv, cwd=tmp_path)], timeout=120)
    assert result.returncode == 0, result.output
    assert "TestSub/b_c" in html.read_text(encoding="utf-8")


def test_flaky_and_rerun_attempts_are_read_by_xunit2(tmp_path, golden_outcomes):
    path = write(tmp_path, golden_outcomes)
    cases = {case.name: case for suite in XUnit2.fromfile(str(path)) for case in suite}
    flaky, rerun = cases["TestFlaky"], cases["TestRerun"]
    assert (
        flaky.is_passed
        and len(flaky.flaky_failures()) == len(flaky.flaky_errors()) == 1
    )
    assert (
        rerun.is_failure
        and len(rerun.rerun_failures()) == len(rerun.rerun_errors()) == 1
    )
    assert all(result.type == "go.test" for result in flaky.interim_result)


@pytest.mark.parametrize("flavour", ["strict", "extended"])
def test_xunit_viewer_counts_a_flaky_pass_as_passed(tmp_path, golden_outcomes, flavour):
    path = write(tmp_path, golden_outcomes, flavour)
    cases = cases_of(path)
    for case in cases.values():
        results = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        assert xunit_viewer_status(case) == (results or ["passed"])[0]
    flaky = cases[("svc-a/internal/driver", "TestFlaky")]
    assert [child.tag for child in flaky] == [
        "system-out",
        "flakyFailure",
        "flakyError",
    ]
    assert flaky.findtext("system-out") == "passed after 2 failed attempts"


def test_a_flaky_pass_opens_with_its_own_output(tmp_path, outcome):
    attempts = (Attempt(Verdict.FAILURE, "boom", "first"),)
    case = TestCase(
        "p", "T", type="go.test", stdout="out\n", stderr="err\n", attempts=attempts
    )
    path = write(tmp_path, [outcome("p", Step.TEST, case)])
    (written,) = cases_of(path).values()
    assert [child.tag for child in written] == ["system-out", "flakyFailure"]
    assert (written.findtext("system-out"), xunit_viewer_status(written)) == (
        "out\n",
        "passed",
    )


def test_suites_are_tasks_with_their_properties_and_times(tmp_path, golden_outcomes):
    root = ET.parse(write(tmp_path, golden_outcomes)).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "svc-a:test",
        "svc-a:vet",
        "svc-b:fmt",
        "svc-b:test",
        "svc-c:build",
        "svc-c:test",
    ]
    first = suites[0]
    assert (first.get("time"), root.get("time")) == ("2.024", "3.412")
    assert (first.get("timestamp"), first.get("hostname")) == (
        "2026-01-15T10:04:05",
        "ci-7",
    )
    assert [(p.get("name"), p.get("value")) for p in first.iter("property")] == [
        ("project", "svc-a"),
        ("language", "go"),
        ("step", "test"),
        ("go.version", "go1.24.4"),
    ]
    assert suites[2].get("timestamp") == "2026-01-15T10:04:05", "converted to UTC"
    assert [c.get("name") for c in suites[4].iter("testcase")] == ["[build]"]


def test_names_are_unique_across_the_whole_file(tmp_path, golden_outcomes):
    cases = cases_of(write(tmp_path, golden_outcomes))
    pkg = "svc-a/internal/driver"
    assert cases[(pkg, "TestSub/b_c")].find("failure") is not None
    assert cases[(pkg, "TestSub/b_c #2")].find("failure") is None
    assert (
        pkg,
        "TestPass #2",
    ) in cases, "the same pair in another suite is renamed too"


def test_duplicate_suffixes_never_collide(tmp_path, outcome):
    names = ["T", "T", "T #2", "T"]
    cases = (TestCase("p", name) for name in names)
    report = write_junit(
        tmp_path / "r.xml", [outcome("p", Step.TEST, *cases)], elapsed=1
    )
    assert [c.name for c in report.suites[0].cases] == ["T", "T #2", "T #2 #2", "T #3"]


def test_result_elements_carry_type_message_and_sanitised_text(
    tmp_path, golden_outcomes
):
    cases = cases_of(write(tmp_path, golden_outcomes))
    control = cases[("svc-a/internal/driver", "TestControl")].find("failure")
    assert control.get("message") == "nul\\u0000 bell\\u0007"
    assert control.text == (
        "nul\\u0000 bell\\u0007 surrogate\\udc80 fffe\\ufffe esc del\x7f\n"
    ), "OSC title dropped, others shown"
    sub = cases[("svc-a/internal/driver", "TestSub/b_c")]
    failure = sub.find("failure")
    assert (failure.get("type"), failure.get("message")) == (
        "go.test",
        "driver_test.go:41: want 3, got 2",
    )
    assert "\x1b" not in failure.text and "[31m" not in failure.text
    assert (sub.findtext("system-out"), sub.findtext("system-err")) == (
        "captured stdout\n",
        "captured stderr\n",
    )
    unicode = cases[("svc-a/internal/driver", "TestUnicode/é ü 日本 \U0001f600")]
    assert unicode.find("failure").text == "naïve café ☕\n"


def test_passing_output_is_dropped(tmp_path, golden_outcomes):
    passing = cases_of(write(tmp_path, golden_outcomes))[
        ("svc-a/internal/driver", "TestPass")
    ]
    assert list(passing) == [] and passing.get("time") == "0.012"


def test_file_is_ascii_with_character_references(tmp_path, golden_outcomes):
    data = write(tmp_path, golden_outcomes).read_bytes()
    assert data.startswith(b"<?xml version='1.0' encoding='us-ascii'?>\n<testsuites ")
    assert data.isascii() and b"&#233;" in data and b"&#128512;" in data


def test_times_are_three_decimals_never_negative(tmp_path, golden_outcomes):
    root = ET.parse(write(tmp_path, golden_outcomes)).getroot()
    times = [e.get("time") for e in root.iter() if e.get("time") is not None]
    assert all(len(t.split(".")[1]) == 3 and not t.startswith("-") for t in times)
    go_test = cases_of(write(tmp_path, golden_outcomes))[("svc-a", "[go test]")]
    assert go_test.get("time") == "0.000"


def test_long_bodies_keep_head_and_tail(tmp_path, golden_outcomes):
    long = cases_of(write(tmp_path, golden_outcomes))[
        ("svc-a/internal/driver", "TestLong")
    ]
    text = long.find("failure").text
    assert len(text) <= BODY_LIMIT
    assert text.startswith("line 000000 ") and text.endswith(
        "line 002999 of a very long output\n"
    )
    assert "characters cut ...]" in text
    assert long.find("failure").get("message") == "x" * (MESSAGE_LIMIT - 3) + "..."


def test_size_bound_halves_bodies_and_marks_the_report(tmp_path, outcome, check_report):
    huge = "0123456789abcdef\n" * 60_000  # about 1 MB per case
    cases = [
        TestCase("p", f"T{i}", 0.1, Verdict.FAILURE, "go.test", "", huge)
        for i in range(20)
    ]
    report = build_report([outcome("p", Step.TEST, *cases)], elapsed=1.0)
    path = tmp_path / "r.xml"
    written = write_report(path, report, max_bytes=600_000)
    assert path.stat().st_size < 600_000
    assert ("tandem.truncated", "true") in written.suites[0].properties
    assert all(
        len(c.results[0].text) <= BODY_LIMIT // 4 for c in written.suites[0].cases
    )
    assert 'name="tandem.truncated" value="true"' in path.read_text(encoding="ascii")
    assert totals(written) == check_report(path) == Totals(20, 20, 0, 0)


def test_reports_within_bounds_are_not_marked(tmp_path, golden_outcomes):
    assert "tandem.truncated" not in write(tmp_path, golden_outcomes).read_text(
        encoding="ascii"
    )


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, outcome, monkeypatch):
    path = tmp_path / "report.xml"
    path.write_text("previous report")
    monkeypatch.setattr("tandem.report.junit.render", _broken_render)
    with pytest.raises(RuntimeError):
        write_junit(path, [outcome("p", Step.TEST)], elapsed=1.0)
    assert path.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xml"]


def _broken_render(report, flavour):
    """A renderer that fails halfway through a write."""
    raise RuntimeError("disk on fire")


def test_unknown_flavour_is_a_user_error(tmp_path, outcome):
    with pytest.raises(TandemError, match="unknown report flavour 'fancy'"):
        write_junit(
            tmp_path / "r.xml", [outcome("p", Step.TEST)], elapsed=1.0, flavour="fancy"
        )
    assert not (tmp_path / "r.xml").exists()


def test_hostname_defaults_to_this_machine(tmp_path, outcome):
    report = write_junit(tmp_path / "r.xml", [outcome("p", Step.TEST)], elapsed=1.0)
    assert report.suites[0].hostname == socket.gethostname()


def test_extended_file_is_made_relative_to_the_root(tmp_path, outcome):
    case = TestCase("p/app", "black: app/cli.py", file="app/cli.py", line=1)
    done = outcome("p", Step.FMT, case)
    report = build_report([done], elapsed=1.0, root=Path("/repo"))
    assert report.suites[0].cases[0].file == "projects/p/app/cli.py"


def test_red_case_without_message_takes_the_first_line_of_its_text(tmp_path, outcome):
    case = TestCase(
        "p", "[go test]", verdict=Verdict.ERROR, type="go.test", text="\n  boom  \nmore"
    )
    report = write_junit(
        tmp_path / "r.xml", [outcome("p", Step.TEST, case)], elapsed=1.0
    )
    assert report.suites[0].cases[0].results[0].message == "boom"


def test_attempts_on_an_error_become_rerun_errors(tmp_path, outcome):
    attempts = (Attempt(Verdict.ERROR, "crash", "1"), Attempt(Verdict.FAILURE, "", "2"))
    case = TestCase("p", "T", verdict=Verdict.ERROR, type="pytest", attempts=attempts)
    report = write_junit(
        tmp_path / "r.xml", [outcome("p", Step.TEST, case)], elapsed=1.0
    )
    results = report.suites[0].cases[0].results
    assert [(r.tag, r.type, r.message) for r in results] == [
        ("error", "pytest", ""),
        ("rerunError", "pytest", "crash"),
        ("rerunFailure", "pytest", "2"),
    ]


def test_xml_text_bounds_and_marks_the_cut():
    text = "".join(f"{i:05d}\n" for i in range(20_000))
    bounded = xml_text(text, 1000)
    assert len(bounded) <= 1000
    cut = re.fullmatch(
        r"(.*\n)\[\.\.\. (\d+) characters cut \.\.\.\]\n(.*)", bounded, re.DOTALL
    )
    head, count, tail = cut.groups()
    assert int(count) == len(text) - len(head) - len(tail)
    assert head.startswith("00000\n") and tail.endswith("19999\n")
    assert {len(line) for line in (head + tail).splitlines()} == {5}, "whole lines only"


def test_a_huge_output_is_cleaned_only_at_its_ends():
    bounded = xml_text("\x07" + "y" * 20_000_000 + "\x00")
    assert len(bounded) <= BODY_LIMIT
    assert bounded.startswith("\\u0007yyy") and bounded.endswith("yyy\\u0000")


def test_xml_text_cleans_every_forbidden_character():
    forbidden = "".join(map(chr, [*range(0x20), 0xD800, 0xDFFF, 0xFFFE, 0xFFFF]))
    cleaned = clean(forbidden.replace("\x1b", ""))
    assert cleaned.startswith("\\u0000\\u0001") and "\t\n" in cleaned
    assert cleaned.endswith("\\ud800\\udfff\\ufffe\\uffff")
    assert xml_text("a\r\nb\rc \x1b[1;31mred\x1b[0m") == "a\nb\nc red"


def test_message_is_first_non_empty_line_bounded():
    assert message_text("\n \n  first  \nsecond") == "first"
    assert len(message_text("y" * 10_000)) == MESSAGE_LIMIT


def test_timestamps_are_utc_without_offset():
    east = timezone(timedelta(hours=-5))
    assert (
        utc_timestamp(datetime(2026, 1, 15, 5, 4, 5, 999, tzinfo=east))
        == "2026-01-15T10:04:05"
    )
    assert utc_timestamp(datetime(2026, 1, 15, 10, 4, 5)) == "2026-01-15T10:04:05"
    assert (
        utc_timestamp(datetime(2026, 1, 15, 10, 4, 5, tzinfo=UTC))
        == "2026-01-15T10:04:05"
    )
