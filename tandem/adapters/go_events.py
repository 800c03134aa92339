"""Turn `go test -json` output into test cases (junit-report-guide §4.2 and §4.3).

Parse first, render second: `parse` files every event under its package and
test, `convert` renders those records as `TestCase` values. Both are pure
functions of the streams (and of the source lines they are handed), so recorded
streams give golden results. `go_blame` says which line failed a test, and what
stopped one that never ended.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from tandem.adapters.go_blame import (
    SUMMARY,
    TEST_LINE,
    WHERE,
    Ending,
    Source,
    ending,
    failure_line,
    first,
    in_folder,
    no_source,
    taken_over,
    unfinished,
)
from tandem.adapters.go_findings import classname, lines_of, stderr_blocks
from tandem.model import Attempt, TestCase, Verdict

_VERDICTS = {"pass": Verdict.PASSED, "fail": Verdict.FAILURE, "skip": Verdict.SKIPPED}
_RANK = {Verdict.PASSED: 0, Verdict.SKIPPED: 1, Verdict.FAILURE: 2, Verdict.ERROR: 3}
_BUILD_FAILED = re.compile(r"^FAIL\t(\S+) \[(build|setup) failed\]$", re.MULTILINE)
_RED = (Verdict.FAILURE, Verdict.ERROR)
# Why a cut is red: the events of tests that fell in it are gone, passed or failed alike.
_CUT_TEXT = (
    "Tandem keeps the first and last part of each output stream and drops the middle, "
    "so that a flood of output cannot take its memory; the tests whose events were in the "
    "dropped part are missing from this report, whatever their results."
)


@dataclass
class _Attempt:
    output: list[str] = field(default_factory=list)
    action: str | None = None  # pass, fail or skip once closed
    elapsed: float = 0.0
    attrs: list[tuple[str, str]] = field(default_factory=list)
    typed: bool = False  # Go 1.27+: output events say what they are (OutputType)
    errors: list[str] = field(default_factory=list)  # the outputs typed "error"


@dataclass
class _Package:
    tests: dict[str, list[_Attempt]] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)  # output outside any test
    transcript: list[str] = field(default_factory=list)  # all output, in order
    action: str | None = None
    failed_build: str = ""


class _Judged(NamedTuple):
    verdict: Verdict
    message: str = ""
    text: str = ""
    kind: str = ""


@dataclass(frozen=True)
class _Scope:
    """What judging the tests of one package needs beyond their own events."""

    package: _Package
    folder: str  # the package's directory in the project; "" for the module's root
    end: Ending
    # Tandem's timeout or interrupt case, when Tandem stopped go test.
    stopped: TestCase | None
    source: Source


@dataclass
class Stream:
    """What one `go test -json` stdout said, filed by package and test."""

    packages: dict[str, _Package] = field(default_factory=dict)
    build_output: dict[str, list[str]] = field(default_factory=dict)
    stray: list[str] = field(default_factory=list)


def parse(stdout: str) -> Stream:
    """File each event of a `go test -json` stdout; non-JSON lines become stray text."""
    stream = Stream()
    for line in lines_of(stdout, keepends=True):
        event = _decode(line)
        if event is None:
            stream.stray.append(line)
        elif "ImportPath" in event and "Package" not in event:
            stream.build_output.setdefault(str(event["ImportPath"]), []).append(
                _text(event)
            )
        else:
            _feed(
                stream.packages.setdefault(str(event.get("Package", "")), _Package()),
                event,
            )
    return stream


def _decode(line: str) -> dict | None:
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _text(event: dict) -> str:
    return str(event.get("Output") or "")


def _feed(package: _Package, event: dict) -> None:
    action, test = event.get("Action"), event.get("Test")
    if action in ("output", "bench"):
        package.transcript.append(_text(event))
    if test:
        _feed_test(package.tests.setdefault(str(test), []), action, event)
    elif action in ("output", "bench"):
        package.output.append(_text(event))
    elif action in _VERDICTS:
        package.action = action
        package.failed_build = str(event.get("FailedBuild") or "")


def _feed_test(attempts: list[_Attempt], action: str | None, event: dict) -> None:
    closed = bool(attempts) and attempts[-1].action is not None
    if not attempts or action == "run" or (action in _VERDICTS and closed):
        attempts.append(_Attempt())
    current = attempts[-1]
    if action in ("output", "bench"):
        current.output.append(_text(event))
        current.typed = current.typed or "OutputType" in event
        if event.get("OutputType") == "error":
            current.errors.append(_text(event))
    elif action == "attr":
        current.attrs.append((str(event.get("Key", "")), str(event.get("Value", ""))))
    elif action in _VERDICTS:
        current.action = action
        current.elapsed = _seconds(event.get("Elapsed"))


def _seconds(value: object) -> float:
    try:
        return max(0.0, float(str(value or 0)))
    except (TypeError, ValueError):
        return 0.0


def convert(
    stdout: str,
    stderr: str,
    returncode: int,
    module: str,
    project: str,
    *,
    stopped: TestCase | None = None,
    cut: int = 0,
    source: Source = no_source,
) -> tuple[TestCase, ...]:
    """The test cases one `go test -json` run adds up to, in Go's order."""
    # stopped: Tandem's timeout or interrupt case when it stopped go test; cut: the bytes of
    # output dropped to bound memory; source: the test files, to tell t.Log from t.Error.
    stream = parse(stdout)
    cases: list[TestCase] = []
    for path, package in stream.packages.items():
        klass = classname(path, module, project)
        folder = klass.removeprefix(project).lstrip("/")
        end = ending("".join(package.transcript), package.action is not None)
        scope = _Scope(package, folder, end, stopped, source)
        cases.extend(_package_cases(stream, path, scope, stderr, klass))
    for path, verb in _text_build_failures(stream, stderr):
        body = stderr_blocks(stderr).get(path) or stderr
        cases.append(_build_case(classname(path, module, project), verb, body))
    step = _step_case(project, returncode, stderr, stream.stray, cases, stopped, cut)
    return (*cases, *step)


