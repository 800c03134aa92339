"""`python -m benchmarks.shards`: N shards of the synthetic monorepo against the unsharded run.

The issue's target: the slowest of four shards takes at most 1.15x a quarter of the unsharded
run. One run generates the 16-project monorepo (8 Go + 8 Python), makes every environment
(one untimed `tandem check`), times `tandem check --no-cache` unsharded, whose report then
gives the durations the shards deal by, and times each `tandem check --no-cache --shard K/N
--durations-from THAT_REPORT`, one after another on this machine, as N CI jobs would each
run one. It merges the shards' reports and checks that the merge holds every passed test of
the unsharded report.

    .venv/bin/python -m benchmarks.shards                          # the full run
    .venv/bin/python -m benchmarks.shards --go 1 --python 1 --tests 2 --test-ms 20 --shards 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import contenders, runner
from benchmarks.generate import Spec, add_spec_flags, generate, spec_from
from benchmarks.measure import Invocation, Sample, spawn

DEFAULTS = Spec(go=8, python=8, tests=10, test_ms=300.0)
TARGET = 1.15  # the slowest shard, over the unsharded wall time divided by the shards


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.shards",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_spec_flags(parser, DEFAULTS)
    parser.add_argument("--shards", type=int, default=4, help="N (default 4)")
    work = Path(tempfile.gettempdir()) / "tandem-bench-shards"
    parser.add_argument("--workdir", type=Path, default=work, help="repo and logs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Time the unsharded run and each shard; print the slowest shard against 1/N of it."""
    args = _parser().parse_args(argv)
    work, total = args.workdir.resolve(), args.shards
    root, reports, log = work / "repo", work / "reports", work / "shards.log"
    reports.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    projects = generate(root, spec_from(args))
    _say(f"generated {len(projects)} projects under {root}; log: {log}")
    _check(root, log, "--junit", str(reports / "warm.xml"))  # untimed: the environments
    whole = _check(root, log, "--no-cache", "--junit", str(reports / "all.xml"))
    shards = [_shard(root, log, reports, k, total) for k in range(1, total + 1)]
    merging = _merge(root, log, reports, total)
    unsharded, merged = reports / "all.xml", reports / "merged.xml"
    print(_table(whole, shards, total, unsharded, merged))
    # Never green on red: a failed run, a failed merge or other counts fail the benchmark.
    same = runner.count_tests(unsharded) == runner.count_tests(merged) > 0
    return 0 if all(s.ok for s in (whole, *shards, merging)) and same else 1


def _tandem(root: Path, *argv: str) -> Invocation:
    return Invocation(
        (sys.executable, "-m", "tandem", "--root", str(root), *argv), root
    )


def _check(root: Path, log: Path, *argv: str) -> Sample:
    sample = spawn(_tandem(root, "check", *argv), contenders.bench_env(), log)
    _say(f"tandem check {' '.join(argv)}: {sample.wall:.2f}s {sample.note}")
    return sample


def _shard(root: Path, log: Path, reports: Path, index: int, total: int) -> Sample:
    timings = ("--durations-from", str(reports / "all.xml"))
    junit = ("--junit", str(reports / f"shard-{index}.xml"))
    return _check(
        root, log, "--no-cache", "--shard", f"{index}/{total}", *timings, *junit
    )


def _merge(root: Path, log: Path, reports: Path, total: int) -> Sample:
    """`tandem merge` of the shards' reports into reports/merged.xml."""
    inputs = (str(reports / f"shard-{k}.xml") for k in range(1, total + 1))
    argv = ("merge", "-o", str(reports / "merged.xml"), *inputs)
    return spawn(_tandem(root, *argv), contenders.bench_env(), log)


def _table(
    whole: Sample, shards: Sequence[Sample], total: int, unsharded: Path, merged: Path
) -> str:
    """The shards' wall times beside 1/N of the unsharded run, and the verdict."""
    share = whole.wall / total
    slowest = max(sample.wall for sample in shards)
    lines = [
        "| run | wall s | ÷ unsharded/N |",
        "|---|--:|--:|",
        f"| unsharded `tandem check --no-cache` | {whole.wall:.2f} | {total:.2f} |",
        *(
            f"| shard {k}/{total} | {s.wall:.2f} | {s.wall / share:.2f} |"
            for k, s in enumerate(shards, 1)
        ),
    ]
    ratio = slowest / share
    verdict = "met" if ratio <= TARGET else "missed"
    versus = f"{ratio:.2f} x unsharded/{total} ({share:.2f}s)"
    tests = (runner.count_tests(unsharded), runner.count_tests(merged))
    same = "the same" if tests[0] == tests[1] else "NOT the same"
    return "\n".join(
        [
            *lines,
            "",
            f"slowest shard {slowest:.2f}s = {versus}; target {TARGET}x: {verdict}",
            f"passed tests: unsharded {tests[0]}, merged shards {tests[1]}: {same}",
        ]
    )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
