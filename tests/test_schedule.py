"""The scheduler's ordering, budget and stop rules, with fake tasks (no processes)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tandem import schedule
from tandem.model import Outcome, Project, Status, Step, Task, TestCase, Verdict
from tandem.schedule import Budget, run_plan


def task(name: str, step: Step = Step.TEST, needs: tuple[str, ...] = ()) -> Task:
    return Task(Project(name, "go", Path("/r") / name), step, needs)


class Fake:
    """Runs tasks by sleeping (`lasting` each, else `seconds`); records starts, ends, slots and
    concurrency."""

    def __init__(
        self,
        seconds: float = 0.05,
        red: set[str] = frozenset(),
        crash: str = "",
        lasting: dict[str, float] | None = None,
    ) -> None:
        self.seconds, self.red, self.crash = seconds, red, crash
        self.lasting = lasting or {}
        self.started: list[str] = []
        self.ended: list[str] = []
        self.slots: dict[str, int] = {}
        self.held = self.peak_slots = self.running = self.peak_running = 0

    async def __call__(self, t: Task, slots: int) -> Outcome:
        self.started.append(t.id)
        self.slots[t.id] = slots
        self.held += slots
        self.running += 1
        self.peak_slots, self.peak_running = max(self.peak_slots, self.held), max(
            self.peak_running, self.running
        )
        try:
            await asyncio.sleep(self.lasting.get(t.id, self.seconds))
            if t.id == self.crash:
                raise RuntimeError("adapter bug")
        finally:
            self.held -= slots
            self.running -= 1
            self.ended.append(t.id)
        verdict = Verdict.FAILURE if t.id in self.red else Verdict.PASSED
        return Outcome(t, (TestCase(t.project.name, t.id, verdict=verdict),))


TWO = Budget(2, 2)


def go(tasks, fake, budget=TWO, **kwargs) -> dict[str, Outcome]:
    outcomes = asyncio.run(run_plan(tasks, fake, budget, **kwargs))
    assert [o.task.id for o in outcomes] == [t.id for t in tasks]
    return {o.task.id: o for o in outcomes}


def test_needs_finish_before_dependents_start():
    tasks = [task("app", needs=("lib:build",)), task("lib", Step.BUILD)]
    fake = Fake()
    go(tasks, fake)
    assert fake.started == ["lib:build", "app:test"]


def test_the_budget_bounds_slots_held_at_once():
    fake = Fake()
    outcomes = go([task(f"p{i}", Step.FMT) for i in range(6)], fake, Budget(2, 2))
    assert fake.peak_running == 2 and fake.peak_slots == 2
    assert all(o.status is Status.PASSED for o in outcomes.values())


def test_a_test_task_alone_gets_the_free_slots_for_its_inner_parallelism():
    fake = Fake()
    go([task("a", Step.FMT), task("b", Step.FMT), task("c")], fake, Budget(4, 4))
    assert fake.slots == {"c:test": 2, "a:fmt": 1, "b:fmt": 1}
    fake = Fake()
    go([task("solo")], fake, Budget(4, 4))
    assert fake.slots == {"solo:test": 4}


def test_a_build_or_vet_takes_the_slots_no_other_ready_task_will():
    fake = Fake()
    go([task("lib", Step.BUILD)], fake, Budget(4, 4))
    assert fake.slots == {"lib:build": 4}  # a cold compile alone uses every core
    fake = Fake()
    tasks = [task("lib", Step.VET), task("a", Step.FMT), task("b", Step.FMT)]
    go(tasks, fake, Budget(4, 4))
    assert fake.slots == {"lib:vet": 2, "a:fmt": 1, "b:fmt": 1}


def test_a_short_test_task_keeps_one_slot_since_workers_cost_start_up():
    fake = Fake()
    go(
        [task("quick"), task("slow")],
        fake,
        Budget(4, 4),
        priority={"quick:test": 1, "slow:test": 9},
    )
    assert fake.slots == {"slow:test": 3, "quick:test": 1}


def test_longest_chain_starts_first():
    tasks = [task("short"), task("long"), task("middle")]
    fake = Fake(0.01)
    go(
        tasks,
        fake,
        Budget(1, 1),
        priority={"short:test": 1, "long:test": 9, "middle:test": 5},
    )
    assert fake.started == ["long:test", "middle:test", "short:test"]


def test_a_failed_need_turns_dependents_into_error_cases_naming_it():
    tasks = [task("lib", Step.BUILD), task("app", needs=("lib:build",))]
    fake = Fake(red={"lib:build"})
    outcomes = go(tasks, fake)
    assert fake.started == ["lib:build"]
    app = outcomes["app:test"]
    assert app.status is Status.ERROR and not app
    assert (
        "needs lib:build" in app.cases[0].message
        and app.cases[0].type == "tandem.needs"
    )


def test_keep_going_is_the_default_and_fail_fast_stops_new_starts():
    tasks = [task(f"p{i}") for i in range(4)]
    outcomes = go(tasks, Fake(red={"p0:test"}), Budget(1, 1))
    assert [o.status for o in outcomes.values()].count(Status.PASSED) == 3
    fake = Fake(red={"p0:test"})
    outcomes = go(tasks, fake, Budget(1, 1), fail_fast=True)
    assert fake.started == ["p0:test"]
    assert {o.status for k, o in outcomes.items() if k != "p0:test"} == {Status.SKIPPED}
    assert "--fail-fast" in outcomes["p3:test"].cases[0].message


def test_a_stop_interrupts_running_tasks_and_settles_the_rest():
    async def scenario():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.2, stop.set)
        tasks = [task(f"p{i}") for i in range(4)]
        return await run_plan(tasks, Fake(30.0), Budget(2, 2), stop=stop)

    outcomes = asyncio.run(asyncio.wait_for(scenario(), 5))
    assert all(o.status is Status.ERROR for o in outcomes)
    assert {o.cases[0].type for o in outcomes} == {"tandem.interrupted"}


class Keeping(Fake):
    """Like a task running a command: an interrupt ends it with what it did, and says so."""

    async def __call__(self, t: Task, slots: int) -> Outcome:
        try:
            return await super().__call__(t, slots)
        except asyncio.CancelledError:
            asyncio.current_task().uncancel()
        kept = TestCase(t.project.name, "finished")
        cut = TestCase(
            t.project.name, "running", verdict=Verdict.ERROR, type="tandem.interrupted"
        )
        return Outcome(t, (kept, cut))


def test_a_stop_keeps_what_running_tasks_return_and_starts_nothing_new():
    async def scenario():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.2, stop.set)
        tasks = [task(f"p{i}") for i in range(4)]
        return await run_plan(tasks, keeping, Budget(2, 2), stop=stop)

    keeping = Keeping(30.0)
    outcomes = asyncio.run(asyncio.wait_for(scenario(), 5))
    assert keeping.started == ["p0:test", "p1:test"]
    ran, settled = outcomes[:2], outcomes[2:]
    assert [[c.name for c in o.cases] for o in ran] == [["finished", "running"]] * 2
    assert all(o.interrupted and not o for o in outcomes)
    assert {o.cases[0].message for o in settled} == {"not run: interrupted"}


def test_a_crashing_task_is_an_error_case_with_the_traceback():
    outcomes = go([task("a"), task("b")], Fake(crash="a:test"))
    assert outcomes["b:test"].status is Status.PASSED
    assert "adapter bug" in outcomes["a:test"].cases[0].message


class Gauge:
    def __init__(self, idle: float) -> None:
        self.idle = idle

    def idle_cpus(self) -> float:
        return self.idle


@pytest.mark.parametrize(("idle", "expected"), [(0.0, 1), (2.0, 3)])
def test_idle_cpus_admit_extra_tasks_up_to_the_cap(monkeypatch, idle, expected):
    monkeypatch.setattr(schedule, "POLL", 0.02)
    fake = Fake(0.5)
    go(
        [task(f"p{i}", Step.FMT) for i in range(5)],
        fake,
        Budget(1, 3),
        gauge=Gauge(idle),
    )
    assert fake.peak_running == expected


class OneLook:
    """CPUs idle at the first look only."""

    def __init__(self, idle: float) -> None:
        self.looks = [idle]

    def idle_cpus(self) -> float:
        return self.looks.pop() if self.looks else 0.0


@pytest.mark.parametrize(("idle", "expected"), [(2.4, 3), (0.6, 2), (0.4, 1)])
def test_one_look_admits_a_task_per_half_cpu_or_more_it_saw_idle(
    monkeypatch, idle, expected
):
    # The one slot's task, then one more per CPU idle at the look, half a CPU counting as one.
    monkeypatch.setattr(schedule, "POLL", 0.1)
    fake = Fake(0.6)
    tasks = [task(f"p{i}", Step.FMT) for i in range(4)]
    go(tasks, fake, Budget(1, 4), gauge=OneLook(idle))
    assert fake.peak_running == expected


def test_tasks_known_to_wait_are_charged_the_cpus_they_used_and_run_side_by_side():
    waiting = {f"p{i}:fmt": 0.1 for i in range(6)}
    fake = Fake(0.2)
    go([task(f"p{i}", Step.FMT) for i in range(6)], fake, Budget(1, 4), cores=waiting)
    assert (
        fake.peak_running == 4
    )  # 0.1 CPUs each: the cap, not the one slot, bounds them
    fake = Fake(0.2)
    # 0.7 CPUs: a task that computes, stretched by contention, is charged its whole slot.
    computing = {f"p{i}:fmt": 0.7 for i in range(6)}
    go([task(f"p{i}", Step.FMT) for i in range(6)], fake, Budget(1, 4), cores=computing)
    assert fake.peak_running == 1


def test_a_computing_task_waits_for_room_that_waiting_tasks_leave():
    # Two tasks that wait take 0.9 of the two slots: a third that computes still fits, a
    # fourth does not until one ends.
    cores = {"w1:fmt": 0.45, "w2:fmt": 0.45, "c1:fmt": 1.0, "c2:fmt": 1.0}
    fake = Fake(0.2)
    tasks = [task(n, Step.FMT) for n in ("w1", "w2", "c1", "c2")]
    priority = {"w1:fmt": 4, "w2:fmt": 3, "c1:fmt": 2, "c2:fmt": 1}
    go(tasks, fake, Budget(2, 8), cores=cores, priority=priority)
    assert fake.peak_running == 3


def test_budget_for_the_machine():
    assert Budget.for_machine(None, cpus=2) == Budget(2, 16)
    assert Budget.for_machine(3, cpus=2) == Budget(3, 3)


@pytest.mark.parametrize(("idle", "expected"), [(0.0, 1), (2.0, 4)])
def test_past_the_slots_history_admits_tasks_only_into_cpus_seen_idle(
    monkeypatch, idle, expected
):
    # History says each task mostly waits (0.3 CPUs); the gauge says whether CPUs sit idle.
    monkeypatch.setattr(schedule, "POLL", 0.02)
    waiting = {f"p{i}:fmt": 0.3 for i in range(6)}
    fake = Fake(0.3)
    tasks = [task(f"p{i}", Step.FMT) for i in range(6)]
    go(tasks, fake, Budget(1, 4), cores=waiting, gauge=Gauge(idle))
    assert fake.peak_running == expected


def test_a_task_that_ends_leaves_the_cpus_it_was_charged_for_to_the_next(monkeypatch):
    # Two tasks that wait hold both slots; one look sees a CPU idle, and c1 takes it. When c1
    # ends, its CPU is c2's at once, though no look has seen it idle yet.
    monkeypatch.setattr(schedule, "POLL", 0.05)
    cores = {"w1:fmt": 0.2, "w2:fmt": 0.2, "c1:fmt": 1.0, "c2:fmt": 1.0}
    priority = {"w1:fmt": 4, "w2:fmt": 3, "c1:fmt": 2, "c2:fmt": 1}
    fake = Fake(0.1, lasting={"w1:fmt": 1.0, "w2:fmt": 1.0})
    tasks = [task(n, Step.FMT) for n in ("w1", "w2", "c1", "c2")]
    go(tasks, fake, Budget(2, 8), cores=cores, priority=priority, gauge=OneLook(1.0))
    assert fake.ended[:2] == ["c1:fmt", "c2:fmt"]


def test_a_look_at_proc_stat_too_short_to_count_is_no_reading(tmp_path):
    stat = tmp_path / "stat"
    cpus = os.cpu_count() or 1

    def ticks(
        idle: int, total: int
    ) -> None:  # user nice system idle iowait irq softirq steal
        stat.write_text(f"cpu  {total - idle} 0 0 {idle} 0 0 0 0 0 0\n")

    ticks(0, 0)
    gauge = schedule.ProcStatGauge(str(stat))
    ticks(50 * cpus, 100 * cpus)
    assert gauge.idle_cpus() == pytest.approx(cpus / 2)
    ticks(50 * cpus + 2, 100 * cpus + 2)  # two ticks: all idle, but too short to tell
    assert gauge.idle_cpus() is None
    ticks(50 * cpus + 2, 120 * cpus)  # counted from the last reading taken
    assert gauge.idle_cpus() == pytest.approx(2 / 20)


def test_tasks_that_barely_compute_squeeze_in_up_to_half_a_cpu_past_the_budget():
    # 0.2 CPUs each, no CPU idle: the slot's task and six more (1.4 CPUs), not a seventh.
    barely = {f"p{i}:fmt": 0.2 for i in range(10)}
    fake = Fake(0.3)
    tasks = [task(f"p{i}", Step.FMT) for i in range(10)]
    go(tasks, fake, Budget(1, 16), cores=barely, gauge=Gauge(0.0))
    assert fake.peak_running == 7


def test_a_task_that_barely_computes_is_not_held_up_by_one_that_waits_for_room():
    cores = {"c1:fmt": 1.0, "c2:fmt": 1.0, "w:fmt": 0.1}
    priority = {"c1:fmt": 3, "c2:fmt": 2, "w:fmt": 1}
    fake = Fake(0.2)
    tasks = [task(n, Step.FMT) for n in ("c1", "c2", "w")]
    go(tasks, fake, Budget(1, 8), cores=cores, priority=priority, gauge=Gauge(0.0))
    assert fake.started == ["c1:fmt", "w:fmt", "c2:fmt"]
