"""Figures about Tandem alone: start-up, discovery + planning at 500 projects, own CPU, reports."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import contenders
from benchmarks.generate import Spec, generate
from benchmarks.measure import Invocation, median, spawn
from benchmarks.runner import Measured

REPO = Path(__file__).resolve().parent.parent


def list_startup(root: Path, runs: int, log: Path) -> tuple[float, str]:
    """Median wall seconds of `tandem list` on `root` (after one untimed run), and a note."""
    argv = (sys.executable, "-m", "tandem", "--root", str(root), "list")
    inv, env = Invocation(argv, root), contenders.bench_env()
    samples = [spawn(inv, env, log) for _ in range(runs + 1)][1:]
    failed = next((s.note for s in samples if not s.ok), "")
    return median([s.wall for s in samples]), failed and f"{failed}; see {log}"


def discovery_planning(root: Path, spec: Spec, runs: int) -> tuple[float, str]:
    """Median seconds of load_config + discover + make_plan, in this process, and a note."""
    generate(root, spec)
    try:
        from tandem.config import load_config
        from tandem.discover import discover
        from tandem.model import Step
        from tandem.plan import make_plan
    except ImportError as exc:  # reported as missing, not fatal to the other figures
        return float("nan"), f"tandem could not be imported: {exc!r}"
    times, tasks, found = [], (), None
    for _ in range(runs):
        start = time.perf_counter()
        found = discover(root, load_config(root))
        tasks = make_plan(found.projects, tuple(Step))
        times.append(time.perf_counter() - start)
    return median(times), f"{len(found.projects)} projects, {len(tasks)} tasks"


def own_cpu_share(m: Measured) -> tuple[float, float, float]:
    """Median of Tandem's own CPU seconds, the whole tree's, and own as a share of the whole."""
    pairs = [(s.own_cpu, s.cpu) for s in m.samples if s.ok and s.own_cpu is not None]
    if not pairs:
        return float("nan"), float("nan"), float("nan")
    shares = [own / total for own, total in pairs if total > 0]
    return median([p[0] for p in pairs]), median([p[1] for p in pairs]), median(shares)


def report_bench(cases: int | None) -> str:
    """The line `python -m benchmarks.report_bench` prints, when that module exists."""
    if not (REPO / "benchmarks" / "report_bench.py").is_file():
        return "benchmarks/report_bench.py does not exist yet"
    argv: Sequence[str] = (sys.executable, "-m", "benchmarks.report_bench")
    argv = (*argv, str(cases)) if cases else argv
    try:
        done = subprocess.run(
            argv, check=False, cwd=REPO, capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired:
        return "report_bench did not finish within 900 s"
    if done.returncode != 0:
        return f"report_bench exited {done.returncode}: {done.stderr.strip()[-500:]}"
    return done.stdout.strip()
