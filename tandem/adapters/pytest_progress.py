"""What Tandem's pytest plugin recorded, read back: which tests a timeout or an interrupt cut short.

pytest's `--junitxml` report never names the test it was running when it was stopped, and its
output only says `file:line: KeyboardInterrupt` (a library's line, or `threading.py` under
xdist). The plugin (`tandem/pytest_plugin/tandem_progress.py`, loaded with `-p`) writes a JSON
line when each test starts and when it ends, and the captured output of a test that a
KeyboardInterrupt stopped. A test that started and never ended is the one that hung: it becomes
one error case, named as pytest's report would name it. A test stopped while a fixture of wider
scope was being set up (a session fixture that hangs) is not blamed: that hang is pytest's.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from tandem.adapters import pytest_xml
from tandem.adapters.base import tail
from tandem.model import INTERRUPTED, Context, ProcessResult, TestCase, Verdict

PLUGIN = "tandem_progress"
PLUGIN_DIR = Path(__file__).resolve().parent.parent / "pytest_plugin"
ENV = "TANDEM_PROGRESS"  # the file the plugin appends to; its own module reads the same name
_INTERRUPT = re.compile(r"^!+ KeyboardInterrupt !+$", re.MULTILINE)
_CLOSING = re.compile(r"^=+ .* in [\d.]+s.* =+$", re.MULTILINE)


@dataclass(frozen=True)
class Stop:
    """What the plugin saw of a test that a KeyboardInterrupt stopped, in the process running it."""

    output: str = ""  # what the test had printed and logged, in pytest's sections
    fixture: str = (
        ""  # a fixture of wider scope than the test, set up when it was stopped
    )
    scope: str = ""


@dataclass(frozen=True)
class Progress:
    """The tests that started and never ended, in the order they started, and their stops."""

    running: tuple[str, ...] = ()
    stops: Mapping[str, Stop] = field(default_factory=dict)

    def hung(self) -> tuple[str, ...]:
        """The running tests a hang is blamed on: not those stopped in a wider fixture."""
        return tuple(n for n in self.running if not self.stops.get(n, Stop()).fixture)

    def fixture_note(self) -> str:
        """Which wider-scoped fixture was being set up when pytest was stopped, if one was."""
        for node in self.running:
            stop = self.stops.get(node, Stop())
            if stop.fixture:
                fixture = f"the {stop.scope}-scoped fixture '{stop.fixture}'"
                return f"stopped while setting up {fixture} (for {node})"
        return ""


def progress_file(report: Path) -> Path:
    """Where the plugin records the run that writes `report`: beside it."""
    return report.with_suffix(".progress")


def plugin_args() -> tuple[str, ...]:
    """pytest's arguments that load the plugin."""
    return ("-p", PLUGIN)


def plugin_env(report: Path) -> dict[str, str]:
    """The environment that lets pytest import the plugin (for this command alone) and use it."""
    inherited = os.environ.get("PYTHONPATH")
    path = os.pathsep.join(filter(None, (str(PLUGIN_DIR), inherited)))
    return {"PYTHONPATH": path, ENV: str(progress_file(report))}


def read(path: Path) -> Progress:
    """The plugin's record; empty when there is none (pytest never started a test, or no plugin)."""
    lines = (_text(path) or "").splitlines()
    started: dict[str, None] = {}
    ended: set[str] = set()
    stops: dict[str, Stop] = {}
    for event in filter(None, map(_event, lines)):
        if "start" in event:
            started[str(event["start"])] = None
        elif "end" in event:
            ended.add(str(event["end"]))
        elif "stopped" in event:
            stops[str(event["stopped"])] = _stop(event)
    running = tuple(node for node in started if node not in ended)
    return Progress(running, stops)


def _event(line: str) -> dict | None:
    # A line cut short by a process killed mid-write is skipped, not fatal.
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _stop(event: dict) -> Stop:
    return Stop(
        str(event.get("output", "")),
        str(event.get("fixture", "")),
        str(event.get("scope", "")),
    )


def judge_stopped(
    project: str, result: ProcessResult, report: Path, special: TestCase, ctx: Context
) -> tuple[TestCase, ...]:
    """pytest stopped by its timeout or an interrupt: the tests that ended, and the hung ones.

    `special` is the `[pytest]` case for the timeout or interrupt, kept only when no test was
    running; `report` is pytest's `--junitxml` file, the plugin's record lies beside it.
    """
    ended, problem = pytest_xml.reported(_text(report), project)
    progress = read(progress_file(report))
    kind, message = _stopped_by(result, ctx)
    hung = hung_cases(progress, project, kind, message, result.output)
    if not hung:
        # Nothing was running (collection, a session fixture): the hang is pytest's own.
        return (_noted(special, progress.fixture_note()), *ended)
    # One case per hung test: what the report wrote of one (a hang in teardown) gives way.
    blamed = {(case.classname, case.name) for case in hung}
    kept = [case for case in ended if (case.classname, case.name) not in blamed]
    cases = sorted((*kept, *hung), key=lambda case: (case.classname, case.name))
    # Without a report the tests that ended are unknown: a `[pytest]` case says so.
    lost = (pytest_xml.exit_case(project, result.returncode, "", problem),)
    return (*cases, *(lost if problem else ()))


def _noted(case: TestCase, note: str) -> TestCase:
    return replace(case, text=f"{note}\n\n{case.text}") if note else case


def _stopped_by(result: ProcessResult, ctx: Context) -> tuple[str, str]:
    """The type and message of a test cut short by this result's timeout or interrupt."""
    if result.timed_out:
        return "tandem.timeout", f"timed out after {ctx.timeout:g}s"
    return INTERRUPTED, f"interrupted after {result.duration:.0f}s"


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def hung_cases(
    progress: Progress, project: str, kind: str, message: str, output: str
) -> tuple[TestCase, ...]:
    """One error case per hung test: its output, then pytest's KeyboardInterrupt traceback
    (the tail of pytest's output when it said none: it was killed)."""
    trace = interrupt_trace(output) or tail(output)
    return tuple(
        _hung_case(
            node, project, kind, message, progress.stops.get(node, Stop()), trace
        )
        for node in progress.hung()
    )


def _hung_case(
    node: str, project: str, kind: str, message: str, stop: Stop, trace: str
) -> TestCase:
    classname, name = pytest_xml.case_names(node, project)
    text = "\n\n".join(filter(None, (stop.output, trace))) or message
    path = node.partition("::")[0]
    return TestCase(
        classname,
        name,
        verdict=Verdict.ERROR,
        type=kind,
        message=message,
        text=text,
        file=path or None,
    )


def interrupt_trace(stdout: str) -> str:
    """pytest's KeyboardInterrupt section of its output, up to its closing summary line."""
    start = _INTERRUPT.search(stdout)
    if start is None:
        return ""
    closing = _CLOSING.search(stdout, start.end())
    return stdout[start.start() : closing.start() if closing else None].strip("\n")
