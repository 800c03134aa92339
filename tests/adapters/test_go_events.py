"""The `go test -json` converter against streams recorded with real Go.

tests/data/go/record.py records the streams; TANDEM_UPDATE_GOLDEN=1 rewrites the golden files.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tandem.adapters.base import error_case, tail
from tandem.adapters.go_events import convert, parse
from tandem.capture import Capture
from tandem.model import Command, ProcessResult, Project, TestCase, Verdict
from tests.gofixtures import (
    MODULE,
    PROJECT,
    check_golden,
    recorded,
    recorded_source,
    render,
    scenarios,
)


def cases_of(name: str, **options: object) -> tuple[TestCase, ...]:
    """The converted cases of one recorded run, read beside the source it was recorded from."""
    stdout, stderr, returncode = recorded(name)
    options.setdefault("source", recorded_source)
    return convert(stdout, stderr, returncode, MODULE, PROJECT, **options)


def by_name(name: str, **options: object) -> dict[tuple[str, str], TestCase]:
    """The converted cases of one recorded run, by (classname, name)."""
    return {(case.classname, case.name): case for case in cases_of(name, **options)}


def events(stdout: str) -> list[dict]:
    """The JSON events of a stream; lines end at "\\n" alone, as Go writes them."""
    return [json.loads(line) for line in stdout.split("\n") if line.startswith("{")]


def go_says(stdout: str) -> Counter[str]:
    """Per test, the worst terminal action Go reported ("open" when none): Go's own count."""
    worst: dict[tuple[str, str], str] = {}
    rank = {"open": 0, "pass": 1, "skip": 2, "fail": 3}
    for event in events(stdout):
        if not event.get("Test"):
            continue
        key = (event["Package"], event["Test"])
        action = event["Action"] if event["Action"] in rank else "open"
        if rank[action] >= rank[worst.get(key, "open")]:
            worst[key] = action
    return Counter(worst.values())


def terminal_events(stdout: str) -> int:
    """How many pass, fail and skip events Go sent for tests."""
    return sum(
        1
        for e in events(stdout)
        if e.get("Test") and e["Action"] in ("pass", "fail", "skip")
    )


@pytest.mark.parametrize("name", scenarios())
def test_cases_match_golden_file(name: str) -> None:
    check_golden(name, render(cases_of(name)))


@pytest.mark.parametrize("name", scenarios())
def test_counts_equal_what_go_test_reported(name: str) -> None:
    stdout, _, _ = recorded(name)
    tests = [case for case in cases_of(name) if not case.name.startswith("[")]
    ours = Counter(case.verdict for case in tests)
    go = go_says(stdout)
    assert ours[Verdict.PASSED] == go["pass"]
    assert ours[Verdict.FAILURE] == go["fail"]
    assert ours[Verdict.SKIPPED] == go["skip"]
    assert ours[Verdict.ERROR] == go["open"]
    ended = [c for c in tests if c.verdict is not Verdict.ERROR]
    attempts = sum(int(dict(c.properties).get("attempts", 1)) for c in ended)
    assert attempts == terminal_events(stdout)


@pytest.mark.parametrize("name", scenarios())
def test_a_red_run_is_never_green_and_names_are_unique(name: str) -> None:
    cases = cases_of(name)
    _, _, returncode = recorded(name)
    assert returncode == 0 or any(case.red for case in cases)
    assert len({(c.classname, c.name) for c in cases}) == len(cases)


def test_classnames_are_package_dirs_under_the_project() -> None:
    assert {case.classname for case in cases_of("pass")} == {"fx", "fx/pass"}


def test_failure_message_is_the_failing_test_file_line() -> None:
    cases = by_name("fail")
    assert cases[("fx/fail", "TestBad")].message == "fail_test.go:10: want 3, got 2"
    assert cases[("fx/fail", "TestFatal")].message == "fail_test.go:16: boom"
    assert cases[("fx/fail", "TestNoMessage")].message == "Failed"
    assert cases[("fx/fail", "TestGood")].verdict is Verdict.PASSED
    assert "still running after the error" in cases[("fx/fail", "TestBad")].text


