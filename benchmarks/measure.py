"""Run contenders' commands and measure them: wall time, CPU time, peak memory.

Each process is reaped with `os.wait4`, whose rusage covers the process and every
descendant it reaped in turn, so CPU time is the whole tree's user + system time and
`ru_maxrss` is the largest resident set any process of the tree reached (KiB on Linux).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Invocation:
    """One command of a contender."""

    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)  # added to the contender's
    project: str = ""  # whose work this is, for per-project serial times
    quiet: bool = False  # any stdout means failure (gofmt -l lists unformatted files)


@dataclass(frozen=True)
class Contender:
    """A way of running every step on every project: commands run one after another."""

    name: str
    commands: tuple[Invocation, ...]
    clean: tuple[Path, ...] = ()  # removed before each run, untimed (for cold runs)
    cold: bool = False
    usage: Path | None = None  # where a self-reporting process writes its own rusage


@dataclass(frozen=True)
class Sample:
    """One measured run."""

    wall: float
    cpu: float  # user + system seconds of the whole process tree
    rss_kib: int  # peak resident set of the largest process
    ok: bool = True
    note: str = ""
    per_project: Mapping[str, float] = field(default_factory=dict)  # serial seconds
    own_cpu: float | None = None  # the orchestrator's own CPU, when it reports it


def spawn(inv: Invocation, env: Mapping[str, str], log: Path) -> Sample:
    """Run one command to its end, its output appended to `log`."""
    with open(log, "ab") as out:
        out.write(f"\n$ (cd {inv.cwd} && {' '.join(inv.argv)})\n".encode())
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(
            inv.argv,
            cwd=inv.cwd,
            env={**env, **inv.env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if inv.quiet else out,
            stderr=out,
        )
        printed = b""
        if proc.stdout:  # read to the end before reaping, or a full pipe would block it
            with proc.stdout:
                printed = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.write(printed)
    ok = proc.returncode == 0 and not printed.strip()
    note = f"{Path(inv.argv[0]).name} exited {proc.returncode}"
    note = "" if ok else note + " with output" * bool(printed.strip())
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, ok, note)


def run(contender: Contender, env: Mapping[str, str], log: Path) -> Sample:
    """Run a contender's commands in order until one fails; clean first when it is cold."""
    for path in contender.clean:
        shutil.rmtree(path, ignore_errors=True)
    if contender.usage is not None:
        contender.usage.unlink(missing_ok=True)
    start, samples = time.perf_counter(), []
    for inv in contender.commands:
        samples.append(spawn(inv, env, log))
        if not samples[-1].ok:
            break
    wall = time.perf_counter() - start
    return Sample(
        wall,
        sum(s.cpu for s in samples),
        max((s.rss_kib for s in samples), default=0),
        all(s.ok for s in samples),
        next((s.note for s in samples if not s.ok), ""),
        _per_project(contender.commands, samples),
        _own_cpu(contender.usage),
    )


def _per_project(
    commands: Sequence[Invocation], samples: Sequence[Sample]
) -> dict[str, float]:
    totals: dict[str, float] = {}
    for inv, sample in zip(commands, samples):
        if inv.project:
            totals[inv.project] = totals.get(inv.project, 0.0) + sample.wall
    return totals


def _own_cpu(path: Path | None) -> float | None:
    if path is None or not path.is_file():
        return None
    fields = path.read_text(encoding="utf-8").split()
    return float(fields[0]) + float(fields[1])  # see benchmarks/selfusage.py


def median(values: Sequence[float]) -> float:
    """The median (the mean of the middle two for an even count); NaN when empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    middle = len(ordered) // 2
    return (
        ordered[middle]
        if len(ordered) % 2
        else (ordered[middle - 1] + ordered[middle]) / 2
    )
