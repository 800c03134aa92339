"""The Go adapter: a directory with a go.mod is a project.

build: `go build ./...`, then `go build -o dist/<project>/ ./...` for the binaries;
fmt: `gofmt -l -d` (or `-l -w` to fix); vet: `go vet -json ./...`;
test: `go test -json ./...`, converted by `tandem.adapters.go_events`.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tandem.adapters import base
from tandem.adapters.go_events import convert
from tandem.adapters.go_findings import (
    compile_case,
    compile_errors,
    gofmt_cases,
    vet_cases,
)
from tandem.model import Command, Context, ProcessResult, Project, Step, TestCase

LANGUAGE = "go"
MARKER = "go.mod"
INSTALL_HINT = "install Go from https://go.dev/dl and put its bin directory on PATH"
# go test reports each package that does not compile as [build failed] itself.
TEST_NEEDS_BUILD = False

TOOLS = {
    Step.BUILD: "go build",
    Step.FMT: "gofmt",
    Step.VET: "go vet",
    Step.TEST: "go test",
}
# `go fmt` (through `go list`) leaves these alone; testdata often holds malformed Go on purpose.
_SKIPPED_DIRS = ("vendor", "testdata")


def module_path(path: Path) -> str:
    """The module path declared in `<path>/go.mod`; "" when there is none."""
    for line in _gomod_lines(path):
        words = line.split()
        if len(words) >= 2 and words[0] == "module":
            return words[1].strip('"`')
    return ""


def _gomod_lines(path: Path) -> list[str]:
    try:
        text = (path / MARKER).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line.split("//")[0].rstrip() for line in text.splitlines()]


def local_requirements(path: Path) -> tuple[Path, ...]:
    """Absolute directories that `replace` directives point to (`=> ../lib`), single or block form."""
    found: dict[Path, None] = {}
    in_block = False
    for line in _gomod_lines(path):
        stripped = line.strip()
        directive = stripped.startswith("replace") and stripped[7:8] in (" ", "\t", "(")
        if directive and stripped[7:].strip() == "(":
            in_block = True
        elif in_block and stripped == ")":
            in_block = False
        elif (in_block or directive) and (target := _local_target(stripped)):
            found[(path / target).resolve()] = None
    return tuple(found)


def _local_target(line: str) -> str:
    """The directory a replace line points to, or "" when it names a module version."""
    if "=>" not in line:
        return ""
    right = line.split("=>", 1)[1]
    try:
        words = shlex.split(right)  # go.mod may quote a path that holds spaces
    except ValueError:
        words = right.split()
    if len(words) != 1:  # "module version": not a directory
        return ""
    is_path = words[0].startswith(("./", "../", "/")) or words[0] in (".", "..")
    return words[0] if is_path else ""


def versions(root: Path) -> Mapping[str, Command]:
    """`go version`, reported as the `go.version` property."""
    return {"go.version": Command(("go", "version"), cwd=root)}


Env = Mapping[str, str]
Args = tuple[str, ...]


def commands(project: Project, step: Step, ctx: Context) -> Sequence[Command]:
    """The go commands for one step; user arguments come from `project.args`."""
    env = {"GOMAXPROCS": str(ctx.slots)}
    return _COMMANDS[step](project, ctx, env, tuple(project.args.get(step, ())))


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
    # User arguments go last: `go test ./... -run X` hands them on to the test binaries.
    argv = ("go", "test", "-json", "-p", str(ctx.slots), *timeout, "./...", *user)
    # -race binaries otherwise sleep 1 s at exit, per package; a user's own GORACE wins.
    race = {} if "GORACE" in os.environ else {"GORACE": "atexit_sleep_ms=0"}
    return (Command(argv, project.path, {**env, **race}),)


_COMMANDS: Mapping[Step, Callable[[Project, Context, Env, Args], Sequence[Command]]] = {
    Step.BUILD: _build,
    Step.FMT: _fmt,
    Step.VET: _vet,
    Step.TEST: _test,
}


def go_timeout(budget: float) -> str:
    """Go's `-timeout`: under Tandem's watchdog, so Go names the hung test before it is killed."""
    seconds = max(budget * 0.5, budget - max(2.0, budget * 0.1))
    return f"{int(seconds * 1000)}ms"


def go_files(root: Path) -> tuple[str, ...]:
    """Project-relative .go files that `go fmt ./...` would format, sorted."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        # Like the go command: skip vendor, testdata, _ and . dirs, and nested modules.
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIPPED_DIRS
            and not d.startswith(("_", "."))
            and not (here / d / MARKER).exists()
        )
        kept = (f for f in files if f.endswith(".go") and not f.startswith(("_", ".")))
        found.extend((here / f).relative_to(root).as_posix() for f in kept)
    return tuple(sorted(found))


def judge(
    project: Project, step: Step, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    """Turn what the go tools did into test cases; never green when a tool went red."""
    tool = TOOLS[step]
    special = base.special_case(project, tool, results, INSTALL_HINT)
    if special is not None and results[-1].missing:
        return (special,)
    cases = _JUDGES[step](project, results)
    if special is not None:
        # The watchdog's case explains the exit; keep what the partial output says about tests.
        return (
            special,
            *(c for c in cases if (c.classname, c.name) != (project.name, f"[{tool}]")),
        )
    cases = base.ensure_red(project, tool, results, cases)
    return cases or (base.passed_case(project, tool, sum(r.duration for r in results)),)


def _judge_build(
    project: Project, results: Sequence[ProcessResult]
) -> tuple[TestCase, ...]:
    last, module = results[-1], module_path(project.path)
    errors = compile_errors(last.stdout, last.stderr)
    return tuple(
        compile_case(path, text, module, project.name) for path, text in errors.items()
    )


def _judge_fmt(
    project: Project, results: Sequence[ProcessResult]
) -> tuple[TestCase, ...]:
    last = results[-1]
    if (
        "-w" in last.argv
    ):  # fixing: listed files were rewritten; only parse errors remain
        return gofmt_cases("", last.stderr, project.name)
    return gofmt_cases(last.stdout, last.stderr, project.name)


def _judge_vet(
    project: Project, results: Sequence[ProcessResult]
) -> tuple[TestCase, ...]:
    last = results[-1]
    return vet_cases(
        last.stdout, last.stderr, project.path, module_path(project.path), project.name
    )


def _judge_test(
    project: Project, results: Sequence[ProcessResult]
) -> tuple[TestCase, ...]:
    last = results[-1]
    return convert(
        last.stdout,
        last.stderr,
        last.returncode,
        module_path(project.path),
        project.name,
    )


_JUDGES: Mapping[
    Step, Callable[[Project, Sequence[ProcessResult]], tuple[TestCase, ...]]
] = {
    Step.BUILD: _judge_build,
    Step.FMT: _judge_fmt,
    Step.VET: _judge_vet,
    Step.TEST: _judge_test,
}