def test_skips_carry_the_skip_message() -> None:
    cases = by_name("skip")
    assert cases[("fx/skip", "TestSkipped")].verdict is Verdict.SKIPPED
    assert (
        cases[("fx/skip", "TestSkipped")].message == "skip_test.go:6: needs a database"
    )
    assert cases[("fx/skip", "TestSkipNow")].message == "skipped"


def test_subtests_keep_their_full_names_and_a_failing_child_fails_the_parent() -> None:
    cases = by_name("subtests")
    names = [name for (_, name) in cases]
    assert names[:5] == [
        "TestSub",
        "TestSub/b_c",
        "TestSub/x/y",
        "TestSub/nested",
        "TestSub/nested/deep_one",
    ]
    assert cases[("fx/sub", "TestParentFails/bad/case")].verdict is Verdict.FAILURE
    assert cases[("fx/sub", "TestParentFails")].verdict is Verdict.FAILURE
    assert cases[("fx/sub", "TestParentFails/skipped")].verdict is Verdict.SKIPPED


def test_a_panicking_test_fails_and_later_tests_are_absent() -> None:
    cases = by_name("panic")
    panicked = cases[("fx/panic", "TestPanic")]
    assert panicked.verdict is Verdict.FAILURE
    assert panicked.message.startswith("panic: assignment to entry in nil map")
    assert ("fx/panic", "TestAfter") not in cases
    assert ("fx/panic", "[package]") not in cases


def test_os_exit_leaves_the_test_incomplete() -> None:
    cases = by_name("exit")
    exited = cases[("fx/exit", "TestExit")]
    assert (exited.verdict, exited.type) == (Verdict.ERROR, "go.incomplete")
    assert exited.message == "test did not complete"
    assert "leaving early" in exited.text
    assert ("fx/exit", "[package]") not in cases


def test_a_timeout_is_blamed_on_the_running_tests() -> None:
    cases = by_name("timeout")
    assert cases[("fx/hang", "TestQuick")].verdict is Verdict.PASSED
    for name in ("TestSlowA", "TestSlowB", "TestSlowB/inner"):
        case = cases[("fx/hang", name)]
        assert (case.verdict, case.type, case.message) == (
            Verdict.ERROR,
            "go.timeout",
            "test timed out after 1s",
        )
        assert "panic: test timed out after 1s" in case.text
        assert "running tests:" in case.text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("testmain", "setup failed: db unreachable"),
        ("initpanic", "panic: init exploded"),
    ],
)
def test_a_package_failing_without_a_failing_test_is_a_package_error(
    name: str, message: str
) -> None:
    cases = cases_of(name)
    red = [case for case in cases if case.red]
    assert [(c.name, c.type, c.message) for c in red] == [
        ("[package]", "go.package", message)
    ]


def test_parallel_tests_end_by_their_own_events() -> None:
    cases = by_name("parallel")
    assert (
        cases[("fx/parallel", "TestParFail")].message
        == "par_test.go:20: parallel failure"
    )
    for sub in ("a", "b", "c"):
        assert cases[("fx/parallel", f"TestPar/{sub}")].verdict is Verdict.PASSED
    assert cases[("fx/parallel", "TestPar")].verdict is Verdict.PASSED


def test_examples_are_tests() -> None:
    cases = by_name("examples")
    assert cases[("fx/examples", "Example_good")].verdict is Verdict.PASSED
    bad = cases[("fx/examples", "Example_bad")]
    assert (bad.verdict, bad.message) == (Verdict.FAILURE, "Failed")
    assert "got:\nbad\nwant:\ngood\n" in bad.text


