"""The Python adapter: a per-project environment and wheel, black, ruff and pytest.

black and ruff are Tandem's own pinned dependencies and run from Tandem's interpreter, so every
project is checked by the same versions; pytest runs inside the project's environment (see
`tandem.adapters.venv`) and reports through `--junitxml`, which `pytest_xml` normalises.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from tandem.adapters import base, pytest_xml, venv
from tandem.model import (
    Command,
    Context,
    ProcessResult,
    Project,
    Step,
    TestCase,
    Verdict,
)

LANGUAGE = "python"
MARKER = "pyproject.toml"
INSTALL_HINT = "install Python 3.11+ and Tandem's dependencies (black, ruff, uv)"
TEST_NEEDS_BUILD = True  # pytest runs in the environment that the build step makes
REPORT = "pytest.xml"
PYTEST_OPTIONS = (
    "-o",
    "junit_family=xunit1",  # the family with file and line
    "-o",
    "junit_logging=all",
    "-o",
    "junit_log_passing_tests=false",
    "-p",
    "no:cacheprovider",
)

local_requirements = venv.local_requirements

_DIFF_HEADER = re.compile(r"^--- (?P<path>[^\t\n]+)\t[^\n]*\n\+\+\+ ", re.MULTILINE)
_HUNK = re.compile(r"^@@ -(\d+)", re.MULTILINE)
_ERROR_LINE = re.compile(r"^\s*(?:error|ERROR)\b.*$", re.MULTILINE)


def versions(root: Path) -> dict[str, Command]:
    """Commands that print the Python, black, ruff (and uv) versions."""
    found = {
        "python.version": Command((sys.executable, "--version"), root),
        "black.version": Command((sys.executable, "-m", "black", "--version"), root),
        "ruff.version": Command((sys.executable, "-m", "ruff", "--version"), root),
    }
    if venv.UV:
        found["uv.version"] = Command((venv.UV, "--version"), root)
    return found


def commands(
    project: Project, step: Step, ctx: Context, *, uv: str | None = venv.UV
) -> tuple[Command, ...]:
    """The commands for one step; `uv=None` builds environments with venv and pip."""
    if step is Step.BUILD:
        return (*venv.environment_commands(project, ctx, uv), _wheel(project, ctx, uv))
    user = tuple(project.args.get(step, ()))
    if step is Step.FMT:
        check = () if ctx.fix else ("--check", "--diff", "--no-color")
        return (
            Command((sys.executable, "-m", "black", *check, *user, "."), project.path),
        )
    if step is Step.VET:
        ruff = (
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--output-format=json",
            *user,
            ".",
        )
        return (Command(ruff, project.path),)
    return (_pytest(project, ctx),)


def _wheel(project: Project, ctx: Context, uv: str | None) -> Command:
    python = str(venv.venv_python(venv.venv_dir(project, ctx)))
    if uv:
        argv = (uv, "build", "--wheel", "--out-dir", str(ctx.dist), "--python", python)
        return Command(
            (*argv, *project.args.get(Step.BUILD, ()), "."), project.path, venv.UV_ENV
        )
    argv = (python, "-m", "pip", "wheel", "--no-deps", "-w", str(ctx.dist))
    argv = (*argv, *project.args.get(Step.BUILD, ()), ".")
    return Command(argv, project.path, venv.PIP_ENV)


def pytest_argv(project: Project, ctx: Context) -> tuple[str, ...]:
    """pytest inside the project's environment, writing an xunit1 report into the workdir."""
    xdist = venv.declares(project.path, "pytest-xdist")
    workers = ("-n", str(ctx.slots)) if ctx.slots > 1 and xdist else ()
    python = str(venv.venv_python(venv.venv_dir(project, ctx)))
    report = f"--junitxml={ctx.workdir / REPORT}"
    # --rootdir: node ids and file names relative to the project, whatever config lies above it
    rootdir = f"--rootdir={project.path}"
    extra = project.args.get(Step.TEST, ())
    return (python, "-m", "pytest", report, *PYTEST_OPTIONS, rootdir, *workers, *extra)


def _pytest(project: Project, ctx: Context) -> Command:
    # The workdir is fresh; removing the report anyway means a stale one is never read back.
    (ctx.workdir / REPORT).unlink(missing_ok=True)
    env = venv.activated(venv.venv_dir(project, ctx))
    return Command(pytest_argv(project, ctx), project.path, env)


