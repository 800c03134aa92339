"""The Go adapter: a directory with a go.mod is a project.

build: `go install ./...` with GOBIN=OUTPUT/<project> (every package built, binaries written);
fmt: `gofmt -l -d` (or `-l -w` to fix); vet: `go vet -json ./...`; files marked as generated
(`// Code generated ... DO NOT EDIT.`, see `go_source`) are left out of both;
test: `go test -json ./...`, converted by `tandem.adapters.go_events`; a shard's part names
its packages instead of `./...` (`parts` lists those with tests).
A module under a go.work that does not list it runs with GOWORK=off (see `go_work`).
A module without packages (only go.mod, or only testdata) skips build, vet and test, as
pytest's exit 5 skips a Python project without tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tandem.adapters import base, go_work
from tandem.adapters.go_source import go_files, is_generated, source_lines
from tandem.adapters.go_work import module_path
from tandem.lazy import lazy
from tandem.model import (
    Command,
    Context,
    Layout,
    ProcessResult,
    Project,
    Step,
    TestCase,
    Verdict,
)

if TYPE_CHECKING:
    from tandem.adapters import Probe

# Judging loads on first use: a run that replays every task judges nothing.
go_events = lazy("tandem.adapters.go_events")
go_findings = lazy("tandem.adapters.go_findings")

LANGUAGE = "go"
MARKER = go_work.GO_MOD
# Either may name the toolchain that `go version` switches to.
PROBE_FILES = (go_work.GO_MOD, go_work.GO_WORK)
INSTALL_HINT = "install Go from https://go.dev/dl and put its bin directory on PATH"
ENV = (
    "GOFLAGS",
    "GOOS",
    "GOARCH",
    "GOAMD64",
    "GOARM",
    "GOARM64",
    "GO386",
    "GOEXPERIMENT",
    "GOTOOLCHAIN",
    "GOWORK",
    "GOROOT",
    "GORACE",
    "GODEBUG",
    "CGO_*",
    "CC",
    "CXX",
)
# go test reports each package that does not compile as [build failed] itself.
TEST_NEEDS_BUILD = False

TOOLS = {
    Step.BUILD: "go build",
    Step.FMT: "gofmt",
    Step.VET: "go vet",
    Step.TEST: "go test",
}
# `go fmt` (through `go list`) leaves these alone; testdata often holds malformed Go on purpose.
# What Go's regexp.QuoteMeta escapes, so that a test name in -run matches only itself.
_REGEXP_META = re.compile(r"([\\.+*?()|\[\]{}^$])")
_PANICKED = re.compile(r"^panic: ", re.MULTILINE)
# The go command's warning for a pattern that matched nothing; vet and test then exit 1 saying
# "no packages to vet" (or test), install exits 0.
_NO_PACKAGES = re.compile(r'^go: warning: "[^"]*" matched no packages$', re.MULTILINE)
_NONE_TO = re.compile(r"^no packages to \w+$", re.MULTILINE)


def local_requirements(path: Path) -> tuple[Path, ...]:
    """Absolute directories the module builds against: `replace` targets and required workspace modules."""
    replaced = (
        (path / target).resolve()
        for arg in go_work.directive_args(go_work.lines(path / MARKER), "replace")
        if (target := _local_target(arg))
    )
    return tuple(dict.fromkeys([*replaced, *go_work.workspace_requirements(path)]))


def _local_target(line: str) -> str:
    """The directory a replace line points to, or "" when it names a module version."""
    if "=>" not in line:
        return ""
    found = go_work.words(line.split("=>", 1)[1])
    if len(found) != 1:  # "module version": not a directory
        return ""
    is_path = found[0].startswith(("./", "../", "/")) or found[0] in (".", "..")
    return found[0] if is_path else ""


properties = base.basic_properties
outputs = base.basic_outputs
watched = base.basic_watched


def tools(project: Project, step: Step, root: Path) -> tuple[base.Tool, ...]:
    """The go command (gofmt for fmt) on the PATH; GOROOT and GOTOOLCHAIN are in the key's
    variables and a go.mod `toolchain` line in its files."""
    return (base.program("gofmt" if step is Step.FMT else "go"),)


def versions(root: Path) -> Mapping[str, Command]:
    """`go version`, reported as the `go.version` property."""
    return {"go.version": Command(("go", "version"), cwd=root)}


Env = Mapping[str, str]
Args = tuple[str, ...]


def commands(project: Project, step: Step, ctx: Context) -> Sequence[Command]:
    """The go commands for one step; user arguments come from `project.args`."""
    env = {"GOMAXPROCS": str(ctx.slots), **_workspace_env(project.path)}
    return _COMMANDS[step](project, ctx, env, tuple(project.args.get(step, ())))


def _workspace_env(path: Path) -> Env:
    # In workspace mode go refuses a module its go.work does not list; a user's own GOWORK wins.
    off = "GOWORK" not in os.environ and go_work.outside(path)
    return {"GOWORK": "off"} if off else {}


def _build(project: Project, ctx: Context, env: Env, user: Args) -> Sequence[Command]:
    # `go build -o DIR ./...` skips library packages no binary imports, and `go build ./...`
    # links every binary only to discard it; `go install` with GOBIN checks every package and
    # links a binary only when it changed.
    static = {**env, "CGO_ENABLED": "0", "GOBIN": str(ctx.dist)}
    argv = ("go", "install", "-p", str(ctx.slots), *user, "./...")
    return (Command(argv, project.path, static),)


def _fmt(project: Project, ctx: Context, env: Env, user: Args) -> Sequence[Command]:
    files = go_files(project.path) or (
        str(ctx.workdir),
    )  # an empty dir: nothing to check
    flags = ("-l", "-w") if ctx.fix else ("-l", "-d")
    return (Command(("gofmt", *flags, *user, "--", *files), project.path, env),)


def _vet(project: Project, ctx: Context, env: Env, user: Args) -> Sequence[Command]:
    argv = ("go", "vet", "-json", "-p", str(ctx.slots), *user, "./...")
    return (Command(argv, project.path, env),)


def _test(project: Project, ctx: Context, env: Env, user: Args) -> Sequence[Command]:
    timeout = ("-timeout", go_timeout(ctx.timeout))
    packages = ctx.part or ("./...",)
    # User arguments go last: `go test ./... -run X` hands them on to the test binaries.
    argv = ("go", "test", "-json", "-p", str(ctx.slots), *timeout, *packages, *user)
    return (Command(argv, project.path, {**env, **_race_env()}),)


def _race_env() -> Env:
    # -race binaries otherwise sleep 1 s at exit, per package; a user's own GORACE wins.
    return {} if "GORACE" in os.environ else {"GORACE": "atexit_sleep_ms=0"}


_COMMANDS: Mapping[Step, Callable[[Project, Context, Env, Args], Sequence[Command]]] = {
    Step.BUILD: _build,
    Step.FMT: _fmt,
    Step.VET: _vet,
    Step.TEST: _test,
}


def parts(project: Project, step: Step, probe: Probe) -> tuple[str, ...]:
    """The packages with tests that `go test ./...` runs (`./pkg`, `.`), as `go list` finds them."""
    if step is not Step.TEST:
        return ()
    # -find: the packages alone, no dependency resolved; a package whose files build
    # constraints exclude is left out, as `./...` leaves it out.
    tags = _tags(tuple(project.args.get(Step.TEST, ())))
    argv = ("go", "list", "-e", "-find", *tags, "-f", _WITH_TESTS, "./...")
    found = probe(Command(argv, project.path, _workspace_env(project.path)))
    if not found.ended_normally:
        return ()  # the step runs whole, and says what is wrong itself
    dirs = (Path(line.strip()) for line in found.stdout.splitlines() if line.strip())
    return tuple(sorted(_relative_package(project.path, d) for d in dirs))


_WITH_TESTS = "{{if or .TestGoFiles .XTestGoFiles}}{{.Dir}}{{end}}"


def _tags(user: Args) -> Args:
    """The `-tags` of the user's test arguments, which decide what packages `./...` holds."""
    found: list[str] = []
    for word, after in zip(user, (*user[1:], "")):
        flag = word.lstrip("-")
        if flag.startswith("tags="):
            found.append(f"-{flag}")
        elif flag == "tags" and word.startswith("-"):
            found.append(f"-tags={after}")
    return tuple(found)


