"""The scheduler: runs a task graph within one CPU budget, longest path first.

A task holds CPU slots while it runs; the slots decide its tools' inner
parallelism, so outer times inner never exceeds the budget. A task is charged against
the budget for the CPUs it is expected to keep busy: its slots, or what it used when its
last run mostly waited (CPU time over wall time under half a CPU per slot), so that tasks
which wait on I/O or timers run beside the ones that compute. One account says how many CPUs
are idle: what the last look at /proc/stat saw (every 0.1 s, the way `make -l` reads the
load), plus the charges of tasks ended since, less those of tasks started since. Past the
slots, history admits a task only while the account holds a quarter of a CPU: history measured
under contention must not crowd the CPUs that the tasks on the longest path need. Past the
budget, after a look that saw half a CPU or more idle, tasks start while the account keeps
half a CPU, up to a cap on tasks at once; and a task that barely computes (a fifth of a CPU)
squeezes in beside busy CPUs, a little past the budget, so that its waiting overlaps their
computing. On a stop (Ctrl-C), running tasks are cancelled, each ending with what its
commands did before, and no task starts after it.
"""

from __future__ import annotations

import asyncio
import math
import os
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tandem.model import (
    INTERRUPTED,
    Execute,
    Outcome,
    Step,
    Task,
    Verdict,
    case_for,
)

POLL = 0.1  # seconds between looks at the CPU while every slot is held
WIDE = 3.0  # seconds a test task must be expected to take before it gets more than one slot
# CPUs the budget must have left, unclaimed, to start a task: a sliver left by tasks that
# wait is not room for one that computes.
ROOM = 0.25
# CPUs a look must have seen idle to admit a task past the budget: a task that computes fills
# half a CPU within a look, and waiting for a whole one idled it for a look or more.
SEEN = 0.5
# Under half a CPU per slot, a task mostly waited; above it, contention may have stretched a
# task that computes, and it is charged all its slots.
WAITED = 0.5
# Tasks at once per CPU, at most: tests that wait on timers or servers may each keep under an
# eighth of a CPU busy, and the CPUs they leave idle are for the tasks that compute.
TASKS_PER_CPU = 8
# A task that kept at most a fifth of a CPU busy may start while the CPUs are taken, up to half
# a CPU past the budget in all: tests that sleep or wait on servers, whose CPU share contention
# cannot have pushed that low where admission past the slots needs idle CPUs.
SLIVER, OVER = 0.2, 0.5
LOOK = 0.05  # seconds: a shorter look at /proc/stat reads 0 or all CPUs idle


@dataclass(frozen=True)
class Budget:
    """CPU slots shared by all running tasks, and the most tasks at once when cores sit idle."""

    slots: int
    cap: int

    @classmethod
    def for_machine(cls, jobs: int | None, cpus: int | None = None) -> Budget:
        """`-j N` fixes the count at N; otherwise one slot per CPU, up to 8x when CPUs idle."""
        cpus = cpus or os.cpu_count() or 1
        return cls(jobs, jobs) if jobs else cls(cpus, TASKS_PER_CPU * cpus)