def test_fuzz_seeds_are_subtests_and_fail_their_parent() -> None:
    cases = by_name("fuzz")
    assert cases[("fx/fuzz", "FuzzReverse/seed#0")].verdict is Verdict.PASSED
    assert cases[("fx/fuzz", "FuzzReverse/seed#1")].message == (
        'fuzz_test.go:10: round trip of "bad" failed'
    )
    assert cases[("fx/fuzz", "FuzzReverse/c0ffee")].verdict is Verdict.FAILURE
    assert cases[("fx/fuzz", "FuzzReverse")].verdict is Verdict.FAILURE


def test_count_collapses_repeats_and_the_worst_attempt_decides() -> None:
    cases = cases_of("count")
    assert [case.name for case in cases] == ["TestFlaky", "TestStable", "TestAlways"]
    flaky, stable, always = cases
    assert (flaky.verdict, flaky.message, flaky.attempts) == (
        Verdict.FAILURE,
        "count_test.go:10: first run fails",
        (),
    )
    assert stable.verdict is Verdict.PASSED
    assert always.verdict is Verdict.FAILURE
    assert [(a.verdict, a.message) for a in always.attempts] == [
        (Verdict.FAILURE, "count_test.go:17: always fails")
    ]
    assert ("attempts", "2") in always.properties


def test_attrs_become_properties() -> None:
    assert by_name("pass")[("fx/pass", "TestTwo")].properties == (("owner", "team-a"),)


def test_no_test_files_adds_nothing() -> None:
    cases = cases_of("nofiles")
    assert {case.classname for case in cases} == {"fx/pass"}


def test_cached_results_are_replayed_as_passes() -> None:
    assert [c.verdict for c in cases_of("cached")] == [Verdict.PASSED] * 3


def broken(name: str) -> dict[str, TestCase]:
    """The `[build failed]` cases of one recorded run, by classname."""
    return {c.classname: c for c in cases_of(name) if c.name == "[build failed]"}


@pytest.mark.parametrize("name", ["buildfail", "buildfail_text"])
def test_each_package_that_does_not_compile_is_its_own_error(name: str) -> None:
    cases = broken(name)
    assert sorted(cases) == ["fx/brokenlib", "fx/brokentest", "fx/usesbroken"]
    assert all(
        (c.verdict, c.type) == (Verdict.ERROR, "go.build") for c in cases.values()
    )
    assert "bt_test.go:6:5: undefined: undefinedHelper" in cases["fx/brokentest"].text
    assert "lib.go:4:9: cannot use" in cases["fx/brokenlib"].text
    assert "lib.go:4:9: cannot use" in cases["fx/usesbroken"].text
    passing = [c.name for c in cases_of(name) if c.classname == "fx/pass"]
    assert passing == ["TestOne", "TestTwo"]


def test_a_vet_failure_inside_go_test_is_a_build_failure() -> None:
    (case,) = cases_of("vetfail")
    assert (case.name, case.type) == ("[build failed]", "go.build")
    assert "Logf format %d has arg" in case.text


def test_a_setup_failure_names_the_pattern() -> None:
    (case,) = cases_of("badpattern")
    assert (case.classname, case.name, case.message) == (
        "fx/nosuchdir",
        "[build failed]",
        "setup failed",
    )
    assert "directory not found" in case.text


def test_an_exit_without_events_is_a_go_test_error() -> None:
    (case,) = cases_of("badflag")
    assert (case.classname, case.name, case.type) == ("fx", "[go test]", "go.test")
    assert case.message == "go test exited with code 2"
    assert 'invalid value "soon" for flag -timeout' in case.text


def test_pre_124_build_failure_text_without_events() -> None:
    stderr = (
        "# ex/broken [ex/broken.test]\nbroken/b_test.go:5:28: undefined: undefinedFn\n"
        "# ex/other\nother/o.go:1:1: nope\n"
    )
    stdout = "FAIL\tex/broken [build failed]\nFAIL\n"
    (case,) = convert(stdout, stderr, 2, "ex", "svc")
    assert (case.classname, case.name, case.type) == (
        "svc/broken",
        "[build failed]",
        "go.build",
    )
    assert (
        case.text
        == "# ex/broken [ex/broken.test]\nbroken/b_test.go:5:28: undefined: undefinedFn\n"
    )


