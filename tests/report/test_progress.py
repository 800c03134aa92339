"""The progress shown while a run goes on: the status area, the heartbeat, colour choices."""

from __future__ import annotations

import io
import time
from pathlib import Path

from tandem.model import Outcome, Project, Step, Task, TestCase, Verdict
from tandem.report import progress
from tandem.report.progress import Progress, wants_color, wants_live

ERASE_LINE = "\x1b[1A\x1b[2K"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def task(name: str, step: Step = Step.TEST) -> Task:
    return Task(Project(name, "go", Path(f"/r/{name}")), step)


def outcome(t: Task, verdict: Verdict = Verdict.PASSED) -> Outcome:
    return Outcome(t, (TestCase(t.project.name, "TestX", verdict=verdict),))


def watched(live: bool, clock: Clock) -> tuple[Progress, list[str]]:
    out: list[str] = []
    shown = Progress(
        lambda line: out.append(f"{line}\n"), False, live, clock, out.append
    )
    return shown, out


def test_the_status_area_counts_names_the_running_and_estimates_the_time_left(
    monkeypatch,
):
    monkeypatch.setattr(progress.os, "cpu_count", lambda: 2)
    clock = Clock()
    shown, _ = watched(True, clock)
    a, b, c = task("a"), task("b"), task("c")
    shown.expected = {a.id: 10.0, b.id: 4.0, c.id: 6.0}
    shown.total = 3
    shown.started(a)
    clock.now += 3
    shown.started(b)
    clock.now += 1
    lines = shown.status_lines()
    # a: 10 - 4 = 6 left, b: 4 - 1 = 3 left, c: 6 queued; over 2 CPUs.
    assert lines == ["[0/3 done, about 8s left]", "  a:test  4s", "  b:test  1s"]


def test_a_finished_task_line_goes_above_a_redrawn_status_area():
    clock = Clock()
    shown, out = watched(True, clock)
    a, b = task("a"), task("b")
    shown.total, shown.expected = 2, {a.id: 1.0, b.id: 1.0}
    shown.started(a)
    shown.started(b)
    shown.done(outcome(a, Verdict.FAILURE))
    first = "".join(out)
    assert "FAIL  a:test" in first and first.index("FAIL") < first.index("[1/2 done")
    assert "1 failed" in first and "b:test" in first
    shown.done(outcome(b))
    text = "".join(out)
    # The earlier area (two lines) is erased before the next task line is written.
    assert ERASE_LINE * 2 + "PASS  b:test" in text
    shown.close()
    assert "".join(out).endswith(ERASE_LINE)  # the last area is gone before the summary


def test_off_a_terminal_there_is_no_status_area_but_a_heartbeat(monkeypatch):
    monkeypatch.setattr(progress, "HEARTBEAT", 0.05)
    shown, out = watched(False, Clock())
    a = task("slow")
    shown.planned((a,), {})
    shown.started(a)
    deadline = time.monotonic() + 10
    while (
        not any("still running" in line for line in out) and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    shown.done(outcome(a))
    shown.close()
    assert any(line.startswith("tandem: still running: slow:test") for line in out)
    assert not any("\x1b" in line for line in out)
    assert not any("done," in line for line in out)


def test_no_heartbeat_names_a_task_once_nothing_runs():
    shown, out = watched(False, Clock())
    a = task("slow")
    shown.planned((a,), {})
    shown.started(a)
    shown._heartbeat()  # each beat, as the ticker thread would call it
    shown.done(outcome(a))
    shown._heartbeat()
    shown.close()
    beats = [line for line in out if "still running" in line]
    assert len(beats) == 1 and beats[0].startswith("tandem: still running: slow:test")


def test_colour_follows_the_terminal_no_color_force_color_and_dumb_terminals():
    tty, pipe = Terminal(), io.StringIO()
    assert wants_color(tty, {}) and not wants_color(pipe, {})
    assert not wants_color(tty, {"NO_COLOR": "1"})
    assert not wants_color(tty, {"TERM": "dumb"})
    assert wants_color(pipe, {"FORCE_COLOR": "1"})


def test_the_live_area_needs_a_real_terminal_outside_ci():
    tty = Terminal()
    assert wants_live(tty, {"TERM": "xterm"})
    assert not wants_live(io.StringIO(), {})
    assert not wants_live(tty, {"CI": "true"})
    assert not wants_live(tty, {"TERM": "dumb"})
