"""black, ruff format and ruff check on a Python project: their commands and their judging.

Each runs at the version the project pins (through `uv tool run`) or else Tandem's own, and
never writes into the project: `--check`, `--no-fix`, and ruff's cache in the state directory.
Projects nested inside the project are excluded, being theirs to check.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from tandem.adapters import base, protoc_spec, pyproject, venv
from tandem.model import Command, Context, ProcessResult, Project, TestCase, Verdict

_DIFF_HEADER = re.compile(
    r"^--- (?P<path>[^\t\n]+)(?:\t[^\n]*)?\n\+\+\+ ", re.MULTILINE
)


@dataclass(frozen=True)
class Checking:
    """How a formatter checks: its flags for the run with diffs, and its exit codes for "would
    change" and for its own failure, after which a quick look leads on to that run."""

    diff: tuple[str, ...]
    found: tuple[int, ...]


CHECKING = {
    "black": Checking(("--check", "--diff", "--no-color"), (1, 123)),
    "ruff": Checking(("--check", "--diff"), (1, 2)),
}
# A first look without diffs: it skips the files the formatter's cache knows to be formatted,
# which a `--diff` run checks again. What it finds leads on to the run with diffs, which reports
# it as before.
QUICK_CHECK = ("--check", "--quiet")


def formatter(project: Project) -> str:
    """ "black" or "ruff": the per-project setting, else what the project shows it uses."""
    return project.formatter or pyproject.formatter(project.path, project.test_requires)


def format_commands(
    project: Project, ctx: Context, user: tuple[str, ...]
) -> tuple[Command, ...]:
    """black or ruff format, checking (a quick look, then the diffs if it finds any) or, with
    `--fix`, rewriting the project's files."""
    tool = formatter(project)
    subcommand = ("format",) if tool == "ruff" else ()
    nested = _ruff_excludes(project) if tool == "ruff" else _black_excludes(project)
    cache = _black_cache(project, ctx) if tool == "black" else {}
    env = {**_tool_env(ctx), **cache}

    def command(check: tuple[str, ...], **codes: tuple[int, ...]) -> Command:
        argv = (*tool_argv(project, tool), *subcommand, *check, *nested, *user, ".")
        return Command(argv, project.path, env, **codes)

    if ctx.fix:
        return (command(()),)
    checking = CHECKING[tool]
    quick = command(QUICK_CHECK, normal=(0, *checking.found), enough=(0,))
    return (quick, command(checking.diff))


def _black_cache(project: Project, ctx: Context) -> dict[str, str]:
    """black's cache of formatted files in the state directory, one per project: a black run
    rewrites the whole file, so projects checked side by side would drop each other's.
    """
    return {"BLACK_CACHE_DIR": str(ctx.state / "black-cache" / project.name)}


# Copies of other people's code, which go fmt and go vet also leave alone.
VENDORED = ("vendor", "third_party")


def _nested(project: Project) -> list[str]:
    return [p.relative_to(project.path).as_posix() for p in project.nested]


def _ruff_excludes(project: Project) -> tuple[str, ...]:
    """Other projects inside this one are theirs to check, vendored code is nobody's, and
    generated code is its generator's (ruff adds these to its config's; a bare name excludes
    that directory at any depth).
    """
    made = (f"{out}/**/*{suffix}" for out, suffix in protoc_spec.generated(project))
    paths = (*VENDORED, *_nested(project), *made)
    return tuple(w for path in paths for w in ("--extend-exclude", path))


def _black_excludes(project: Project) -> tuple[str, ...]:
    """The same for black, whose command line replaces its config's `extend-exclude`."""
    # Unanchored: black matches paths from the root it finds (a `.git`, a `[tool.black]`),
    # which may lie above the project.
    nested = (f"/{re.escape(path)}/" for path in _nested(project))
    made = (
        f"{_folder(out)}(?:.*/)?[^/]*{re.escape(suffix)}$"
        for out, suffix in protoc_spec.generated(project)
    )
    ours = "|".join((f"/({'|'.join(VENDORED)})/", *nested, *made))
    theirs = pyproject.black_extend_exclude(project.path)
    # black reads a regex with a newline as verbose: keep theirs on lines of its own.
    merged = f"(?:\n{theirs}\n)|{ours}" if "\n" in theirs else f"(?:{theirs})|{ours}"
    return ("--extend-exclude", merged if theirs else ours)