def judge(
    project: Project, step: Step, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    """Turn what the step's commands did into test cases; never green when a command went red."""
    tool = _tool(step, results)
    special = base.special_case(project, tool, results, INSTALL_HINT)
    if special:
        return (special,)
    cases = _JUDGES[step](project, results, ctx)
    # pytest's "no tests collected" is a skip, which the normaliser has already reported.
    expected = (0, pytest_xml.NO_TESTS) if step is Step.TEST else (0,)
    return base.ensure_red(project, tool, results, cases, expected)


def _tool(step: Step, results: Sequence[ProcessResult]) -> str:
    if step is Step.BUILD:
        return "wheel" if not results or _is_wheel(results[-1].argv) else "venv"
    return {Step.FMT: "black", Step.VET: "ruff", Step.TEST: "pytest"}[step]


def _is_wheel(argv: Sequence[str]) -> bool:
    return tuple(argv[1:2]) == ("build",) or tuple(argv[1:4]) == ("-m", "pip", "wheel")


def _judge_build(
    project: Project, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    last = results[-1]
    if last.returncode == 0:
        return (base.passed_case(project, "wheel", sum(r.duration for r in results)),)
    tool = _tool(Step.BUILD, results)
    what = "build the wheel" if tool == "wheel" else "create the environment"
    found = _ERROR_LINE.search(last.output)
    message = f"could not {what}" + (f": {found[0].strip()}" if found else "")
    return (base.error_case(project, tool, "python.build", message, last),)


def _judge_fmt(
    project: Project, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    last = results[-1]
    cases = tuple(
        _black_case(project, path, diff) for path, diff in split_diffs(last.stdout)
    )
    if last.returncode == 123:
        cases += (_tool_error(project, "black", "fmt.black", last),)
    return cases or (base.passed_case(project, "black", last.duration),)


def split_diffs(stdout: str) -> list[tuple[str, str]]:
    """black's `--diff` output → (path as black printed it, that file's diff)."""
    starts = list(_DIFF_HEADER.finditer(stdout))
    ends = [m.start() for m in starts[1:]] + [len(stdout)]
    return [(m["path"], stdout[m.start() : end]) for m, end in zip(starts, ends)]


def _black_case(project: Project, path: str, diff: str) -> TestCase:
    relative = base.relative(path, project.path)
    hunk = _HUNK.search(diff)
    return TestCase(
        classname=base.dir_classname(relative, project.name),
        name=f"black: {relative}",
        verdict=Verdict.FAILURE,
        type="fmt.black",
        message="would reformat",
        text=diff,
        file=relative,
        line=max(1, int(hunk[1])) if hunk else None,
    )


def _judge_vet(
    project: Project, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    last = results[-1]
    if last.returncode not in (0, 1):
        return (_tool_error(project, "ruff", "vet.ruff", last),)
    try:
        findings = json.loads(last.stdout or "[]")
    except json.JSONDecodeError:
        findings = []  # ensure_red reports the exit code with the output
    cases = tuple(_ruff_case(project, finding) for finding in findings)
    return cases or (base.passed_case(project, "ruff", last.duration),)


def _ruff_case(project: Project, finding: Mapping) -> TestCase:
    relative = base.relative(finding.get("filename", ""), project.path)
    row = finding.get("location", {}).get("row", 1)
    column = finding.get("location", {}).get("column", 1)
    code = finding.get("code") or "syntax-error"
    message = finding.get("message", "")
    text = f"{relative}:{row}:{column}: {code} {message}"
    return TestCase(
        classname=base.dir_classname(relative, project.name),
        name=f"ruff: {relative}:{row}:{column} {code}",
        verdict=Verdict.FAILURE,
        type="vet.ruff",
        message=message,
        text=f"{text}\n{finding['url']}" if finding.get("url") else text,
        file=relative,
        line=row,
    )


def _judge_test(
    project: Project, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    last = results[-1]
    xml = _read(ctx.workdir / REPORT)
    return pytest_xml.to_cases(
        xml, last.returncode, last.stdout, last.stderr, project.name
    )


def _read(report: Path) -> str | None:
    try:
        return report.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None


def _tool_error(
    project: Project, tool: str, kind: str, result: ProcessResult
) -> TestCase:
    """A tool's own failure: `[tool]` error whose body is what the tool wrote on stderr."""
    stderr = result.stderr.strip()
    message = next((line for line in stderr.splitlines() if line.strip()), "")
    message = message or f"{tool} exited with code {result.returncode}"
    case = base.error_case(project, tool, kind, message, result)
    return replace(case, text=stderr or case.text)


_Judge = Callable[[Project, Sequence[ProcessResult], Context], tuple[TestCase, ...]]
_JUDGES: Mapping[Step, _Judge] = {
    Step.BUILD: _judge_build,
    Step.FMT: _judge_fmt,
    Step.VET: _judge_vet,
    Step.TEST: _judge_test,
}
