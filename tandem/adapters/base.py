"""Shared defaults for adapters: synthetic test cases and the never-green-on-red rule."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from tandem.model import (
    INTERRUPTED,
    Layout,
    Output,
    ProcessResult,
    Project,
    TestCase,
    Verdict,
)

TAIL_LINES = 60
_HUNK = re.compile(r"^@@ -(\d+)", re.MULTILINE)
Properties = tuple[tuple[str, str], ...]


class Refusal(Exception):
    """Raised by an adapter's `commands` when a step cannot run at all; one error case says why."""

    def __init__(self, tool: str, kind: str, message: str) -> None:
        super().__init__(message)
        self.tool, self.kind, self.message = tool, kind, message


def basic_properties(project: Project, step: object, ctx: object) -> Properties:
    """No report properties beyond the language's probed tool versions."""
    return ()


Tool = Path | str  # a tool's file (the cache digests its content) or a fact about it


@functools.cache
def program(name: str) -> Tool:
    """The file of the program `name` on the PATH, links resolved; a fact when there is none."""
    found = shutil.which(name)
    return Path(os.path.realpath(found)) if found else f"{name} (not on PATH)"


@functools.cache
def distribution(module: str) -> str:
    """`NAME VERSION` of the installed distribution holding a module, read from its
    `.dist-info` directory without importing either (a machine-independent identity)."""
    site = site_of(module)
    if site is None:
        return f"{module} (not installed)"
    infos = sorted(site.glob(f"{module}-*.dist-info"))
    return infos[-1].name.removesuffix(".dist-info") if infos else module


@functools.cache
def site_of(module: str) -> Path | None:
    """The directory a module (a package) is installed in; None when it is not."""
    spec = importlib.util.find_spec(module)
    return Path(spec.origin).parent.parent if spec and spec.origin else None


def basic_watched() -> tuple[Path, ...]:
    """The PATH's directories: a program put in one may be the one a step finds next."""
    return tuple(Path(d) for d in os.environ.get("PATH", "").split(os.pathsep) if d)


def basic_outputs(project: Project, layout: Layout) -> tuple[Output, ...]:
    """The project's build output directory, plain files a copy restores."""
    return (Output(layout.output / project.name, portable=True),)


def is_test(case: TestCase) -> bool:
    """True for a case that is one test, not a `[step]` case or a collection error."""
    return not case.name.startswith("[") and "(collection)" not in case.classname


def rerun_properties(
    project: Project, native: Sequence[str], selector: Sequence[str]
) -> Properties:
    """The `rerun` and `rerun.tandem` case properties: the tool's command, and Tandem's."""
    tandem = ("tandem", "test", "-p", project.name, "--", *selector)
    return (("rerun", shlex.join(native)), ("rerun.tandem", shlex.join(tandem)))


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of `text`, marked when cut."""
    # "\n" alone ends a line: str.splitlines would also cut at U+0085, U+2028 and U+2029.
    kept = text.rstrip("\n").split("\n") if text.strip("\n") else []
    if len(kept) <= lines:
        return "\n".join(kept)
    return "\n".join([f"[... {len(kept) - lines} lines cut ...]", *kept[-lines:]])


def describe(result: ProcessResult) -> str:
    """The command, its exit code and the tail of its output, as invoke shows a failed command."""
    head = f"$ {shlex.join(result.argv)}\nexit code {result.returncode}"
    return f"{head}\n{tail(result.output)}" if result.output else head


def passed_case(project: Project, tool: str, time: float = 0.0) -> TestCase:
    """The one passing case that shows a clean step ran: `[gofmt]`, `[ruff]`..."""
    return TestCase(classname=project.name, name=f"[{tool}]", time=time)


def error_case(
    project: Project,
    tool: str,
    kind: str,
    message: str,
    result: ProcessResult | None = None,
) -> TestCase:
    """A step-level error case named `[tool]`, carrying the command and its output."""
    return TestCase(
        classname=project.name,
        name=f"[{tool}]",
        time=result.duration if result else 0.0,
        verdict=Verdict.ERROR,
        type=kind,
        message=message,
        text=describe(result) if result else message,
    )


def special_case(
    project: Project, tool: str, results: Sequence[ProcessResult], hint: str
) -> TestCase | None:
    """The error case for a missing tool, a timeout or an interrupt, which no adapter judges further."""
    last = results[-1] if results else None
    if last is None:
        return None
    if last.missing:
        message = f"{last.argv[0]}: not found on PATH; {hint}"
        return error_case(project, tool, "tandem.missing-tool", message, last)
    if last.timed_out:
        message = f"timed out after {last.duration:.0f}s and was killed"
        return error_case(project, tool, "tandem.timeout", message, last)
    if last.interrupted:
        message = f"interrupted after {last.duration:.0f}s"
        return error_case(project, tool, INTERRUPTED, message, last)
    return None


def ensure_red(
    project: Project,
    tool: str,
    results: Sequence[ProcessResult],
    cases: tuple[TestCase, ...],
    expected: tuple[int, ...] = (0,),
) -> tuple[TestCase, ...]:
    """Add an error case when a command exited with an unexpected code and no case says why."""
    failed = next((r for r in results if r.returncode not in expected), None)
    if failed is None or any(case.red for case in cases):
        return cases
    message = f"{tool} exited with code {failed.returncode}"
    return (
        *cases,
        error_case(project, tool, f"{tool.replace(' ', '.')}", message, failed),
    )


def relative(file: str, root: Path) -> str:
    """`file` relative to the project root, "/" separated; unchanged when outside it."""
    for base in (root, root.resolve()):
        try:
            return Path(file).relative_to(base).as_posix()
        except ValueError:
            continue
    return file


def first_changed_line(diff: str) -> int | None:
    """The 1-based line of a unified diff's first hunk in the old file; None without a hunk."""
    hunk = _HUNK.search(diff)
    return max(1, int(hunk[1])) if hunk else None


def dir_classname(file: str, project: str) -> str:
    """The classname for a project-relative file: its directory under `<project>`."""
    parent = PurePosixPath(file).parent
    inside = not parent.is_absolute() and parent.as_posix() not in (".", "")
    return f"{project}/{parent.as_posix()}" if inside else project