class ProcStatGauge:
    """Idle CPUs since the last reading, from /proc/stat (0 where there is none)."""

    def __init__(self, stat: str = "/proc/stat") -> None:
        self.stat = stat
        self._last = self._read()
        self._cpus = os.cpu_count() or 1
        self._ticks = LOOK * os.sysconf("SC_CLK_TCK") * self._cpus

    def _read(self) -> tuple[int, int] | None:
        try:
            with open(self.stat, encoding="ascii") as stat:
                fields = [int(v) for v in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return sum(fields[3:5]), sum(fields[:8])  # idle + iowait, all but guest time

    def idle_cpus(self) -> float | None:
        """How many CPUs were idle, on average, since the previous reading; None when the
        reading is younger than `LOOK`, too short to tell."""
        now, last = self._read(), self._last
        if now is None or last is None:
            return 0.0
        if now[1] - last[1] < self._ticks:
            return None
        self._last = now
        return (now[0] - last[0]) / (now[1] - last[1]) * self._cpus


async def run_plan(
    tasks: Sequence[Task],
    execute: Execute,
    budget: Budget,
    *,
    priority: Mapping[str, float] | None = None,
    cores: Mapping[str, float] | None = None,
    fail_fast: bool = False,
    gauge: ProcStatGauge | None = None,
    stop: asyncio.Event | None = None,
) -> list[Outcome]:
    """Run every task once its needs are done; an outcome for each task, in plan order.

    `priority` orders the ready tasks (highest first); `cores` is the CPUs each task kept
    busy, on average, in its last run (unknown: all its slots).
    """
    run = _Run(tasks, execute, budget, fail_fast, gauge, stop or asyncio.Event())
    run.priority, run.cores = priority or {}, cores or {}
    return await run.go()


class _Run:
    def __init__(self, tasks, execute, budget, fail_fast, gauge, stop) -> None:
        self.tasks, self.execute, self.budget = tasks, execute, budget
        self.fail_fast, self.gauge, self.stop = fail_fast, gauge, stop
        self.priority: Mapping[str, float] = {}
        self.cores: Mapping[str, float] = {}
        self.waiting = {t.id: t for t in tasks}
        self.planned = frozenset(self.waiting)
        self.done: dict[str, Outcome] = {}
        # Each running task, the slots it holds and the CPUs it is charged for.
        self.running: dict[asyncio.Task, tuple[Task, int, float]] = {}
        # CPUs the last look saw idle, plus the charges of tasks ended since, less those of tasks
        # started since; fresh when no task ended during that look (its idle time would count).
        self.idle = 0.0 if gauge else math.inf
        self.fresh = False
        self.halted = False

    async def go(self) -> list[Outcome]:
        stopper = asyncio.ensure_future(self.stop.wait())
        while self.waiting or self.running:
            while self._admit():
                pass
            if not self.running:
                break
            polling = self.gauge is not None and len(self.running) < self.budget.cap
            done, _ = await asyncio.wait(
                [*self.running, stopper],
                timeout=POLL if polling else None,
                return_when="FIRST_COMPLETED",
            )
            if stopper in done:
                await self._interrupt()
            self._look(ended=bool(done))
            for finished in done & set(self.running):
                self._finish(finished)
        stopper.cancel()
        return [self.done[t.id] for t in self.tasks]

    def _look(self, ended: bool) -> None:
        """Read the idle CPUs, unless the last reading is too young to be replaced."""
        seen = self.gauge.idle_cpus() if self.gauge else None
        if seen is not None:
            self.idle = seen
        self.fresh = seen is not None and not ended

    def _ready(self) -> list[Task]:
        ready = [t for t in self.waiting.values() if self._can_start(t)]
        return sorted(ready, key=lambda t: (-self.priority.get(t.id, 0.0), t.id))

    def _can_start(self, task: Task) -> bool:
        """Its needs are done, and so are the tasks it comes after that this run holds."""
        after = (n for n in task.after if n in self.planned)
        return all(n in self.done for n in (*task.needs, *after))

    def _admit(self) -> bool:
        """Start or settle what can be; True when something changed."""
        changed = False
        ready = self._ready()
        for index, task in enumerate(ready):
            if self._settle(task):
                changed = True
                continue
            slots = self._slots(task, others=len(ready) - index - 1)
            if not slots:
                continue  # a task after it may still fit (`_squeezes`)
            self._start(task, slots)
            changed = True
        return changed

    def _settle(self, task: Task) -> bool:
        """Give a task that must not run its outcome now; False when it should run."""
        failed = [n for n in task.needs if not self.done[n]]
        if failed:
            why = f"not run: needs {', '.join(failed)}, which did not pass"
            self._record(case_for(task, Verdict.ERROR, "tandem.needs", why))
        elif self.stop.is_set():
            why = "not run: interrupted"
            self._record(case_for(task, Verdict.ERROR, INTERRUPTED, why))
        elif self.halted:
            why = "not run: stopped after the first failure (--fail-fast)"
            self._record(case_for(task, Verdict.SKIPPED, "tandem.stopped", why))
        return task.id in self.done

    def _slots(self, task: Task, others: int) -> int:
        """Free slots for this task: one, or the free ones that no other ready task will take
        for a build or vet (their tools' parallelism costs nothing to start: a cold `go
        install` alone then compiles on every core) or a long test step."""
        free = self.budget.slots - sum(charge for *_, charge in self.running.values())
        crowded = self._past_slots() and self.idle < ROOM
        if len(self.running) >= self.budget.cap:
            return 0
        if free < ROOM or crowded:
            return 1 if self._squeezes(task, free) or self._seen_idle() else 0
        # Inner workers cost start-up time (pytest-xdist's above all): only long tests earn them.
        # A test task has no dependents, so its priority is its own expected duration.
        long_test = task.step is Step.TEST and self.priority.get(task.id, WIDE) >= WIDE
        wide = long_test or task.step in (Step.BUILD, Step.VET)
        return max(1, int(free) - others) if wide else 1

    def _squeezes(self, task: Task, free: float) -> bool:
        """A task known to barely compute fits beside busy CPUs, up to `OVER` CPUs past the
        budget: its waiting then overlaps the others' computing, for a sliver of their CPU.
        """
        used = self.cores.get(task.id, math.inf)
        return used <= SLIVER and free - used >= -OVER

    def _seen_idle(self) -> bool:
        """A look without endings saw CPUs idle that the tasks started since do not fill."""
        return self.fresh and self.idle >= SEEN

    def _past_slots(self) -> bool:
        """Every slot is held: a task starts now on history or idle CPUs alone."""
        return sum(slots for _, slots, _ in self.running.values()) >= self.budget.slots

    def _start(self, task: Task, slots: int) -> None:
        del self.waiting[task.id]
        used = self.cores.get(task.id, slots)
        charge = used if used < WAITED * slots else slots
        self.idle -= charge
        future = asyncio.ensure_future(self.execute(task, slots))
        self.running[future] = (task, slots, charge)

    def _finish(self, future: asyncio.Task) -> None:
        task, _, charge = self.running.pop(future)
        self.idle += charge  # the CPUs it kept busy are free until the next look says
        if future.cancelled():
            # Cut short outside a command (a command itself returns what it did before).
            why = "interrupted while running"
            outcome = case_for(task, Verdict.ERROR, INTERRUPTED, why)
        elif future.exception() is not None:
            text = "".join(traceback.format_exception(future.exception()))
            outcome = case_for(
                task, Verdict.ERROR, "tandem.crash", f"Tandem failed: {text}"
            )
        else:
            outcome = future.result()
        self._record(outcome)

    def _record(self, outcome: Outcome) -> None:
        self.waiting.pop(outcome.task.id, None)
        self.done[outcome.task.id] = outcome
        self.halted = self.halted or (self.fail_fast and not outcome)

    async def _interrupt(self) -> None:
        # A running command stops by the stop policy and its task ends with what it did; the
        # stop event then settles every task not started.
        for future in self.running:
            future.cancel()
        if self.running:
            await asyncio.wait(self.running)
        for future in list(self.running):
            self._finish(future)
