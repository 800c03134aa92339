"""What people see while a run goes on: a line per finished task, and what is still running.

On a terminal, a status area under the task lines shows the tasks done of all, the failures so
far, the running tasks with their elapsed time and an estimate of the time left (from recorded
durations); it is redrawn at most a few times a second and erased before the summary. Off a
terminal (CI, a pipe, `CI=true`, `TERM=dumb`) the lines are plain, and a line every 30 s names
what is still running, so a log never goes quiet for minutes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from tandem.model import Outcome, Task
from tandem.report.summary import task_line

REDRAW = 0.25  # seconds between redraws of the status area
HEARTBEAT = 30.0  # seconds between "still running" lines off a terminal
SHOWN_RUNNING = 6  # running tasks named in the status area
DEFAULT_GUESS = 5.0  # seconds expected of a task never run before


def wants_color(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour on a terminal unless NO_COLOR or TERM=dumb; always with FORCE_COLOR."""
    if environ.get("FORCE_COLOR"):
        return True
    plain = "NO_COLOR" in environ or environ.get("TERM") == "dumb"
    return not plain and stream.isatty()


def wants_live(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """A redrawn status area only on a real terminal, outside CI."""
    ci = environ.get("CI", "").lower() in ("1", "true", "yes")
    return stream.isatty() and environ.get("TERM") != "dumb" and not ci


class Progress:
    """Hears of the run's tasks (the `Watcher` the workflow takes) and shows them."""

    def __init__(
        self,
        say: Callable[[str], None],
        color: bool,
        live: bool,
        clock: Callable[[], float] = time.monotonic,
        write: Callable[[str], None] | None = None,
    ) -> None:
        self.say, self.color, self.live, self.clock = say, color, live, clock
        self.write = write or say
        self.lock = threading.Lock()
        self.running: dict[str, float] = {}  # task id -> when it started
        self.ended: set[str] = set()
        self.expected: dict[str, float] = {}
        self.total = self.finished = self.red = self.drawn = 0
        self.stopped = threading.Event()
        self.ticker: threading.Thread | None = None

    def planned(self, tasks: Sequence[Task], durations: Mapping[str, float]) -> None:
        """The run's tasks and how long each took before; starts the redraws or heartbeat."""
        self.total = len(tasks)
        self.expected = {t.id: durations.get(t.id, DEFAULT_GUESS) for t in tasks}
        self.ticker = threading.Thread(target=self._tick, daemon=True)
        self.ticker.start()

    def started(self, task: Task) -> None:
        """A task began."""
        with self.lock:
            self.running[task.id] = self.clock()

    def done(self, outcome: Outcome) -> None:
        """A task ended: its line goes above the status area."""
        with self.lock:
            self.running.pop(outcome.task.id, None)
            self.ended.add(outcome.task.id)
            self.finished += 1
            self.red += not outcome
            self._erase()
            self.say(task_line(outcome, self.color))
            self._draw()

    def close(self) -> None:
        """The run ended: no more redraws, and the status area is gone."""
        self.stopped.set()
        if self.ticker is not None:
            self.ticker.join()
        with self.lock:
            self._erase()

    def _tick(self) -> None:
        period = REDRAW if self.live else HEARTBEAT
        while not self.stopped.wait(period):
            with self.lock:
                self._redraw() if self.live else self._heartbeat()

    def _redraw(self) -> None:
        self._erase()
        self._draw()

    def _heartbeat(self) -> None:
        if self.running:
            self.say(f"tandem: still running: {self._running_text()}")

    def _draw(self) -> None:
        if not self.live or self.stopped.is_set():
            return
        lines = self.status_lines()
        self.write("".join(f"{line}\n" for line in lines))
        self.drawn = len(lines)

    def _erase(self) -> None:
        if self.drawn:
            # Up one line and clear it, once for each line of the status area.
            self.write("\x1b[1A\x1b[2K" * self.drawn)
            self.drawn = 0

    def status_lines(self) -> list[str]:
        """The status area: counts and the estimate, then the running tasks."""
        red = f", {self.red} failed" if self.red else ""
        head = (
            f"[{self.finished}/{self.total} done{red}, about {self._left():.0f}s left]"
        )
        return [head, *(f"  {line}" for line in self._running_lines())]

    def _running_lines(self) -> list[str]:
        now = self.clock()
        oldest = sorted(self.running.items(), key=lambda item: item[1])
        shown = [f"{task_id}  {now - start:.0f}s" for task_id, start in oldest]
        more = len(shown) - SHOWN_RUNNING
        return shown[:SHOWN_RUNNING] + ([f"... and {more} more"] if more > 0 else [])

    def _running_text(self) -> str:
        return ", ".join(line.replace("  ", " ") for line in self._running_lines())

    def _left(self) -> float:
        """Expected seconds of work not yet done, spread over the machine's CPUs."""
        now, cpus = self.clock(), os.cpu_count() or 1
        running = sum(
            max(self.expected.get(t, DEFAULT_GUESS) - (now - start), 0.0)
            for t, start in self.running.items()
        )
        seen = self.ended | self.running.keys()
        queued = sum(s for t, s in self.expected.items() if t not in seen)
        return (running + queued) / cpus
