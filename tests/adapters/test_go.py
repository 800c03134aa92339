"""The Go adapter with the real go and gofmt on small fixture modules."""

from __future__ import annotations

import dataclasses
import os
import textwrap
from pathlib import Path

import pytest

from tandem.adapters import go
from tandem.adapters.go_findings import gofmt_cases, vet_cases
from tandem.capture import Capture
from tandem.model import (
    LANGUAGE_STEPS,
    Command,
    Context,
    ProcessResult,
    Project,
    Step,
    TestCase,
    Verdict,
)
from tandem.run import run_commands_sync
from tests.gofixtures import context, go_project, recorded, write_module

LIB = {
    "lib/lib.go": """
        package lib

        // Double returns twice n.
        func Double(n int) int { return 2 * n }
        """,
    "lib/lib_test.go": """
        package lib

        import "testing"

        func TestDouble(t *testing.T) {
        	if Double(2) != 4 {
        		t.Fatal("bad double")
        	}
        }
        """,
}
APP = {
    "cmd/app/main.go": """
        package main

        import (
        	"fmt"

        	"example.com/fx/lib"
        )

        func main() { fmt.Println(lib.Double(21)) }
        """,
}
BROKEN = {
    "broken/broken.go": """
        package broken

        func Value() int { return "text" }
        """,
    "broken/broken_test.go": """
        package broken

        import "testing"

        func TestValue(t *testing.T) { _ = Value() }
        """,
}
UGLY = {
    "lib/ugly.go": "package lib\nfunc  Ugly( ) {}\n",
    "vendor/x/x.go": "package x\nfunc  Ugly( ) {}\n",
    "testdata/bad.go": "package x\nfunc  Ugly( {}\n",
    "nested/go.mod": "module example.com/nested\n",
    "nested/n.go": "package nested\nfunc  Ugly( ) {}\n",
}


def step(
    project: Project, which: Step, ctx: Context, timeout: float = 120.0
) -> tuple[TestCase, ...]:
    """Run one step's real commands and judge them."""
    results = run_commands_sync(go.commands(project, which, ctx), timeout)
    return go.judge(project, which, results, ctx)


def summary(cases: tuple[TestCase, ...]) -> list[tuple[str, str, str, str]]:
    """Identity, verdict and type of each case."""
    return [(c.classname, c.name, c.verdict.value, c.type) for c in cases]


def test_commands_hold_the_slots_and_stay_under_the_watchdog(tmp_path: Path) -> None:
    project = dataclasses.replace(
        go_project(tmp_path), args={Step.TEST: ("-run", "TestX")}
    )
    ctx = context(tmp_path, timeout=100)
    (build,) = go.commands(project, Step.BUILD, ctx)
    assert build.argv == ("go", "install", "-p", "2", "./...")
    assert build.env == {"GOMAXPROCS": "2", "CGO_ENABLED": "0", "GOBIN": str(ctx.dist)}
    (vet,) = go.commands(project, Step.VET, ctx)
    assert vet.argv == ("go", "vet", "-json", "-p", "2", "./...")
    (test,) = go.commands(project, Step.TEST, ctx)
    assert test.argv == (
        (
            "go",
            "test",
            "-json",
            "-p",
            "2",
            "-timeout",
            "90000ms",
            "./...",
            "-run",
            "TestX",
        )
    )
    race = {"GORACE": "atexit_sleep_ms=0"} if "GORACE" not in os.environ else {}
    assert (test.cwd, test.env) == (tmp_path, {"GOMAXPROCS": "2", **race})
    assert go.go_timeout(3) == "1500ms"
    assert go.versions(tmp_path) == {
        "go.version": Command(("go", "version"), cwd=tmp_path)
    }


def test_fmt_lists_the_files_go_fmt_would_check(tmp_path: Path) -> None:
    files = {**LIB, **UGLY, "_skip/s.go": "package s\n", ".hidden/h.go": "package h\n"}
    project = go_project(write_module(tmp_path / "fx", files))
    (check,) = go.commands(project, Step.FMT, context(tmp_path))
    assert check.argv == (
        "gofmt",
        "-l",
        "-d",
        "--",
        "lib/lib.go",
        "lib/lib_test.go",
        "lib/ugly.go",
    )
    (fix,) = go.commands(project, Step.FMT, context(tmp_path, fix=True))
    assert fix.argv[:3] == ("gofmt", "-l", "-w")