def _package_cases(
    stream: Stream, path: str, scope: _Scope, stderr: str, klass: str
) -> list[TestCase]:
    package = scope.package
    cases = [
        _test_case(klass, name, runs, scope) for name, runs in package.tests.items()
    ]
    if package.action != "fail":
        return cases
    verb = _build_verb(package)
    if verb:
        return [
            *cases,
            _build_case(klass, verb, _build_text(stream, path, package, stderr)),
        ]
    if any(case.red for case in cases):
        return cases
    return [*cases, _package_case(klass, package)]


def _test_case(klass: str, name: str, runs: list[_Attempt], scope: _Scope) -> TestCase:
    judged = [_judge_attempt(run, name, scope) for run in runs]
    worst = max(range(len(judged)), key=lambda i: _RANK[judged[i].verdict])
    main = judged[worst]
    earlier = tuple(
        Attempt(a.verdict, a.message, a.text)
        for i, a in enumerate(judged)
        if i != worst and a.verdict in _RED
    )
    attrs = tuple(dict.fromkeys(attr for run in runs for attr in run.attrs))
    counted = (("attempts", str(len(runs))),) if len(runs) > 1 else ()
    where = WHERE.match(main.message) if main.verdict in _RED else None
    return TestCase(
        classname=klass,
        name=name,
        time=sum(run.elapsed for run in runs),
        verdict=main.verdict,
        type=main.kind,
        message=main.message,
        text=main.text,
        properties=attrs + counted,
        attempts=earlier,
        file=in_folder(scope.folder, where[1]) if where else None,
        line=int(where[2]) if where else None,
    )


