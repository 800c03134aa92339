"""The two scenarios: all contenders on one monorepo, and Tandem's scheduler on waiting tests.

Every contender runs once untimed first (the warm-up fills the Go build cache, uv's
cache and each contender's virtualenvs, and shows that it works); then the contenders
take turns over R repetitions, the starting one rotating, so that load from elsewhere
on the machine spreads over all of them. A contender that fails its warm-up is dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import contenders
from benchmarks.generate import Generated, Spec, generate
from benchmarks.measure import Contender, Sample, run

Say = Callable[[str], None]
TEST_NAME = re.compile(r"^(TestItem|test_item_)\d+$")
NOT_PASSED = {"failure", "error", "skipped"}


@dataclass(frozen=True)
class Measured:
    """A contender's timed runs, or why it has none."""

    contender: Contender
    samples: tuple[Sample, ...] = ()
    failure: str = ""


@dataclass(frozen=True)
class MainResult:
    """Scenario 1: every contender, and the lower bounds measured alongside."""

    spec: Spec
    projects: tuple[Generated, ...]
    measured: tuple[Measured, ...]
    # cold? -> one (longest project's serial seconds, tool CPU seconds / cores) per run
    bounds: dict[bool, list[tuple[float, float]]]


Check = Callable[[Contender, Sample], Sample]


def take_turns(
    groups: Sequence[Sequence[Contender]],
    repeat: int,
    logs: Path,
    check: Check,
    say: Say,
) -> tuple[Measured, ...]:
    """Warm up every contender, then run the groups in rotating order `repeat` times."""
    env, logs = contenders.bench_env(), logs.resolve()
    logs.mkdir(parents=True, exist_ok=True)

    def attempt(c: Contender, label: str) -> Sample:
        sample = check(c, run(c, env, _log(logs, c, label)))
        say(f"{label:>7}  {c.name:<28} {_line(sample)}")
        return sample

    flat = [c for group in groups for c in group]
    failed = {}
    for c in flat:
        if not (sample := attempt(c, "warm-up")).ok:
            failed[c.name] = (
                f"{sample.note} in the warm-up; see {_log(logs, c, 'warm-up')}"
            )
    samples: dict[str, list[Sample]] = {c.name: [] for c in flat}
    for rep in range(repeat):
        turn = rep % len(groups)
        for c in (c for group in [*groups[turn:], *groups[:turn]] for c in group):
            if c.name not in failed:
                samples[c.name].append(attempt(c, f"run {rep + 1}"))
    return tuple(
        Measured(c, tuple(samples[c.name]), failed.get(c.name, "")) for c in flat
    )


def _log(logs: Path, c: Contender, label: str) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{c.name}-{label}".lower()).strip("-")
    return logs / f"{slug}.log"


def _line(s: Sample) -> str:
    verdict = "ok" if s.ok else f"FAILED: {s.note}"
    return f"{s.wall:7.2f} s wall {s.cpu:7.2f} s CPU {s.rss_kib / 1024:6.0f} MiB  {verdict}"


def junit_check(root: Path, expected: int) -> Check:
    """A check that Tandem's report holds every generated test, so its time is comparable."""

    def check(c: Contender, sample: Sample) -> Sample:
        if c.usage is None or not sample.ok:
            return sample
        found = count_tests(root / "reports" / "junit.xml")
        if found == expected:
            return sample
        return replace(
            sample, ok=False, note=f"report holds {found} of {expected} tests"
        )

    return check


def count_tests(report: Path) -> int:
    """Passed generated tests in a JUnit file (step cases like `[gofmt]` not counted)."""
    try:
        cases = ET.parse(report).getroot().iter("testcase")
    except (OSError, ET.ParseError):
        return 0
    named = [case for case in cases if TEST_NAME.match(case.get("name", ""))]
    return sum(
        1 for case in named if not any(child.tag in NOT_PASSED for child in case)
    )


def main_scenario(
    root: Path, spec: Spec, repeat: int, jobs: int, say: Say
) -> MainResult:
    """Scenario 1: naive, make, nox and Tandem, cold and warm, on one generated monorepo."""
    projects = generate(root, spec)
    say(f"generated {len(projects)} projects under {root}")
    groups = [
        [
            contenders.naive(root, projects, cold=True),
            contenders.naive(root, projects, False),
        ],
        [
            contenders.make(root, projects, jobs),
            contenders.make(root, projects, 2 * jobs),
        ],
        [contenders.nox(root, projects, jobs)],
        [
            contenders.tandem(root, "tandem check (cold)", cold=True),
            contenders.tandem(root, "tandem check (warm)"),
        ],
    ]
    check = junit_check(root, len(projects) * spec.tests)
    measured = take_turns(groups, repeat, root.parent / "logs" / root.name, check, say)
    bounds = {cold: [] for cold in (True, False)}
    naive = (m for m in measured if m.contender.name.startswith("naive"))
    for m in naive:  # they time every tool alone
        for s in (s for s in m.samples if s.ok):
            bounds[m.contender.cold].append((max(s.per_project.values()), s.cpu / jobs))
    return MainResult(spec, projects, measured, bounds)


def scheduler_scenario(
    root: Path, spec: Spec, repeat: int, say: Say
) -> tuple[Measured, ...]:
    """Scenario 2: four equal projects whose tests mostly wait; -j 1, -j 2 and adaptive."""
    projects = generate(root, spec)
    say(f"generated {len(projects)} projects under {root}")
    groups = [
        [contenders.tandem(root, "tandem check -j 1", ("-j", "1"))],
        [contenders.tandem(root, "tandem check -j 2", ("-j", "2"))],
        [contenders.tandem(root, "tandem check (adaptive)")],
    ]
    check = junit_check(root, len(projects) * spec.tests)
    return take_turns(groups, repeat, root.parent / "logs" / root.name, check, say)
