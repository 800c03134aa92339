"""The run as a picture: every task that ran is a bar on the CPU slot lanes it held.

A task that held k slots takes k adjacent lanes that are free over its whole stretch of
time, placed greedily in order of start; when no k adjacent lanes are free, lanes are added
rather than letting two bars overlap. Tasks replayed from the cache or never run held no
slot and are not drawn.

A start kept to the second may read up to a second early, which would make a task seem to
overlap the one whose slot it took: such a task may follow on that lane, its bar starting
when the lane frees. Exact starts are drawn where they are.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tandem.model import Outcome

SLACK = 1.0  # seconds a start kept to the second may read early by
WIDTH = 1200  # the drawing's user units; the page scales it to fit
GUTTER = 64  # room for the lane labels
LANE = 24
GAP = 4
AXIS = 26
CHAR = 7.2  # the width of one label character at the bars' font size
TICKS = 10  # at most this many time marks


@dataclass(frozen=True)
class Span:
    """A task's stretch of the run, in seconds from the first start, and the slots it held."""

    name: str
    start: float
    end: float
    slots: int


@dataclass(frozen=True)
class Placed:
    """A span on lanes `lane` to `lane + slots - 1`, starting no earlier than they were free."""

    name: str
    lane: int
    start: float
    end: float
    slots: int


def place(spans: Sequence[Span], slack: float = 0.0) -> tuple[Placed, ...]:
    """Lanes for every span, in the order given: adjacent, never overlapping, added when needed.

    A lane counts as free for a span that starts up to `slack` seconds before the lane's last
    bar ends (the span's bar then starts when the lane frees), but only once as many lanes as
    that tight layout needs are in use: a truly free lane comes first.
    """
    order = sorted(range(len(spans)), key=lambda i: _rank(spans[i]))
    tight = _layout(spans, order, slack, 0)
    lanes = max((bar.lane + bar.slots for bar in tight.values()), default=0)
    placed = _layout(spans, order, slack, lanes)
    return tuple(placed[i] for i in range(len(spans)))


def _rank(span: Span) -> tuple[float, int, str, float]:
    # Wider tasks first among equal starts: they are the hardest to fit later.
    return (span.start, -span.slots, span.name, span.end)


def _layout(
    spans: Sequence[Span], order: list[int], slack: float, lanes: int
) -> dict[int, Placed]:
    free: list[float] = []  # lane -> when its last bar ends
    return {i: _place_one(spans[i], free, slack, lanes) for i in order}


def _place_one(span: Span, free: list[float], slack: float, lanes: int) -> Placed:
    width = max(span.slots, 1)
    lane = _best_fit(free, width, span.start, slack, lanes)
    free.extend([-math.inf] * (lane + width - len(free)))
    start = max([span.start, *free[lane : lane + width]])
    end = start + max(span.end - span.start, 0.0)
    free[lane : lane + width] = [end] * width
    return Placed(span.name, lane, start, end, width)


def _best_fit(
    free: list[float], width: int, start: float, slack: float, lanes: int
) -> int:
    """The first `width` lanes free at `start` among the first `lanes`; else those free
    soonest within `slack`; else the first free at `start`, adding lanes after the last.
    """

    def wait(lane: int) -> float:
        # Lanes past the last are new: they wait for nothing.
        return max([start, *free[lane : lane + width]]) - start

    now = [i for i in range(max(lanes, len(free)) - width + 1) if wait(i) == 0]
    soon = [i for i in range(len(free) - width + 1) if wait(i) <= slack]
    if now or soon:
        return now[0] if now else min(soon, key=lambda i: (wait(i), i))
    return next(i for i in range(len(free) + 1) if wait(i) == 0)


def spans(outcomes: Sequence[Outcome]) -> tuple[Span, ...]:
    """The tasks that held CPU slots, timed from the first of them to start."""
    ran = [outcome for outcome in outcomes if outcome.slots > 0]
    if not ran:
        return ()
    first = min(as_utc(outcome.started) for outcome in ran)
    return tuple(
        _span(outcome, (as_utc(outcome.started) - first).total_seconds())
        for outcome in ran
    )


def slack(outcomes: Sequence[Outcome]) -> float:
    """SLACK when every start was kept to the second; 0 when starts are exact."""
    whole = all(outcome.started.microsecond == 0 for outcome in outcomes)
    return SLACK if whole else 0.0