def _judge_attempt(run: _Attempt, name: str, scope: _Scope) -> _Judged:
    output = "".join(run.output)
    if run.action is None:
        message, kind = unfinished(name, scope.end, scope.stopped)
        text = _incomplete_text(output, scope.package)
        return _Judged(Verdict.ERROR, message, text, kind)
    verdict = _VERDICTS[run.action]
    if verdict is Verdict.PASSED:
        return _Judged(verdict)
    if verdict is Verdict.SKIPPED:
        return _Judged(verdict, first(TEST_LINE, output) or "skipped", output)
    errors = run.errors if run.typed else None
    message = failure_line(output, errors, scope.folder, scope.source)
    return _Judged(verdict, message, output, "go.test")


def _incomplete_text(output: str, package: _Package) -> str:
    excerpt = _panic_excerpt(package)
    if excerpt and excerpt not in output:
        output += excerpt
    return output + "".join(package.output[-20:])


def _panic_excerpt(package: _Package) -> str:
    """The panic line and what follows it up to the first blank line (the timeout's test list)."""
    lines = lines_of("".join(package.transcript), keepends=True)
    start = next(
        (i for i, line in enumerate(lines) if line.startswith("panic: ")), None
    )
    if start is None:
        return ""
    end = next(
        (i for i in range(start, len(lines)) if not lines[i].strip()), len(lines)
    )
    return "".join(lines[start:end])


def _build_verb(package: _Package) -> str:
    """Which step failed ("build" or "setup") when the test binary was never built; else ""."""
    match = _BUILD_FAILED.search("".join(package.output))
    if match:
        return match[2]
    return "build" if package.failed_build else ""


def _build_text(stream: Stream, path: str, package: _Package, stderr: str) -> str:
    output = stream.build_output.get(package.failed_build)
    if output is None:
        output = next(
            (o for k, o in stream.build_output.items() if k.split(" ")[0] == path), None
        )
    if output is not None:
        return "".join(output)
    return stderr_blocks(stderr).get(path) or stderr


def _text_build_failures(stream: Stream, stderr: str) -> list[tuple[str, str]]:
    """Go < 1.24: `FAIL\\tpkg [build failed]` as plain text, for packages with no events."""
    text = "".join(stream.stray) + stderr
    found = {
        m[1]: m[2] for m in _BUILD_FAILED.finditer(text) if m[1] not in stream.packages
    }
    return list(found.items())


def _error(klass: str, name: str, kind: str, message: str, text: str) -> TestCase:
    return TestCase(
        klass, name, verdict=Verdict.ERROR, type=kind, message=message, text=text
    )


def _build_case(klass: str, verb: str, text: str) -> TestCase:
    return _error(klass, "[build failed]", "go.build", f"{verb} failed", text)


def _package_case(klass: str, package: _Package) -> TestCase:
    output = "".join(package.output)
    excerpt = _panic_excerpt(package)
    text = output if not excerpt or excerpt in output else excerpt + output
    lines = (line for line in lines_of(text) if line.strip())
    message = next(
        (line for line in lines if not SUMMARY.match(line)), "package failed"
    )
    return _error(klass, "[package]", "go.package", message, text)


def _step_case(
    project: str,
    returncode: int,
    stderr: str,
    stray: list[str],
    cases: list[TestCase],
    stopped: TestCase | None,
    cut: int,
) -> tuple[TestCase, ...]:
    """At most one `[go test]` case: a timeout no test took over, lost output, or a bare exit."""
    if stopped is not None and not taken_over(stopped, cases):
        cut_note = f"; {_cut_message(cut)}" if cut else ""
        return (replace(stopped, message=stopped.message + cut_note),)
    if cut:
        text = f"{_cut_message(cut)}.\n{_CUT_TEXT}\n{stderr}{''.join(stray)}"
        return (
            _error(project, "[go test]", "tandem.output-cut", _cut_message(cut), text),
        )
    if returncode != 0 and not any(case.red for case in cases):
        return (_go_test_case(project, returncode, stderr, stray),)
    return ()


def _cut_message(cut: int) -> str:
    return f"{cut} bytes of go test's output were cut: test results may be missing"


def _go_test_case(
    project: str, returncode: int, stderr: str, stray: list[str]
) -> TestCase:
    message = f"go test exited with code {returncode}"
    return _error(project, "[go test]", "go.test", message, stderr + "".join(stray))
