"""The `go test -json` converter against streams recorded with real Go.

tests/data/go/record.py records the streams; TANDEM_UPDATE_GOLDEN=1 rewrites the golden files.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tandem.adapters.go_events import convert
from tandem.model import TestCase, Verdict
from tests.gofixtures import MODULE, PROJECT, check_golden, recorded, render, scenarios


def cases_of(name: str) -> tuple[TestCase, ...]:
    """The converted cases of one recorded run."""
    stdout, stderr, returncode = recorded(name)
    return convert(stdout, stderr, returncode, MODULE, PROJECT)


def by_name(name: str) -> dict[tuple[str, str], TestCase]:
    """The converted cases of one recorded run, by (classname, name)."""
    return {(case.classname, case.name): case for case in cases_of(name)}


def go_says(stdout: str) -> Counter[str]:
    """Per test, the worst terminal action Go reported ("open" when none): Go's own count."""
    worst: dict[tuple[str, str], str] = {}
    rank = {"open": 0, "pass": 1, "skip": 2, "fail": 3}
    for line in stdout.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        if not event.get("Test"):
            continue
        key = (event["Package"], event["Test"])
        action = event["Action"] if event["Action"] in rank else "open"
        if rank[action] >= rank[worst.get(key, "open")]:
            worst[key] = action
    return Counter(worst.values())


def terminal_events(stdout: str) -> int:
    """How many pass, fail and skip events Go sent for tests."""
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return sum(
        1 for e in events if e.get("Test") and e["Action"] in ("pass", "fail", "skip")
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


def test_failure_message_is_the_first_test_file_line() -> None:
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
            "go.incomplete",
            "test timed out",
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