def test_local_requirements_are_replace_directives_to_directories(
    tmp_path: Path,
) -> None:
    gomod = """
        module "example.com/fx" // the service

        go 1.22

        replace example.com/lib => ../lib // local
        replace example.com/pinned v1.0.0 => example.com/fork v1.2.0
        replace\texample.com/t => ../tabbed
        replacement example.com/no => ../not-a-directive

        replace (
        	example.com/a => ./third_party/a
        	example.com/b v1.0.0 => "../b dir"
        	example.com/c => example.com/c2 v0.1.0
        )
        """
    root = tmp_path / "fx"
    root.mkdir()
    (root / "go.mod").write_text(textwrap.dedent(gomod))
    assert go.local_requirements(root) == (
        (tmp_path / "lib").resolve(),
        (tmp_path / "tabbed").resolve(),
        (root / "third_party" / "a").resolve(),
        (tmp_path / "b dir").resolve(),
    )
    assert go.module_path(root) == "example.com/fx"
    assert go.local_requirements(tmp_path / "nowhere") == ()


def test_a_green_module_passes_every_step_and_builds_static_binaries(
    tmp_path: Path,
) -> None:
    project = go_project(write_module(tmp_path / "fx", {**LIB, **APP}))
    ctx = context(tmp_path)
    assert summary(step(project, Step.BUILD, ctx)) == [
        ("fx", "[go build]", "passed", "")
    ]
    assert (ctx.dist / "app").is_file()
    assert summary(step(project, Step.FMT, ctx)) == [("fx", "[gofmt]", "passed", "")]
    assert summary(step(project, Step.VET, ctx)) == [("fx", "[go vet]", "passed", "")]
    assert summary(step(project, Step.TEST, ctx)) == [
        ("fx/lib", "TestDouble", "passed", "")
    ]


def test_a_module_without_main_packages_builds_green(tmp_path: Path) -> None:
    project = go_project(write_module(tmp_path / "fx", LIB))
    assert summary(step(project, Step.BUILD, context(tmp_path))) == [
        ("fx", "[go build]", "passed", "")
    ]


def test_gofmt_findings_are_failures_per_file_with_the_diff(tmp_path: Path) -> None:
    project = go_project(write_module(tmp_path / "fx", {**LIB, **UGLY}))
    (case,) = step(project, Step.FMT, context(tmp_path))
    assert (case.classname, case.name, case.verdict, case.type) == (
        "fx/lib",
        "gofmt: lib/ugly.go",
        Verdict.FAILURE,
        "fmt.gofmt",
    )
    assert "+func Ugly() {}" in case.text
    assert case.file == "lib/ugly.go"


def test_gofmt_listing_files_with_exit_0_is_still_a_failure(tmp_path: Path) -> None:
    project = go_project(write_module(tmp_path / "fx", {**LIB, **UGLY}))
    ctx = context(tmp_path)
    listing = Command(("gofmt", "-l", "lib"), project.path)
    results = run_commands_sync([listing], 60)
    assert results[-1].returncode == 0
    assert summary(go.judge(project, Step.FMT, results, ctx)) == [
        ("fx/lib", "gofmt: lib/ugly.go", "failure", "fmt.gofmt")
    ]


def test_gofmt_parse_errors_are_errors_and_fix_mode_rewrites(tmp_path: Path) -> None:
    files = {**LIB, **UGLY, "odd/odd.go": "package odd\nfunc (\n"}
    project = go_project(write_module(tmp_path / "fx", files))
    cases = step(project, Step.FMT, context(tmp_path, fix=True))
    assert summary(cases) == [("fx/odd", "gofmt: odd/odd.go", "error", "fmt.gofmt")]
    assert cases[0].line == 2
    assert (
        project.path / "lib" / "ugly.go"
    ).read_text() == "package lib\n\nfunc Ugly() {}\n"
    assert "func  Ugly( )" in (project.path / "vendor" / "x" / "x.go").read_text()


def test_vet_diagnostics_are_failures_with_their_position(tmp_path: Path) -> None:
    files = {
        **LIB,
        "lib/print.go": 'package lib\n\nimport "fmt"\n\nfunc P() { fmt.Printf("%d\\n", "x") }\n',
    }
    project = go_project(write_module(tmp_path / "fx", files))
    (case,) = step(project, Step.VET, context(tmp_path))
    assert summary((case,)) == [
        ("fx/lib", "vet: lib/print.go:5:24 printf", "failure", "vet.go")
    ]
    assert case.message == 'fmt.Printf format %d has arg "x" of wrong type string'
    assert (case.file, case.line) == ("lib/print.go", 5)


