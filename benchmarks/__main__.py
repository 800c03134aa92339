"""`python -m benchmarks`: generate the monorepos, run every contender, write results.md.

Run it from the repository root with the project's virtualenv, on an otherwise idle machine:

    .venv/bin/python -m benchmarks              # the full measurement (about 20 min on 2 cores)
    .venv/bin/python -m benchmarks --quick      # a smoke run at tiny sizes (about 2 min)
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import figures, runner, tables
from benchmarks.contenders import BIN
from benchmarks.generate import Spec, add_spec_flags, generate, spec_from

HERE = Path(__file__).resolve().parent
QUICK = Spec(go=1, python=1, tests=2, test_ms=20.0)
PARTS = ("main", "scheduler", "tandem")
NOT_RUN = tables.Figures(math.nan, "not run", math.nan, "not run", {}, "not run")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_spec_flags(parser)
    flag = parser.add_argument
    flag("--repeat", type=int, default=3, help="timed runs per contender (default 3)")
    flag("--out", type=Path, help="results file (default benchmarks/results.md)")
    flag("--quick", action="store_true", help="tiny sizes and one run: a smoke test")
    flag("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="cores")
    flag("--sched-tests", type=int, default=8, help="tests per scheduler project")
    flag("--sched-ms", type=float, default=500.0, help="wait per scheduler test")
    flag("--parts", default=",".join(PARTS), help=f"some of {','.join(PARTS)}")
    flag("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "tandem-bench")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts and write the results file."""
    args = _parser().parse_args(argv)
    if args.quick:
        args.repeat, args.sched_tests, args.sched_ms = 1, 2, 150.0
    spec = (
        replace(QUICK, seed=args.seed, cost=args.cost)
        if args.quick
        else spec_from(args)
    )
    sched = Spec(
        2, 2, args.sched_tests, "wait", args.sched_ms, args.seed, 0.0, equal=True
    )
    work, parts = args.workdir.resolve(), set(args.parts.split(","))
    header = _header(args, spec, sched)
    result = sched_result = None
    if "main" in parts:
        result = runner.main_scenario(work / "main", spec, args.repeat, args.jobs, _say)
    if "scheduler" in parts:
        sched_result = runner.scheduler_scenario(
            work / "sched", sched, args.repeat, _say
        )
    found = _figures(work, spec, args.quick) if "tandem" in parts else NOT_RUN
    found = replace(found, own_cpu=_own_cpu(result))
    header.append(f"- load average at the end: {_load()}")
    text = tables.document(header, result, sched_result or (), found)
    out = args.out or (work / "results-quick.md" if args.quick else HERE / "results.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    _say(f"written to {out}; logs under {work / 'logs'}")
    return 0


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _figures(work: Path, spec: Spec, quick: bool) -> tables.Figures:
    root, logs = work / "main", work / "logs"
    if not (root / "projects").is_dir():
        generate(root, spec)
    logs.mkdir(parents=True, exist_ok=True)
    runs = 3 if quick else 10
    list_s, list_note = figures.list_startup(root, runs, logs / "tandem-list.log")
    big = Spec(go=250, python=250, tests=spec.tests, seed=spec.seed)
    disc_s, disc_note = figures.discovery_planning(work / "discovery500", big, runs)
    report = figures.report_bench(1000 if quick else None)
    return tables.Figures(list_s, list_note, disc_s, disc_note, {}, report)


def _own_cpu(result: runner.MainResult | None) -> dict[str, tuple[float, float, float]]:
    measured = result.measured if result else ()
    return {
        m.contender.name: figures.own_cpu_share(m)
        for m in measured
        if m.contender.usage
    }


def _header(args: argparse.Namespace, spec: Spec, sched: Spec) -> list[str]:
    smoke = " (--quick: a smoke run, not a measurement)" if args.quick else ""
    date = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    main_spec = (
        f"{spec.go} Go + {spec.python} Python projects, {spec.tests} tests each, cost"
        f" {spec.cost} ~{spec.test_ms:g} ms/test (x0.5-1.5 per project unless equal),"
        f" seed {spec.seed}, Go import chance {spec.deps}"
    )
    sched_spec = (
        f"{sched.go} Go + {sched.python} Python equal projects,"
        f" {sched.tests} tests each waiting {sched.test_ms:g} ms"
    )
    return [
        f"- date: {date}; cores: {args.jobs}; load average at the start: {_load()}",
        f"- scenario 1: {main_spec}",
        f"- scenario 2: {sched_spec}",
        f"- repetitions: {args.repeat} timed runs per contender after one warm-up{smoke}",
        f"- tools: {'; '.join(_versions())}",
    ]


def _versions() -> list[str]:
    probes = {
        "python": (sys.executable, "--version"),
        "go": ("go", "version"),
        "uv": (str(BIN / "uv"), "--version"),
        "nox": (str(BIN / "nox"), "--version"),
        "make": ("make", "--version"),
        "black": (str(BIN / "black"), "--version"),
        "ruff": (str(BIN / "ruff"), "--version"),
    }
    found = []
    for name, argv in probes.items():
        try:
            done = subprocess.run(argv, check=False, capture_output=True, text=True)
            line = (done.stdout or done.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            line = "missing"
        found.append(f"{name}: {line}")
    return found


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    raise SystemExit(main())