def _relative_package(module: Path, directory: Path) -> str:
    inside = os.path.relpath(os.path.realpath(directory), os.path.realpath(module))
    return "." if inside == "." else "./" + Path(inside).as_posix()


def rerun_commands(
    project: Project, failed: Sequence[TestCase], ctx: Context
) -> tuple[Command, ...] | None:
    """`go test -run '^TestX$/^sub$' ./pkg` per failed test; None unless all are plain test failures."""
    user = tuple(project.args.get(Step.TEST, ()))
    if not failed or not all(map(_rerunnable, failed)) or _stops_early(user):
        return None
    env = {"GOMAXPROCS": str(ctx.slots), **_workspace_env(project.path), **_race_env()}
    # -count=1: a pass cached from an earlier rerun must not stand in for running the test.
    flags = ("-json", "-count=1", "-timeout", go_timeout(ctx.timeout))
    return tuple(
        # -run after the user's arguments, so that it is the one that counts.
        Command(
            ("go", "test", *flags, _package_dir(project, case.classname))
            + (*user, "-run", run_pattern(case.name)),
            project.path,
            env,
        )
        for case in _leaves(failed)
    )


def _rerunnable(case: TestCase) -> bool:
    # A panic ends the test binary: the tests after it never ran, and a pass alone would hide that.
    plain = case.verdict is Verdict.FAILURE and case.type == "go.test"
    return plain and not case.name.startswith("[") and not _PANICKED.search(case.text)