def test_stray_text_and_a_killed_run_still_give_a_red_case() -> None:
    stdout = 'not json\n{"Action":"run","Package":"ex","Test":"TestA"}\n'
    cases = convert(stdout, "", -15, "ex", "svc")
    assert [(c.name, c.type, c.message) for c in cases] == [
        ("TestA", "go.incomplete", "test did not complete")
    ]
    (case,) = convert("not json\n", "", -15, "ex", "svc")
    assert (case.name, case.text) == ("[go test]", "not json\n")


@pytest.mark.parametrize("name", scenarios())
def test_a_stream_cut_short_by_a_kill_still_converts_to_red(name: str) -> None:
    stdout, stderr, _ = recorded(name)
    half = stdout[: len(stdout) // 2]
    cases = convert(
        half + '{"Action": "pass", "Elapsed": "soon"}\n[1]\n',
        stderr,
        -9,
        MODULE,
        PROJECT,
    )
    assert any(case.red for case in cases)


def test_lines_with_unicode_line_breaks_stay_whole() -> None:
    stdout, _, _ = recorded("nel")
    assert "\u0085" in stdout  # Go writes U+0085 raw, and U+2028/U+2029 escaped
    assert parse(stdout).stray == []
    cases = by_name("nel")
    nel = cases[("fx/nel", "TestNextLine")]
    assert (nel.verdict, nel.message) == (
        Verdict.FAILURE,
        "nel_test.go:6: want x\u0085got y",
    )
    assert (nel.file, nel.line) == ("nel/nel_test.go", 6)
    assert "    nel_test.go:6: want x\u0085got y\n" in nel.text
    separators = cases[("fx/nel", "TestSeparators")]
    assert separators.message == "nel_test.go:11: paragraph\u2029separator"
    assert "nel_test.go:10: line\u2028separator\n" in separators.text


def test_the_tail_of_tool_output_cuts_lines_at_newlines_only() -> None:
    assert tail("want x\u0085got y\npara\u2029graph\nlast\n", 2) == (
        "[... 1 lines cut ...]\npara\u2029graph\nlast"
    )


def test_the_failing_line_is_the_last_that_is_no_log_call() -> None:
    cases = by_name("order")
    expected = {
        "TestLogThenError": ("order_test.go:7: want 3, got 2", 7),
        "TestErrorThenLog": ("order_test.go:11: want 4, got 5", 11),
        "TestErrorLogFatal": ("order_test.go:18: second check failed", 18),
    }
    for name, (message, line) in expected.items():
        case = cases[("fx/order", name)]
        assert (case.message, case.file, case.line) == (
            message,
            "order/order_test.go",
            line,
        )


def test_without_the_source_the_last_located_line_fails_the_test() -> None:
    cases = by_name("order", source=lambda file, line: "")
    assert cases[("fx/order", "TestLogThenError")].line == 7
    # The documented limit: a t.Log after the failure, with no source to show it, is taken.
    assert cases[("fx/order", "TestErrorThenLog")].message == (
        "order_test.go:12: cleaning up"
    )


def event(action: str, output: str = "", kind: str = "") -> str:
    """One `go test -json` line of test ex/p.Test; `kind` is Go 1.27+'s OutputType."""
    fields = {"Action": action, "Package": "ex/p", "Test": "Test"}
    fields |= {"Output": output} if output else {}
    fields |= {"OutputType": kind} if kind else {}
    return json.dumps(fields) + "\n"


def test_go_marking_error_lines_decides_the_failing_line() -> None:
    # The shape of Go 1.27+ output (golang/go src/cmd/go/testdata/script/test_json_fails.txt).
    stdout = "".join(
        [
            event("run"),
            event("output", "=== RUN   Test\n", "frame"),
            event("output", "    x_test.go:5: logged first\n"),
            event("output", "    x_test.go:6: Error1\n", "error"),
            event("output", "        Error2\n", "error-continue"),
            event("output", "    x_test.go:7: logged after\n"),
            event("output", "--- FAIL: Test (0.00s)\n", "frame"),
            event("fail"),
        ]
    )
    (case,) = convert(stdout, "", 1, "ex", "svc")
    assert (case.message, case.file, case.line) == (
        "x_test.go:6: Error1",
        "p/x_test.go",
        6,
    )


def test_an_interrupted_test_is_one_error_named_by_the_test() -> None:
    cases = by_name("interrupt")
    hung = cases[("fx/interrupt", "TestHang")]
    assert (hung.verdict, hung.type, hung.message) == (
        Verdict.ERROR,
        "go.interrupted",
        "test interrupted (signal: interrupt)",
    )
    assert "about to hang" in hung.text and "signal: interrupt" in hung.text
    assert cases[("fx/interrupt", "TestQuick")].verdict is Verdict.PASSED
    assert ("fx/interrupt", "TestLater") not in cases
    assert [key for key, case in cases.items() if case.red] == [
        ("fx/interrupt", "TestHang")
    ]


def stop(kind: str, message: str) -> TestCase:
    """The `[go test]` case that `base.special_case` makes when Tandem stops go test."""
    project = Project(PROJECT, "go", MODULE)
    result = ProcessResult(
        Command(("go", "test"), Path(".")), -2, duration=9.2, timed_out=True
    )
    return error_case(project, "go test", kind, message, result)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("tandem.timeout", "timed out after 9s and was killed"),
        ("tandem.interrupted", "interrupted after 9s"),
    ],
)
def test_tandem_stopping_go_test_is_blamed_on_the_running_test(
    kind: str, message: str
) -> None:
    cases = cases_of("interrupt", stopped=stop(kind, message))
    red = [case for case in cases if case.red]
    assert [(c.name, c.type, c.message) for c in red] == [
        ("TestHang", kind, f"go test {message} while this test ran")
    ]
    assert "about to hang" in red[0].text