def as_utc(moment: datetime) -> datetime:
    """`moment` with a time zone; a naive one is taken to be UTC already, as in the report."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _span(outcome: Outcome, start: float) -> Span:
    return Span(outcome.task.id, start, start + outcome.duration, outcome.slots)


def timeline_svg(outcomes: Sequence[Outcome]) -> str:
    """An inline SVG of the tasks that ran on their lanes, coloured by status; "" if none ran."""
    ran = [outcome for outcome in outcomes if outcome.slots > 0]
    bars = place(spans(ran), slack(ran))
    if not bars:
        return ""
    lanes = max(bar.lane + bar.slots for bar in bars)
    length = max(max(bar.end for bar in bars), 1e-3)
    height = lanes * (LANE + GAP) + AXIS
    parts = [
        (
            f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-label="{len(bars)} tasks on {lanes} CPU slot lanes over {length:.1f} s">'
        ),
        *(_lane(index) for index in range(lanes)),
        *_axis(length, lanes),
        *(_bar(outcome, bar, length) for outcome, bar in zip(ran, bars)),
        "</svg>",
    ]
    return "\n".join(parts)


def _x(seconds: float, length: float) -> float:
    return GUTTER + seconds / length * (WIDTH - GUTTER - 8)


def _lane(index: int) -> str:
    y = index * (LANE + GAP)
    return (
        f'<rect class="lane" x="{GUTTER}" y="{y}" width="{WIDTH - GUTTER}" height="{LANE}"/>'
        f'<text class="lane-label" x="4" y="{y + LANE * 0.7:.1f}">slot {index + 1}</text>'
    )


def _axis(length: float, lanes: int) -> list[str]:
    """Time marks under the lanes, at a round step."""
    top, bottom = 0, lanes * (LANE + GAP)
    step = tick_step(length)
    marks = []
    for n in range(int(length / step) + 1):
        x = _x(n * step, length)
        marks.append(
            f'<line class="tick" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}"/>'
            f'<text class="tick-label" x="{x:.1f}" y="{bottom + 16}">{n * step:g} s</text>'
        )
    return marks


def tick_step(length: float) -> float:
    """The smallest of 1, 2 and 5 times a power of ten that marks `length` at most TICKS times."""
    power = 10.0 ** math.floor(math.log10(max(length, 1e-3) / TICKS))
    return next(m * power for m in (1, 2, 5, 10) if length / (m * power) <= TICKS)


def _bar(outcome: Outcome, bar: Placed, length: float) -> str:
    x = _x(bar.start, length)
    width = max(_x(bar.end, length) - x, 1.0)
    y, tall = bar.lane * (LANE + GAP), bar.slots * (LANE + GAP) - GAP
    task, status = outcome.task, outcome.status.value
    slots = f"{bar.slots} slot{'s' if bar.slots > 1 else ''}"
    cpu = f", {outcome.cpu:.2f} s of CPU" if outcome.cpu else ""
    tip = html.escape(f"{task.id}: {outcome.duration:.2f} s on {slots}{cpu}, {status}")
    label = _label(task.id, width)
    text = f'<text x="{x + 4:.1f}" y="{y + tall / 2 + 4:.1f}">{label}</text>'
    return (
        f'<g class="bar {status}" data-project="{html.escape(task.project.name)}" '
        f'data-step="{task.step.value}" data-status="{status}"><title>{tip}</title>'
        f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{tall}" rx="3"/>'
        f'{text if label else ""}</g>'
    )


def _label(name: str, width: float) -> str:
    """The task id, cut to what fits in the bar; "" when not even a few characters do."""
    room = int((width - 8) / CHAR)
    if room >= len(name):
        return html.escape(name)
    return html.escape(name[: room - 1] + "…") if room >= 6 else ""


def timeline_notes(outcomes: Sequence[Outcome]) -> list[str]:
    """The tasks that took longest, and what the picture leaves out."""
    ran = sorted((o for o in outcomes if o.slots > 0), key=lambda o: -o.duration)
    replayed = sum(o.replayed for o in outcomes if o.slots == 0)
    idle = sum(not o.replayed for o in outcomes if o.slots == 0)
    notes = []
    if ran:
        notes.append(
            "longest: " + ", ".join(f"{o.task.id} {o.duration:.1f} s" for o in ran[:3])
        )
    if replayed:
        notes.append(
            f"{replayed} {_tasks(replayed)} replayed from the cache took no CPU"
        )
    if idle:
        notes.append(f"{idle} {_tasks(idle)} did not run (skipped or left out)")
    return notes


def _tasks(number: int) -> str:
    return "task" if number == 1 else "tasks"