def _stops_early(user: Args) -> bool:
    """-failfast leaves later tests unrun: a rerun that passes would hide them."""
    flags = (arg.lstrip("-") for arg in user)
    return any(f.startswith(("failfast", "test.failfast")) for f in flags)


def _leaves(failed: Sequence[TestCase]) -> list[TestCase]:
    """Failed tests without a failed subtest: a parent reruns with its failed subtests (gotestsum)."""
    return [
        case
        for case in failed
        if not any(
            other.classname == case.classname and other.name.startswith(f"{case.name}/")
            for other in failed
        )
    ]


def _package_dir(project: Project, classname: str) -> str:
    inside = classname.removeprefix(f"{project.name}/")
    return f"./{inside}" if inside != classname else "."


def selecting(name: str) -> tuple[str, ...]:
    """`-run (?i)NAME`: the top-level tests whose name holds NAME, in any case (every subtest)."""
    return ("-run", f"(?i){_quote_meta(name)}")


def _quote_meta(text: str) -> str:
    """`text` as a Go regular expression that matches only itself (regexp.QuoteMeta)."""
    return _REGEXP_META.sub(r"\\\1", text)


def rerun_hints(project: Project, case: TestCase, layout: Layout) -> base.Properties:
    """`go -C MODULE test ./pkg -run '^TestX$/^sub$'` from the root, and Tandem's form."""
    if not base.is_test(case):
        return ()
    module = os.path.relpath(project.path, layout.root)
    run = ("-run", run_pattern(case.name))
    native = ("go", "-C", module, "test", _package_dir(project, case.classname), *run)
    return base.rerun_properties(project, native, run)


def run_pattern(name: str) -> str:
    """The `-run` pattern that matches test `name` alone: each level of a subtest path anchored."""
    levels = (_quote_meta(level) for level in name.split("/"))
    return "/".join(f"^{level}$" for level in levels)