def test_tandem_stopping_go_test_between_tests_is_a_go_test_case() -> None:
    stopped = stop("tandem.timeout", "timed out after 9s and was killed")
    cases = cases_of("pass", stopped=stopped)
    assert [c for c in cases if c.red] == [stopped]


def test_go_timing_out_first_leaves_no_tandem_timeout_case_beside() -> None:
    stopped = stop("tandem.timeout", "timed out after 9s and was killed")
    cases = cases_of("timeout", stopped=stopped)
    assert {c.type for c in cases if c.red} == {"go.timeout"}


def cut_stream(name: str, keep: int) -> tuple[str, int]:
    """A recorded stdout kept as Tandem keeps a flood: its head and tail, the middle cut."""
    capture = Capture(keep)
    capture.feed(recorded(name)[0].encode())
    return capture.text()


def test_cut_output_is_never_green() -> None:
    stdout, cut = cut_stream("pass", 2000)
    _, stderr, returncode = recorded("pass")
    assert cut > 0 and returncode == 0
    # TestOne's events all fell in the cut: unaware of it, the run looks green.
    blind = convert(stdout, stderr, returncode, MODULE, PROJECT)
    assert ("fx/pass", "TestOne") not in {(c.classname, c.name) for c in blind}
    assert not any(c.red for c in blind)
    cases = convert(stdout, stderr, returncode, MODULE, PROJECT, cut=cut)
    (lost,) = [c for c in cases if c.red]
    assert (lost.classname, lost.name, lost.type) == (
        "fx",
        "[go test]",
        "tandem.output-cut",
    )
    assert lost.message == (
        f"{cut} bytes of go test's output were cut: test results may be missing"
    )


def test_a_cut_beside_a_stop_is_said_in_the_one_go_test_case() -> None:
    stopped = stop("tandem.timeout", "timed out after 9s and was killed")
    cases = cases_of("pass", stopped=stopped, cut=120)
    (red,) = [c for c in cases if c.red]
    assert (red.name, red.type) == ("[go test]", "tandem.timeout")
    assert red.message.endswith(
        "; 120 bytes of go test's output were cut: test results may be missing"
    )