def _folder(path: str) -> str:
    return "/" if path == "." else f"/{re.escape(path)}/"


def tool_argv(project: Project, tool: str) -> tuple[str, ...]:
    """How to run black or ruff: at the version the project pins, else Tandem's own."""
    version = pyproject.pinned(project.path, tool, project.test_requires)
    if version is None or venv.UV is None:
        return venv.own_tool(tool)
    return (
        venv.UV,
        "tool",
        "run",
        "--python",
        sys.executable,
        "--from",
        f"{tool}=={version}",
        tool,
    )


def _tool_env(ctx: Context) -> dict[str, str]:
    """ruff keeps its cache in the state directory, not in the project; black's worker
    processes and ruff's threads are as many as the task's slots, not the machine's cores.
    """
    cache = {"RUFF_CACHE_DIR": str(ctx.state / "ruff-cache")}
    workers = {"BLACK_NUM_WORKERS": str(ctx.slots), "RAYON_NUM_THREADS": str(ctx.slots)}
    return {**venv.sized(ctx.slots), **cache, **workers}


def vet_command(project: Project, ctx: Context, user: tuple[str, ...]) -> Command:
    """`ruff check --no-fix` with JSON output."""
    nested = _ruff_excludes(project)
    argv = ("check", "--no-fix", "--output-format=json", *nested, *user, ".")
    return Command((*tool_argv(project, "ruff"), *argv), project.path, _tool_env(ctx))


def pinned_property(project: Project, tool: str) -> base.Properties:
    """The report property naming a version the project pins; none for Tandem's own."""
    version = pyproject.pinned(project.path, tool, project.test_requires)
    return (
        ((f"{tool}.version", f"{tool} {version} (pinned by the project)"),)
        if version
        else ()
    )


def judge_fmt(
    project: Project, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    """One failing case per file the formatter would change, with its diff."""
    last, tool = results[-1], format_tool(results)
    cases = tuple(
        _format_case(project, tool, path, diff)
        for path, diff in split_diffs(last.stdout)
    )
    # black's 123 and ruff's 2 are the tool's own failures, and so is a 1 that named no file.
    if last.returncode not in (0, 1) or (last.returncode == 1 and not cases):
        cases += (tool_error(project, tool, _format_kind(tool), last),)
    return cases or (base.passed_case(project, tool, last.duration),)


def _format_kind(tool: str) -> str:
    return f"fmt.{tool.split()[0]}"


def split_diffs(stdout: str) -> list[tuple[str, str]]:
    """black's or ruff format's `--diff` output → (path as printed, that file's diff)."""
    starts = list(_DIFF_HEADER.finditer(stdout))
    ends = [m.start() for m in starts[1:]] + [len(stdout)]
    return [(m["path"], stdout[m.start() : end]) for m, end in zip(starts, ends)]


def _format_case(project: Project, tool: str, path: str, diff: str) -> TestCase:
    relative = base.relative(path, project.path)
    return TestCase(
        classname=base.dir_classname(relative, project.name),
        name=f"{tool}: {relative}",
        verdict=Verdict.FAILURE,
        type=_format_kind(tool),
        message="would reformat",
        text=diff,
        file=relative,
        line=base.first_changed_line(diff),
    )


def judge_vet(
    project: Project, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    """One failing case per ruff finding."""
    last = results[-1]
    if last.returncode not in (0, 1):
        return (tool_error(project, "ruff", "vet.ruff", last),)
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


def tool_error(
    project: Project, tool: str, kind: str, result: ProcessResult
) -> TestCase:
    """A tool's own failure: `[tool]` error whose body is what the tool wrote on stderr."""
    stderr = result.stderr.strip()
    lines = [line for line in stderr.split("\n") if line.strip()]
    # A traceback says what went wrong on its last line, anything else on its first.
    message = (
        (lines[-1] if lines[0].startswith("Traceback") else lines[0]) if lines else ""
    )
    message = message or f"{tool} exited with code {result.returncode}"
    case = base.error_case(project, tool, kind, message, result)
    return replace(case, text=stderr or case.text)


def format_tool(results: Sequence[ProcessResult]) -> str:
    """The formatter that ran: "ruff format" or "black"."""
    return "ruff format" if results and "format" in results[-1].argv else "black"