def go_timeout(budget: float) -> str:
    """Go's `-timeout`: under Tandem's watchdog, so Go names the hung test before it is killed."""
    # Go counts from the test binary's start, not go test's: when compiling eats the margin,
    # Tandem's timeout comes first and the converter blames it on the test that was running.
    seconds = max(budget * 0.5, budget - max(2.0, budget * 0.1))
    return f"{int(seconds * 1000)}ms"


def judge(
    project: Project, step: Step, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    """Turn what the go tools did into test cases; never green when a tool went red."""
    tool = TOOLS[step]
    special = base.special_case(project, tool, results, INSTALL_HINT)
    if special is not None and results[-1].missing:
        return (special,)
    if special is None and step is not Step.FMT and _no_packages(results[-1]):
        return (_no_packages_case(project, tool, results[-1]),)
    cases = base.ensure_red(
        project, tool, results, _judged(project, step, results, special)
    )
    return cases or (base.passed_case(project, tool, sum(r.duration for r in results)),)


def _judged(
    project: Project,
    step: Step,
    results: Sequence[ProcessResult],
    special: TestCase | None,
) -> tuple[TestCase, ...]:
    """The step's cases, with Tandem's stop case (a timeout or an interrupt) when there is one."""
    if step is Step.TEST:
        # The converter folds the stop into the tests that were running when it came.
        return _judge_test(project, results[-1], special)
    cases = _JUDGES[step](project, results)
    if special is None:
        return cases
    # The stop explains the exit; keep what the partial output says.
    named = (project.name, special.name)
    return (special, *(c for c in cases if (c.classname, c.name) != named))


def _no_packages(result: ProcessResult) -> bool:
    """True when `./...` matched no package, and the command said nothing else went wrong."""
    if not _NO_PACKAGES.search(result.stderr):
        return False
    return result.returncode == 0 or bool(_NONE_TO.search(result.stderr))


def _no_packages_case(project: Project, tool: str, result: ProcessResult) -> TestCase:
    """`[go build]` (vet, test) skipped: a module with only go.mod or testdata has no packages."""
    verb = tool.split(" ")[1]
    return TestCase(
        classname=project.name,
        name=f"[{tool}]",
        time=result.duration,
        verdict=Verdict.SKIPPED,
        type=tool.replace(" ", "."),
        message=f"no packages to {verb}",
        text=base.describe(result),
    )


def _judge_build(
    project: Project, results: Sequence[ProcessResult]
) -> tuple[TestCase, ...]:
    last, module = results[-1], module_path(project.path)
    errors = go_findings.compile_errors(last.stdout, last.stderr)
    return tuple(
        go_findings.compile_case(path, text, module, project.name)
        for path, text in errors.items()
    )


def _judge_fmt(
    project: Project, results: Sequence[ProcessResult]
) -> tuple[TestCase, ...]:
    last = results[-1]
    if (
        "-w" in last.argv
    ):  # fixing: listed files were rewritten; only parse errors remain
        return go_findings.gofmt_cases("", last.stderr, project.name)
    return go_findings.gofmt_cases(last.stdout, last.stderr, project.name)


def _judge_vet(
    project: Project, results: Sequence[ProcessResult]
) -> tuple[TestCase, ...]:
    last = results[-1]
    cases = go_findings.vet_cases(
        last.stdout, last.stderr, project.path, module_path(project.path), project.name
    )
    return tuple(
        c for c in cases if not (c.file and is_generated(project.path / c.file))
    )


def _judge_test(
    project: Project, last: ProcessResult, stopped: TestCase | None
) -> tuple[TestCase, ...]:
    return go_events.convert(
        last.stdout,
        last.stderr,
        last.returncode,
        module_path(project.path),
        project.name,
        stopped=stopped,
        cut=last.cut,
        source=source_lines(project.path),
    )


_JUDGES: Mapping[
    Step, Callable[[Project, Sequence[ProcessResult]], tuple[TestCase, ...]]
] = {
    Step.BUILD: _judge_build,
    Step.FMT: _judge_fmt,
    Step.VET: _judge_vet,
}
