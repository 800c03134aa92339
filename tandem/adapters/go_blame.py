"""What a red Go test is blamed on: the output line that failed it, or what stopped it.

A failed test's message and line come from the line that failed it. Go 1.27+ marks
the lines of t.Error and t.Fatal (`OutputType` "error"): the last of those. Older Go
gives output no level, so: the last `x_test.go:N: msg` line before `--- FAIL`,
leaving out lines whose source line is a t.Log or t.Logf call. A failure comes after
what was logged on the way to it, and t.Fatal ends the test; only a t.Log after the
failure, with no source at hand to show it, is taken for the failure.

A test that never ended is an error: "go.timeout" when Go's -timeout named it as
running; Tandem's own kind (timeout or interrupt) when Tandem stopped go test while
it ran, which then needs no `[go test]` case beside it; "go.interrupted" when go
test said a signal killed the test binary; else "go.incomplete" (os.Exit, a crash).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tandem.adapters.go_findings import lines_of
from tandem.model import TestCase

WHERE = re.compile(r"^([^\s/]+_test\.go):(\d+): ")
TEST_LINE = re.compile(r"^\s*(\S+_test\.go:\d+: .*)$", re.MULTILINE)
_PANIC_LINE = re.compile(r"^(panic: .*)$", re.MULTILINE)
_FAIL_FRAME = re.compile(r"^--- FAIL: ", re.MULTILINE)
_LOG_CALL = re.compile(r"\.Logf?\(")
_TIMED_OUT = "panic: test timed out"
_RUNNING = re.compile(r"^\t\t(.+) \([^()]*\)$")
# How go test says that a signal killed a test binary ("signal: interrupt", "signal: killed").
_SIGNALLED = re.compile(r"^signal: [a-z ]+$")
SUMMARY = re.compile(
    r"(FAIL|PASS|ok  |exit status )"
)  # Go's own lines: they explain nothing
GO_TIMEOUT, TANDEM_TIMEOUT = "go.timeout", "tandem.timeout"
# The line of source at a project-relative file and a 1-based line number; "" when unknown.
Source = Callable[[str, int], str]


def no_source(file: str, line: int) -> str:
    """No source at hand: any located line of a failed test may be the one that failed it."""
    return ""


def first(pattern: re.Pattern[str], text: str) -> str:
    """The first group of the first match of `pattern` in `text`, stripped; "" when none."""
    match = pattern.search(text)
    return match[1].strip() if match else ""


def in_folder(folder: str, file: str) -> str:
    """A file of the package in `folder` (project-relative, "" for the module's root)."""
    return f"{folder}/{file}".lstrip("/")


def failure_line(
    output: str, errors: Sequence[str] | None, folder: str, source: Source
) -> str:
    """The line that failed a test, else its panic line, else "Failed" (see the docstring)."""
    # errors: the outputs Go 1.27+ marked "error"; None from a Go that marks nothing.
    if errors is not None:
        located = [line.strip() for line in errors if WHERE.match(line.strip())]
    else:
        frame = _FAIL_FRAME.search(output)
        before = output[: frame.start()] if frame else output
        found = (match[1].strip() for match in TEST_LINE.finditer(before))
        located = [line for line in found if not _logged(line, folder, source)]
    return located[-1] if located else first(_PANIC_LINE, output) or "Failed"


def _logged(line: str, folder: str, source: Source) -> bool:
    """True when the source line that `line` names is a t.Log or t.Logf call."""
    where = WHERE.match(line)
    if where is None:
        return False
    return bool(_LOG_CALL.search(source(in_folder(folder, where[1]), int(where[2]))))


@dataclass(frozen=True)
class Ending:
    """How a package's test binary ended, as its whole output tells."""

    timeout: str  # Go's "panic: test timed out after D" line, or ""
    blamed: (
        frozenset[str] | None
    )  # the tests Go named as running then; None: it named none
    signal: str  # go test's "signal: NAME" line when a signal killed the binary, or ""
    ended: bool  # the package has its end event


def ending(transcript: str, ended: bool) -> Ending:
    """What a package's output (all of it, in order) says about how its test binary ended."""
    lines = lines_of(transcript)
    start = next(
        (i for i, line in enumerate(lines) if line.startswith(_TIMED_OUT)), None
    )
    timeout = lines[start] if start is not None else ""
    said = (
        line for line in reversed(lines) if line.strip() and not SUMMARY.match(line)
    )
    last = next(said, "")
    signal = last if _SIGNALLED.match(last) else ""
    return Ending(timeout, _running(lines, start), signal, ended)


def _running(lines: list[str], start: int | None) -> frozenset[str] | None:
    """The tests Go listed under "running tests:" after its timeout panic; None without a list."""
    if start is None or lines[start + 1 : start + 2] != ["\trunning tests:"]:
        return None
    names = []
    for line in lines[start + 2 :]:
        if not (match := _RUNNING.match(line)):
            break
        names.append(match[1])
    return frozenset(names)


def unfinished(name: str, end: Ending, stopped: TestCase | None) -> tuple[str, str]:
    """The message and type of test `name`, which has no end event."""
    if end.timeout and (end.blamed is None or name in end.blamed):
        return end.timeout.removeprefix("panic: "), GO_TIMEOUT
    if stopped is not None and (end.signal or not end.ended):
        return f"go test {stopped.message} while this test ran", stopped.type
    if end.signal:
        return f"test interrupted ({end.signal})", "go.interrupted"
    return "test did not complete", "go.incomplete"


def taken_over(stopped: TestCase, cases: Iterable[TestCase]) -> bool:
    """True when tests carry Tandem's stop, or Go's own timeout came before Tandem's."""
    kinds = {stopped.type}
    if stopped.type == TANDEM_TIMEOUT:
        kinds.add(GO_TIMEOUT)
    return any(case.type in kinds for case in cases)
