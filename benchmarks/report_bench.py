"""Write a 50,000-case JUnit report and print the writer's wall time and peak memory.

Run with `python -m benchmarks.report_bench [CASES]`. The report is written in a
fresh child process, so its peak resident size is the writer's alone.
Target on a 2-core machine: under 3 s and under 300 MB.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tandem.model import (
    Attempt,
    Command,
    Outcome,
    Project,
    Step,
    Task,
    TestCase,
    Verdict,
)
from tandem.report import totals, write_junit
from tandem.run import run_commands_sync

CASES = 50_000
PER_SUITE = 500
OUTPUT = (
    "\x1b[31m--- FAIL\x1b[0m: want 3, got 2\n"
    + "driver_test.go:41: state dump line\n" * 40
)


def make_case(index: int, classname: str) -> TestCase:
    """A case whose verdict and output follow a fixed mix: mostly passes, some red."""
    kind = index % 100
    name = f"TestCase{index}/sub case"
    if kind < 7:
        return TestCase(classname, name, 0.01, Verdict.FAILURE, "go.test", "", OUTPUT)
    if kind < 9:
        return TestCase(
            classname, name, 0.0, Verdict.ERROR, "go.incomplete", "", OUTPUT
        )
    if kind < 13:
        return TestCase(classname, name, 0.0, Verdict.SKIPPED, message="not on linux")
    attempts = (Attempt(Verdict.FAILURE, "Failed", OUTPUT),) if kind < 15 else ()
    return TestCase(
        classname, name, 0.004, stdout="passing output\n", attempts=attempts
    )


def make_outcomes(cases: int) -> list[Outcome]:
    """Outcomes of PER_SUITE cases each, `cases` in all."""
    started = datetime(2026, 1, 15, 10, 4, 5, tzinfo=UTC)
    outcomes = []
    for first in range(0, cases, PER_SUITE):
        project = Project(f"svc-{first // PER_SUITE}", "go", Path("/repo/projects/svc"))
        classname = f"{project.name}/internal/pkg"
        batch = tuple(
            make_case(i, classname) for i in range(first, min(first + PER_SUITE, cases))
        )
        outcomes.append(Outcome(Task(project, Step.TEST), batch, started, 12.5))
    return outcomes


def child(out: Path, cases: int) -> None:
    """Build the outcomes, then time and measure the writer alone; print JSON."""
    outcomes = make_outcomes(cases)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = write_junit(out, outcomes, elapsed=123.4, hostname="bench")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {"seconds": seconds, "peak_kib": peak, "inputs_kib": before}
    print(
        json.dumps(
            {**figures, "cases": totals(report).tests, "bytes": out.stat().st_size}
        )
    )


def main(argv: list[str]) -> int:
    """Run the writer in a child process and print its figures."""
    if argv[:1] == ["--child"]:
        child(Path(argv[1]), int(argv[2]))
        return 0
    cases = int(argv[0]) if argv else CASES
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "report.xml")
        argv_child = (
            sys.executable,
            "-m",
            "benchmarks.report_bench",
            "--child",
            str(out),
        )
        command = Command((*argv_child, str(cases)), cwd=Path(__file__).parent.parent)
        (result,) = run_commands_sync([command], timeout=600)
    if result.returncode != 0:
        print(result.output, file=sys.stderr)
        return 1
    figures = json.loads(result.stdout)
    print(
        f"{figures['cases']} cases, {figures['bytes'] / 1e6:.1f} MB written in"
        f" {figures['seconds']:.2f} s; peak RSS {figures['peak_kib'] / 1024:.0f} MB"
        f" ({figures['inputs_kib'] / 1024:.0f} MB before writing)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
