"""Reruns of failed tests: a wrapper around the executor.

After a test task went red, its failed tests run again, each alone, through the adapter's
`rerun_commands`, for up to N rounds and within what is left of the task's timeout. A test that
passes on a rerun becomes a passed case whose earlier failures are its `attempts` (flakyFailure
in the report); one that never passes stays failed with all of them (rerunFailure). A task with
a red case that is no test, such as a build break, a collection error, a package failure or a
timeout (every `[...]` case), is not retried: no rerun can make it green, and a pass could hide
tests that never ran.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from typing import NamedTuple

from tandem.model import Attempt, Execute, Outcome, Step, Task, TestCase, Verdict

MIN_BUDGET = 1.0  # seconds: no round starts with less time left than this
UNREPORTED = "the rerun did not report this test"
Key = tuple[str, str]
_RANK = {Verdict.PASSED: 0, Verdict.SKIPPED: 1, Verdict.FAILURE: 2, Verdict.ERROR: 3}


class Round(NamedTuple):
    """What one round of reruns reported."""

    cases: tuple[TestCase, ...]  # judged from every rerun command of the round
    complete: bool  # False when the time ran out before every rerun had finished


# (task, slots, failed cases, seconds left) -> the round, or None when nothing can be rerun
Rerun = Callable[[Task, int, tuple[TestCase, ...], float], Awaitable[Round | None]]


def with_retries(
    execute: Execute, rerun: Rerun, retries: int, timeout: float
) -> Execute:
    """`execute`, then rounds of reruns of a red test task's failed tests, within its timeout."""

    async def retrying(task: Task, slots: int) -> Outcome:
        start = time.monotonic()
        outcome = await execute(task, slots)
        rounds = _rounds(task, retries)
        if not rounds or not _retryable(outcome):
            return outcome
        deadline = start + (task.project.timeout or timeout)
        cases = await _retry(outcome, slots, rerun, rounds, deadline)
        # The reruns' CPU is not counted: cpu 0 says the task's CPU use is not known.
        elapsed = time.monotonic() - start
        return replace(outcome, cases=cases, duration=elapsed, cpu=0.0)

    return retrying


def _rounds(task: Task, retries: int) -> int:
    """The project's own `retries` setting, else the run's; tests only."""
    if task.step is not Step.TEST:
        return 0
    return retries if task.project.retries is None else task.project.retries


def _retryable(outcome: Outcome) -> bool:
    """Red, and every red case a test's own failure.

    `[...]` cases are build breaks, crashes and timeouts; `tandem.*` cases are Tandem's
    verdicts, such as a test that hung until the timeout or that an interrupt cut short.
    """
    red = [case for case in outcome.cases if case.red]
    return bool(red) and not any(_not_a_failure(case) for case in red)


def _not_a_failure(case: TestCase) -> bool:
    return case.name.startswith("[") or case.type.startswith("tandem.")


async def _retry(
    outcome: Outcome, slots: int, rerun: Rerun, rounds: int, deadline: float
) -> tuple[TestCase, ...]:
    """The outcome's cases after up to `rounds` rounds of reruns of those still red."""
    latest = {key(case): case for case in outcome.cases if case.red}
    pending = tuple(latest)
    for _ in range(rounds):
        left = deadline - time.monotonic()
        if not pending or left < MIN_BUDGET:
            break
        found = await rerun(
            outcome.task, slots, tuple(latest[k] for k in pending), left
        )
        if found is None:
            break
        latest, pending = fold(latest, pending, found)
        if not found.complete:
            break
    return tuple(latest.get(key(case), case) for case in outcome.cases)


def key(case: TestCase) -> Key:
    """A case's identity in the report."""
    return case.classname, case.name


def fold(
    latest: Mapping[Key, TestCase], pending: tuple[Key, ...], found: Round
) -> tuple[dict[Key, TestCase], tuple[Key, ...]]:
    """Each rerun test's newest attempt, and the tests still red, to run again."""
    reported = _worst(found.cases)
    updated = dict(latest)
    for k in pending:
        new = reported.get(k)
        if new is None and found.complete:
            new = _unreported(latest[k], found.cases, latest)
        # A skip on a rerun says nothing about the failure: the case stays as it was.
        if new is not None and new.verdict is not Verdict.SKIPPED:
            updated[k] = after(latest[k], new)
    return updated, tuple(k for k in pending if k in reported and updated[k].red)


def after(previous: TestCase, new: TestCase) -> TestCase:
    """`new`, the latest attempt, which decides; `previous` and its attempts come before it."""
    earlier = Attempt(previous.verdict, previous.message, previous.text)
    return replace(
        new,
        time=previous.time + new.time,
        type=new.type or previous.type,
        attempts=(*previous.attempts, earlier, *new.attempts),
        file=new.file or previous.file,
        line=new.line or previous.line,
    )


def _worst(cases: Iterable[TestCase]) -> dict[Key, TestCase]:
    """One case per key; where reruns reported a test twice (a Go parent), the worse one."""
    worst: dict[Key, TestCase] = {}
    for case in cases:
        held = worst.get(key(case))
        if held is None or _RANK[case.verdict] > _RANK[held.verdict]:
            worst[key(case)] = case
    return worst


def _unreported(
    previous: TestCase, cases: Iterable[TestCase], known: Mapping[Key, TestCase]
) -> TestCase:
    """A failed attempt for a test that its rerun ran without reporting it, with what it did say."""
    said = "\n\n".join(
        f"{c.name}: {c.message}\n{c.text}"
        for c in cases
        if c.red and key(c) not in known
    )
    return replace(
        previous, time=0.0, message=UNREPORTED, text=said or UNREPORTED, attempts=()
    )