def test_a_package_that_does_not_compile_is_reported_per_package(
    tmp_path: Path,
) -> None:
    project = go_project(write_module(tmp_path / "fx", {**LIB, **APP, **BROKEN}))
    ctx = context(tmp_path)
    (build,) = step(project, Step.BUILD, ctx)
    assert summary((build,)) == [("fx/broken", "[go build]", "error", "go.build")]
    assert (build.file, build.line) == ("broken/broken.go", 3)
    assert "cannot use" in build.message
    # Go 1.24+ `go build -json` BuildEvents give the same case.
    as_json = Command(("go", "build", "-json", "./..."), project.path)
    from_events = go.judge(project, Step.BUILD, run_commands_sync([as_json], 120), ctx)
    assert from_events == (build,)
    (vet,) = step(project, Step.VET, ctx)
    assert summary((vet,)) == [("fx/broken", "[go vet]", "error", "go.build")]
    assert vet.message.startswith("vet: broken/broken.go:3:")
    assert (vet.file, vet.line) == ("broken/broken.go", 3)
    assert summary(step(project, Step.TEST, ctx)) == [
        ("fx/broken", "[build failed]", "error", "go.build"),
        ("fx/lib", "TestDouble", "passed", ""),
    ]


def test_a_missing_toolchain_is_a_missing_tool_error(tmp_path: Path) -> None:
    project = go_project(write_module(tmp_path / "fx", LIB))
    ctx = context(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    for which in LANGUAGE_STEPS:
        commands = [
            dataclasses.replace(c, env={**c.env, "PATH": str(empty)})
            for c in go.commands(project, which, ctx)
        ]
        results = run_commands_sync(commands, 60)
        (case,) = go.judge(project, which, results, ctx)
        assert (case.verdict, case.type) == (Verdict.ERROR, "tandem.missing-tool")
        assert "https://go.dev/dl" in case.message


def processes_under(path: Path) -> list[int]:
    """Processes whose working directory lies under path."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cwd = os.readlink(entry / "cwd")
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and (cwd + "/").startswith(f"{path}/"):
            found.append(int(entry.name))
    return found


HUNG = {"slow/slow_test.go": """
        package slow

        import (
        	"testing"
        	"time"
        )

        func TestQuick(t *testing.T) {}

        func TestSleep(t *testing.T) {
        	t.Log("about to hang")
        	time.Sleep(time.Minute)
        }
        """}


def hung(tmp_path: Path, timeout: float, *user: str) -> tuple[TestCase, ...]:
    """Run the hung module's tests within `timeout` seconds, compiled first, and judge them."""
    project = dataclasses.replace(
        go_project(write_module(tmp_path / "fx", HUNG)), args={Step.TEST: user}
    )
    ctx = context(tmp_path, timeout=timeout)
    warm = Command(("go", "test", "-count=1", "-run", "^$", "./..."), project.path)
    # Compiled first: a cold build cache cannot eat the time the test has.
    assert run_commands_sync([warm], 120)[-1].returncode == 0
    results = run_commands_sync(go.commands(project, Step.TEST, ctx), timeout)
    return go.judge(project, Step.TEST, results, ctx)


def the_hung_test(cases: tuple[TestCase, ...]) -> TestCase:
    """The one red case, which must be the hung test's."""
    assert summary(cases)[0] == ("fx/slow", "TestQuick", "passed", "")
    (case,) = [c for c in cases if c.red]
    assert (case.classname, case.name, case.verdict) == (
        "fx/slow",
        "TestSleep",
        Verdict.ERROR,
    )
    assert "about to hang" in case.text
    return case


def test_a_hung_test_is_killed_at_the_timeout_and_blamed(tmp_path: Path) -> None:
    # Whichever timeout comes first on a busy machine, Go's or Tandem's, it is one case.
    case = the_hung_test(hung(tmp_path, 10))
    assert case.type in ("go.timeout", "tandem.timeout")
    assert processes_under(tmp_path) == []


def test_go_timing_out_first_gives_the_hung_test_with_its_stack(tmp_path: Path) -> None:
    case = the_hung_test(hung(tmp_path, 60, "-timeout", "1s"))
    assert (case.type, case.message) == ("go.timeout", "test timed out after 1s")
    assert "panic: test timed out after 1s" in case.text
    assert "slow.TestSleep(" in case.text and "goroutine " in case.text
    assert processes_under(tmp_path) == []


def test_tandem_timing_out_first_is_blamed_on_the_running_test(tmp_path: Path) -> None:
    # Go's own -timeout is far off, as when compiling ate the time: Tandem's SIGINT ends it.
    case = the_hung_test(hung(tmp_path, 8, "-timeout", "10m"))
    assert case.type == "tandem.timeout"
    assert case.message.startswith("go test timed out after ")
    assert case.message.endswith(" while this test ran")
    assert "signal: interrupt" in case.text
    assert processes_under(tmp_path) == []


NEL = {"nel/nel_test.go": """
        package nel

        import "testing"

        func TestNextLine(t *testing.T) {
        	t.Error("want x\\u0085got y")
        }
        """}
ORDER = {"order/order_test.go": """
        package order

        import "testing"

        func TestLogThenError(t *testing.T) {
        	t.Log("starting up")
        	t.Errorf("want 3, got %d", 2)
        }

        func TestErrorThenLog(t *testing.T) {
        	t.Errorf("want 4, got %d", 5)
        	t.Logf("cleaning up")
        }
        """}


def test_a_message_holding_a_unicode_line_break_stays_whole(tmp_path: Path) -> None:
    project = go_project(write_module(tmp_path / "fx", NEL))
    (case,) = step(project, Step.TEST, context(tmp_path))
    assert (case.name, case.verdict) == ("TestNextLine", Verdict.FAILURE)
    assert case.message == "nel_test.go:6: want x\u0085got y"
    assert (case.file, case.line) == ("nel/nel_test.go", 6)
    assert "want x\u0085got y\n" in case.text


def test_the_failing_line_is_the_error_not_a_log_in_either_order(
    tmp_path: Path,
) -> None:
    project = go_project(write_module(tmp_path / "fx", ORDER))
    cases = step(project, Step.TEST, context(tmp_path))
    assert [(c.name, c.message, c.file, c.line) for c in cases] == [
        (
            "TestLogThenError",
            "order_test.go:7: want 3, got 2",
            "order/order_test.go",
            7,
        ),
        (
            "TestErrorThenLog",
            "order_test.go:11: want 4, got 5",
            "order/order_test.go",
            11,
        ),
    ]


@pytest.mark.parametrize(
    "files", [{}, {"testdata/x.go": "package x\n"}], ids=["go.mod", "testdata"]
)
def test_a_module_without_packages_skips_like_a_project_without_tests(
    tmp_path: Path, files: dict[str, str]
) -> None:
    project = go_project(write_module(tmp_path / "fx", files))
    ctx = context(tmp_path)
    for which, verb in [(Step.BUILD, "build"), (Step.VET, "vet"), (Step.TEST, "test")]:
        (case,) = step(project, which, ctx)
        assert summary((case,)) == [("fx", f"[go {verb}]", "skipped", f"go.{verb}")]
        assert case.message == f"no packages to {verb}"
    assert summary(step(project, Step.FMT, ctx)) == [("fx", "[gofmt]", "passed", "")]


def test_a_test_run_whose_output_was_cut_is_never_green(tmp_path: Path) -> None:
    project = go_project(write_module(tmp_path / "fx", {}))
    capture = Capture(2000)
    capture.feed(recorded("pass")[0].encode())
    stdout, cut = capture.text()
    result = ProcessResult(
        Command(("go", "test", "-json", "./..."), tmp_path), 0, stdout, cut=cut
    )
    cases = go.judge(project, Step.TEST, [result], context(tmp_path))
    (lost,) = [case for case in cases if case.red]
    assert (lost.name, lost.type) == ("[go test]", "tandem.output-cut")
    assert f"{cut} bytes" in lost.message


def test_vet_json_on_stderr_as_older_go_writes_it() -> None:
    stderr = (
        "# ex/v\n"
        '{\n\t"ex/v": {\n\t\t"printf": [\n\t\t\t{"posn": "/abs/v/v.go:5:12", "message": "bad"}\n'
        '\t\t],\n\t\t"shadow": {"error": "analysis failed"}\n\t}\n}\n'
        "# ex/w\n{}\n"
    )
    cases = vet_cases("", stderr, Path("/abs"), "ex", "svc")
    assert summary(cases) == [
        ("svc/v", "vet: v/v.go:5:12 printf", "failure", "vet.go"),
        ("svc/v", "[go vet]", "error", "go.build"),
    ]
    assert cases[1].message == "analysis failed"


def test_gofmt_output_with_spaces_in_file_names() -> None:
    stdout = "sp ace/a.go\ndiff sp ace/a.go.orig sp ace/a.go\n--- sp ace/a.go.orig\n+x\nb.go\n"
    cases = gofmt_cases(stdout, "", "fx")
    assert [(c.classname, c.name, c.file) for c in cases] == [
        ("fx/sp ace", "gofmt: sp ace/a.go", "sp ace/a.go"),
        ("fx", "gofmt: b.go", "b.go"),
    ]
    assert (
        cases[0].text == "diff sp ace/a.go.orig sp ace/a.go\n--- sp ace/a.go.orig\n+x\n"
    )
