"""`python -m benchmarks.remote`: fresh clones replayed from a warm remote cache.

One run generates the synthetic monorepo (8 Go + 8 Python projects, a git repository of one
commit), starts the real `turborepo-remote-cache` server (npm, pinned; local disk storage) on
127.0.0.1, and runs `tandem check` once in a first clone, which uploads every task's artifact.
Then, for each of --repeat fresh clones (an empty local cache, no build outputs):

- remote: `tandem check` against the server: every task replayed, its artifact downloaded;
- local: the same command again in that clone, the no-op record removed, so the full path
  replays every task from the local cache the remote run filled: the replay without transfer.

Their difference is what the transfer costs. The target (the remote cache issue): a full check
replays in under 0.5 s plus the transfer time, that is: local under 0.5 s.

    .venv/bin/python -m benchmarks.remote                 # 8 Go + 8 Python, 5 clones
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import cache_server, contenders
from benchmarks.generate import Spec, add_spec_flags, spec_from
from benchmarks.incremental import commit, prepare_repo, tandem_counts
from benchmarks.measure import Invocation, Sample, median, spawn
from tandem import DEFAULT_STATE
from tandem.cache import noop

DEFAULTS = Spec(go=8, python=8, tests=5, test_ms=20.0)
TARGET = 0.5  # seconds of replay, beyond the transfer
TEAM = "bench"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table; exit 1 when a run failed or did not replay everything."""
    args = _parser().parse_args(argv)
    spec, work = spec_from(args), args.workdir.resolve()
    origin, logs = work / "origin", work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    prepare_repo(origin, spec)
    commit(origin, contenders.bench_env())
    cli = cache_server.server_cli()
    with cache_server.turbo_server(cli, work / "storage", signing=True) as url:
        env = {**contenders.bench_env(), **settings(url)}
        first = _clone(origin, work / "first")
        warm = spawn(_check(first), env, logs / "first.log")
        if not warm.ok:
            return _failed(f"the first clone's run failed: see {logs / 'first.log'}")
        pairs = [
            _pair(origin, work / f"clone-{i}", env, logs) for i in range(args.repeat)
        ]
    text = _table(pairs, work / "storage")
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(r.ok and l.ok for r, l in pairs) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.remote", description=__doc__
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_spec_flags(parser, DEFAULTS)
    parser.add_argument(
        "--repeat", type=int, default=5, help="fresh clones (default 5)"
    )
    work = Path(tempfile.gettempdir()) / "tandem-bench-remote"
    parser.add_argument(
        "--workdir", type=Path, default=work, help="clones, logs, storage"
    )
    return parser


def settings(url: str) -> dict[str, str]:
    """The remote cache's variables, read-write and signed."""
    return {
        "TANDEM_REMOTE_CACHE_URL": url,
        "TANDEM_REMOTE_CACHE_TOKEN": cache_server.TOKEN,
        "TANDEM_REMOTE_CACHE_TEAM": TEAM,
        "TANDEM_REMOTE_CACHE_SIGNATURE_KEY": "tandem-bench-remote-signature-key",
    }


def _clone(origin: Path, where: Path) -> Path:
    """A fresh clone: no local cache, no outputs (an earlier one at `where` removed)."""
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    return where


def _check(root: Path) -> Invocation:
    tandem = str(contenders.BIN / "tandem")
    return Invocation((tandem, "--root", str(root), "check"), root)


def _pair(
    origin: Path, where: Path, env: Mapping[str, str], logs: Path
) -> tuple[Sample, Sample]:
    """A fresh clone's remote replay, then its local one (the no-op record removed)."""
    root = _clone(origin, where)
    log = logs / f"{where.name}.log"
    remote = _replayed(spawn(_check(root), env, log), log)
    noop.forget(str(root / DEFAULT_STATE))
    local = _replayed(spawn(_check(root), env, log), log)
    return remote, local


def _replayed(sample: Sample, log: Path) -> Sample:
    """The sample, failed unless its summary says every task was replayed."""
    counts = tandem_counts(log.read_text(encoding="utf-8", errors="replace"))
    ok = sample.ok and counts.startswith("ran 0,")
    return Sample(sample.wall, sample.cpu, sample.rss_kib, ok, counts or sample.note)


def _table(pairs: Sequence[tuple[Sample, Sample]], storage: Path) -> str:
    remote = median([r.wall for r, _ in pairs])
    local = median([l.wall for _, l in pairs])
    size = sum(p.stat().st_size for p in storage.rglob("*") if p.is_file())
    verdict = "met" if local < TARGET else "**not met**"
    cores, python = len(os.sched_getaffinity(0)), sys.version.split()[0]
    server = f"turborepo-remote-cache {cache_server.SERVER_VERSION} on 127.0.0.1"
    lines = [
        "# A fresh clone replayed from a warm remote cache",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; cores: {cores}; python: {python}",
        f"- server: {server}, {size / 1e6:.1f} MB of artifacts; clones: {len(pairs)}",
        "",
        "| run | median s | each s | tasks |",
        "| --- | --- | --- | --- |",
        _row("fresh clone, remote cache", remote, [r for r, _ in pairs]),
        _row("the same clone, local cache (full path)", local, [l for _, l in pairs]),
        "",
        f"- transfer (remote - local): {remote - local:.2f} s",
        f"- target: replay under {TARGET} s plus the transfer: local {local:.2f} s, {verdict}",
    ]
    return "\n".join(lines) + "\n"


def _row(name: str, middle: float, samples: Sequence[Sample]) -> str:
    each = ", ".join(f"{s.wall:.2f}" for s in samples)
    notes = "; ".join(sorted({s.note for s in samples}))
    return f"| {name} | {middle:.2f} | {each} | {notes} |"


def _failed(message: str) -> int:
    print(f"benchmarks.remote: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
