"""`python -m benchmarks.incremental`: no-op and one-change re-runs, Tandem beside Turborepo.

One run generates the synthetic monorepo (a git repository of one commit), then measures:

- Tandem: one warm-up `tandem check` (it fills the result cache), the no-op re-run
  (`tandem --root R check --junit ...`, whole-process wall time; the full JUnit report is
  written every time), and the one-change run: one constant added to a Go module that others
  import, so its tasks and its dependents' rerun; then `tandem list` as the start-up floor.
- Turborepo (pinned, installed from npm into a directory of this benchmark) over the same
  repository and the same commands (benchmarks.contenders.step_commands), one package.json
  per project and a turbo.json whose dependsOn mirrors Tandem's waits: its warm-up, its no-op
  replay and the same one change.
- With --scale N: Tandem's no-op on N more generated projects (half Go, half Python, one test
  each). Its warm-up builds every project and N/2 virtualenvs: minutes at 200, up to an hour
  at 1000 on 2 cores. Not run by default.

Tandem's runs all come before Turborepo's, so neither ever sees the other's files. make is
left out: the generated Makefile's targets are phony, without stamps, so a make "no-op"
reruns every command; it would time a full run, not an incremental one.

    .venv/bin/python -m benchmarks.incremental                   # 8 Go + 8 Python, 10 runs
    .venv/bin/python -m benchmarks.incremental --go 1 --python 1 --repeat 2   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import contenders, figures, runner
from benchmarks.generate import (
    MARKER,
    Generated,
    Spec,
    add_spec_flags,
    closure,
    generate,
    spec_from,
)
from benchmarks.measure import Invocation, Sample, median, spawn
from benchmarks.tables import _head, _row, _s

HERE = Path(__file__).resolve().parent
TURBO_VERSION = "2.11.11"  # `npm view turbo version` when this was written
DEFAULTS = Spec(go=8, python=8, tests=5, test_ms=20.0)
TARGETS = ((16, 0.087, ""), (200, 0.156, ""), (1000, 1.6, " (4000 tasks)"))
TANDEM = "tandem check"
TURBO = "turbo run build fmt vet test"
DIST = Path("dist")  # turbo's build output, inside each package (its outputs must be)
GITIGNORE = """\
.tandem/
.bench/
.turbo/
node_modules/
reports/
dist/
build/
__pycache__/
.ruff_cache/
.pytest_cache/
*.egg-info/
"""
TURBO_ENV = {
    "TURBO_TELEMETRY_DISABLED": "1",
    "DO_NOT_TRACK": "1",
    "TURBO_NO_UPDATE_NOTIFIER": "1",
}
EDIT = '\n// benchEdit is the incremental benchmark\'s one change.\nconst benchEdit = "{label}"\n'
REPLAYED = re.compile(r"\breplayed (\d+) of (\d+) tasks from the cache\b")
TASKS = re.compile(r"\bin (\d+) tasks\b")
TURBO_CACHED = re.compile(r"Cached:\s+(\d+) cached, (\d+) total")
WHERE = "import tandem; print(tandem.__path__[0])"  # run with -P: as the tandem script
Say = Callable[[str], None]


@dataclass(frozen=True)
class Incremental:
    """One contender of this benchmark: a command re-run on an unchanged, then a changed tree."""

    name: str
    invocation: Invocation
    counts: Callable[[str], str]  # what ran and what was replayed, from its output
    report: Path | None = None  # a JUnit report it must fill with every generated test


@dataclass(frozen=True)
class Change:
    """The one-change run's edit: a file of a module that others need, and who needs it."""

    project: str
    path: Path
    dependents: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """A line of the table: timed no-op runs, the one-change run, or why they are missing."""

    name: str
    noop: tuple[float, ...] = ()
    change: float = math.nan
    note: str = ""
    projects: int = 0
    target: bool = False  # a Tandem no-op, compared with the targets for its size
    best_known: bool = True  # False when only a median was measured

    @property
    def median(self) -> float:
        """The no-op runs' median wall seconds (NaN without runs)."""
        return median(self.noop)

    @property
    def best(self) -> float:
        """The fastest no-op run (NaN without runs or when only a median is known)."""
        return min(self.noop) if self.noop and self.best_known else math.nan


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.incremental", description=__doc__
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_spec_flags(parser, DEFAULTS)
    flag = parser.add_argument
    flag("--repeat", type=int, default=10, help="timed no-op runs each (default 10)")
    scale = "also Tandem's no-op on N tiny projects (its warm-up takes minutes)"
    flag("--scale", type=int, default=0, metavar="N", help=scale)
    out = HERE / "results-incremental.md"
    flag("--out", type=Path, default=out, help="results file (default %(default)s)")
    flag("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="cores")
    work = Path(tempfile.gettempdir()) / "tandem-bench-incremental"
    flag("--workdir", type=Path, default=work, help="repositories, logs and turbo")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every contender, print the table and write it to --out."""
    args = _parser().parse_args(argv)
    spec, work = spec_from(args), args.workdir.resolve()
    root, logs, env = work / "repo", work / "logs", contenders.bench_env()
    header = _header(args, spec, env)
    projects = prepare_repo(root, spec)
    turbo = setup_turbo(root, projects, work / "turbo-tool", logs, env)
    commit(root, env)
    _say(f"generated {len(projects)} projects under {root}")
    rows = measure_main(root, projects, spec, args, turbo, logs, env)
    if args.scale:
        rows.append(measure_scale(work, args.scale, spec.seed, args.repeat, logs))
    header.append(f"- load average at the end: {_load()}")
    text = document(header, rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    _say(f"written to {args.out}; logs under {logs}")
    return 0


def measure_main(
    root: Path,
    projects: Sequence[Generated],
    spec: Spec,
    args: argparse.Namespace,
    turbo: Path | str,
    logs: Path,
    env: Mapping[str, str],
) -> list[Row]:
    """Tandem's row, then Turborepo's (or why it has none), then `tandem list`."""
    expected, change = len(projects) * spec.tests, change_target(root, projects)
    tandem = measure(
        tandem_contender(root), expected, args.repeat, change, env, logs, _say
    )
    rows = [replace(tandem, projects=len(projects), target=True)]
    if isinstance(turbo, str):
        rows.append(Row(TURBO, note=f"turbo: not installed ({turbo})"))
    else:
        contender = turbo_contender(root, turbo, args.jobs)
        turbo_env = {**env, **TURBO_ENV}
        rows.append(measure(contender, 0, args.repeat, change, turbo_env, logs, _say))
    runs = max(args.repeat, 3)
    list_s, note = figures.list_startup(root, runs, logs / "tandem-list.log")
    rows.append(
        Row("tandem list (start-up floor)", (list_s,), note=note, best_known=False)
    )
    return rows


def measure_scale(work: Path, n: int, seed: int, repeat: int, logs: Path) -> Row:
    """Tandem's no-op on N tiny projects (half Go, half Python), after one warm-up."""
    spec = Spec(go=n // 2, python=n - n // 2, tests=1, test_ms=5.0, seed=seed)
    root, env = work / f"scale-{n}", contenders.bench_env()
    projects = prepare_repo(root, spec)
    commit(root, env)
    _say(f"generated {n} projects under {root}; the warm-up may take many minutes")
    row = measure(tandem_contender(root), n, repeat, None, env, logs / "scale", _say)
    name = f"{TANDEM}, {len(projects)} tiny projects"
    return replace(row, name=name, projects=len(projects), target=True)


# --- the repository -------------------------------------------------------------------


def prepare_repo(root: Path, spec: Spec) -> tuple[Generated, ...]:
    """A fresh generated monorepo at `root` (an earlier generated one is removed first)."""
    if (root / MARKER).is_file():
        shutil.rmtree(root)
    projects = generate(root, spec)
    (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return projects


def commit(root: Path, env: Mapping[str, str]) -> None:
    """Make `root` a git repository of one commit holding everything not ignored."""
    git = ("git", "-c", "user.name=bench", "-c", "user.email=bench@localhost")
    for argv in (
        ("git", "init", "-q", "-b", "main"),
        ("git", "add", "-A"),
        (*git, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "generated"),
    ):
        subprocess.run(argv, cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)


def change_target(root: Path, projects: Sequence[Generated]) -> Change | None:
    """The Go module the most others need (first by name on a tie); None without Go."""
    by_name = {p.name: p for p in projects}
    go = sorted(p.name for p in projects if p.language == "go")
    if not go:
        return None
    needed_by = {
        name: tuple(p.name for p in projects if name in closure(p.name, by_name))
        for name in go
    }
    name = min(go, key=lambda n: (-len(needed_by[n]), n))
    path = root / "projects" / name / "api" / "api.go"
    return Change(name, path, needed_by[name])


def edited_text(text: str, label: str) -> str:
    """`text` (a Go file) with one unexported constant added, still gofmt- and vet-clean."""
    return text.rstrip("\n") + "\n" + EDIT.format(label=label)


@contextmanager
def edited(path: Path, label: str) -> Iterator[None]:
    """`path` changed for the block's length, then restored byte for byte (and its mtime)."""
    original, stat = path.read_bytes(), path.stat()
    path.write_text(edited_text(original.decode(), label), encoding="utf-8")
    try:
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


# --- Turborepo ------------------------------------------------------------------------


def shell_line(inv: Invocation) -> str:
    """One step's command as an sh line: env assignments first; a quiet one fails on output too."""
    assignments = [f"{k}={v}" for k, v in sorted(inv.env.items())]
    line = shlex.join(["env", *assignments, *inv.argv] if assignments else inv.argv)
    return f'out="$({line})" && test -z "$out"' if inv.quiet else line


def _venv_guard(path: Path, venv: Path) -> str:
    ready, venv_s = shlex.quote(str(venv / ".ready")), shlex.quote(str(venv))
    make = " && ".join(shlex.join(i.argv) for i in contenders.venv_commands(path, venv))
    fresh = f"rm -rf {venv_s} && {make} && touch {ready}"
    return f"{{ test -e {ready} || {{ {fresh}; }}; }} && "


def scripts(p: Generated, path: Path, venv: Path) -> dict[str, str]:
    """A project's package.json scripts: the commands Tandem runs, one per step."""
    steps = contenders.step_commands(p, path, DIST, venv)
    lines = {step: shell_line(inv) for step, inv in steps.items()}
    if p.language == "python":  # Tandem's build makes the environment tests use
        lines["build"] = _venv_guard(path, venv) + lines["build"]
    return lines


def package_json(p: Generated, path: Path, venv: Path) -> str:
    """A project's package.json: its scripts, and the projects it needs as dependencies."""
    doc: dict[str, object] = {"name": p.name, "version": "0.0.0", "private": True}
    doc["scripts"] = scripts(p, path, venv)
    if p.needs:
        doc["dependencies"] = {name: "*" for name in sorted(p.needs)}
    return json.dumps(doc, indent=2) + "\n"


def root_package_json(npm_version: str) -> str:
    """The root package.json: npm workspaces over projects/, and the packageManager turbo 2 needs."""
    doc = {
        "name": "tandem-bench-monorepo",
        "version": "0.0.0",
        "private": True,
        "workspaces": ["projects/*"],
        "packageManager": f"npm@{npm_version}",
    }
    return json.dumps(doc, indent=2) + "\n"


def turbo_json(projects: Sequence[Generated]) -> str:
    """turbo.json: the four steps, waiting for builds as Tandem's plan does."""
    tasks: dict[str, dict[str, object]] = {
        "build": {"dependsOn": ["^build"], "outputs": [f"{DIST}/**"]},
        "fmt": {"outputs": []},
        "vet": {"outputs": []},
        "test": {"dependsOn": ["^build"], "outputs": []},
    }
    by_name = {p.name: p for p in projects}
    for p in projects:
        if p.language == "python":  # pytest runs in the environment its build makes
            tasks[f"{p.name}#test"] = {"dependsOn": ["build", "^build"], "outputs": []}
        elif p.needs:  # go vet compiles what it imports: their sources are its inputs
            theirs = [
                f"$TURBO_ROOT$/projects/{name}/{glob}"
                for name in closure(p.name, by_name)
                for glob in ("go.mod", "**/*.go")
            ]
            tasks[f"{p.name}#vet"] = {
                "inputs": ["$TURBO_DEFAULT$", *theirs],
                "outputs": [],
            }
    doc = {"$schema": "https://turborepo.com/schema.json", "tasks": tasks}
    return json.dumps(doc, indent=2) + "\n"


def write_turbo_files(root: Path, projects: Sequence[Generated], npm: str) -> None:
    """The root package.json, turbo.json and one package.json per project."""
    (root / "package.json").write_text(root_package_json(npm), encoding="utf-8")
    (root / "turbo.json").write_text(turbo_json(projects), encoding="utf-8")
    for p in projects:
        venv = contenders.state(root, "turbo") / "venvs" / p.name
        path = root / "projects" / p.name
        (path / "package.json").write_text(package_json(p, path, venv), "utf-8")


def setup_turbo(
    root: Path,
    projects: Sequence[Generated],
    tool: Path,
    logs: Path,
    env: Mapping[str, str],
) -> Path | str:
    """turbo's binary, with the repository ready for it (lockfile included), or why not."""
    logs.mkdir(parents=True, exist_ok=True)
    log, turbo = logs / "turbo-setup.log", tool / "node_modules" / ".bin" / "turbo"
    try:
        npm = _output(("npm", "--version"), root, env, log)
        if not _pinned(turbo, env):
            install = ("npm", "install", "--prefix", str(tool), "--no-audit")
            _output((*install, "--no-fund", f"turbo@{TURBO_VERSION}"), root, env, log)
        write_turbo_files(root, projects, npm)
        _output(("npm", "install", "--no-audit", "--no-fund"), root, env, log)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{exc}; see {log}"
    if not _pinned(turbo, env):
        return f"{turbo} is not turbo {TURBO_VERSION}; see {log}"
    return turbo


def _pinned(turbo: Path, env: Mapping[str, str]) -> bool:
    return _first_line((str(turbo), "--version"), env) == TURBO_VERSION


def _output(argv: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path) -> str:
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n$ (cd {cwd} && {shlex.join(argv)})\n")
        out.flush()
        done = subprocess.run(
            argv, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=out,
            text=True, timeout=600,
        )  # fmt: skip
        out.write(done.stdout)
    return done.stdout.strip()


def _first_line(argv: Sequence[str], env: Mapping[str, str]) -> str:
    try:
        done = subprocess.run(
            argv, check=False, env=env, capture_output=True, text=True
        )
    except OSError:
        return "missing"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "missing"


def turbo_counts(output: str) -> str:
    """'ran R, replayed C' from turbo's `Cached: C cached, T total` line ('' if absent)."""
    found = TURBO_CACHED.findall(output)
    if not found:
        return ""
    cached, total = map(int, found[-1])
    return f"ran {total - cached}, replayed {cached}"


def turbo_contender(root: Path, turbo: Path, jobs: int) -> Incremental:
    """`turbo run build fmt vet test` on `root`: local cache only, `jobs` at once."""
    argv = (
        str(turbo), "run", *contenders.STEPS, f"--concurrency={jobs}",
        "--output-logs=errors-only", "--ui=stream", "--env-mode=loose",
        "--cache=local:rw",
    )  # fmt: skip
    return Incremental(TURBO, Invocation(argv, root), turbo_counts)


# --- Tandem and the measurement -------------------------------------------------------


def tandem_counts(output: str) -> str:
    """'ran R, replayed C' from the summary's `replayed C of T tasks` line, else the task count."""
    tail = "\n".join(output.strip().splitlines()[-6:])
    replayed, tasks = REPLAYED.search(tail), TASKS.search(tail)
    if replayed:
        return f"ran {int(replayed[2]) - int(replayed[1])}, replayed {replayed[1]}"
    return f"ran {tasks[1]}, replayed 0" if tasks else ""


def tandem_contender(root: Path) -> Incremental:
    """`tandem --root R check --junit R/reports/junit.xml`."""
    report = root / "reports" / "junit.xml"
    tandem = str(contenders.BIN / "tandem")
    argv = (tandem, "--root", str(root), "check", "--junit", str(report))
    return Incremental(TANDEM, Invocation(argv, root), tandem_counts, report)


def timed(inv: Invocation, env: Mapping[str, str], log: Path) -> tuple[Sample, str]:
    """One run of `inv` (spawned, timed, output appended to `log`) and what it printed."""
    start = log.stat().st_size if log.exists() else 0
    sample = spawn(inv, env, log)
    with open(log, "rb") as written:
        written.seek(start)
        return sample, written.read().decode(errors="replace")


def _run(c: Incremental, expected: int, env: Mapping[str, str], log: Path) -> Sample:
    sample, output = timed(c.invocation, env, log)
    if sample.ok and c.report is not None:
        found = runner.count_tests(c.report)
        if found != expected:
            note = f"report holds {found} of {expected} tests"
            sample = replace(sample, ok=False, note=note)
    return replace(sample, note=sample.note or c.counts(output))


def measure(
    c: Incremental,
    expected: int,
    repeat: int,
    change: Change | None,
    env: Mapping[str, str],
    logs: Path,
    say: Say,
) -> Row:
    """Warm up once, time `repeat` no-op runs, then one run with `change` made."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{re.sub(r'[^a-z0-9]+', '-', c.name.lower()).strip('-')}.log"
    log.unlink(missing_ok=True)
    warm = _run(c, expected, env, log)
    say(f"warm-up    {c.name:<30} {warm.wall:7.2f} s  {_verdict(warm)}")
    if not warm.ok:
        return Row(c.name, note=f"warm-up failed: {warm.note}; see {log}")
    noops = []
    for rep in range(repeat):
        noops.append(noop := _run(c, expected, env, log))
        say(f"no-op {rep + 1:<4} {c.name:<30} {noop.wall:7.3f} s  {_verdict(noop)}")
    changed = _changed(c, expected, change, env, log, say)
    return _row_of(c, noops, changed, change, log)


def _changed(
    c: Incremental,
    expected: int,
    change: Change | None,
    env: Mapping[str, str],
    log: Path,
    say: Say,
) -> Sample | None:
    if change is None:
        return None
    # Each contender makes its own edit, so neither hits the other's Go build cache.
    label = re.sub(r"\W+", "-", c.name)
    with edited(change.path, label):
        sample = _run(c, expected, env, log)
    say(f"one change {c.name:<30} {sample.wall:7.2f} s  {_verdict(sample)}")
    return sample


def _row_of(
    c: Incremental,
    noops: Sequence[Sample],
    changed: Sample | None,
    change: Change | None,
    log: Path,
) -> Row:
    notes = []
    if failed := [s for s in noops if not s.ok]:
        notes.append(f"{len(failed)} no-op runs failed: {failed[0].note}; see {log}")
    if noops and noops[-1].ok and noops[-1].note:
        notes.append(f"no-op: {noops[-1].note}")
    if changed is not None:
        notes.append(_change_note(changed, change, log))
    walls = tuple(s.wall for s in noops if s.ok)
    wall = changed.wall if changed is not None and changed.ok else math.nan
    return Row(c.name, walls, wall, "; ".join(notes))


def _change_note(changed: Sample, change: Change | None, log: Path) -> str:
    if not changed.ok:
        return f"one change FAILED: {changed.note}; see {log}"
    who = f"{change.project}, needed by {len(change.dependents)}" if change else "?"
    return f"one change ({who}): {changed.note or 'no counts'}"


def _verdict(s: Sample) -> str:
    return ("ok" if s.ok else "FAILED") + (f": {s.note}" if s.note else "")


# --- the results ----------------------------------------------------------------------

NOTES = (
    (
        "- order: all of Tandem's runs, then all of Turborepo's (neither sees the other's"
        " files); each contender's one change is its own constant, so neither gets the"
        " other's Go build cache hits"
    ),
    (
        "- make is left out: the generated Makefile's targets are phony without stamps,"
        " so its no-op would be a full run"
    ),
)
COLUMNS = (
    "contender", "no-op median s", "no-op best s", "one-change s",
    "no-op ÷ Tandem", "one-change ÷ Tandem", "notes",
)  # fmt: skip


def _ratio(value: float, base: float) -> str:
    return _s(value / base) if base and not math.isnan(base) else "—"


def table(rows: Sequence[Row]) -> list[str]:
    """The side-by-side table; ratios are to the first Tandem no-op row."""
    base = next((r for r in rows if r.target), Row(TANDEM))
    lines = _head(*COLUMNS)
    for r in rows:
        same_size = not r.target or r is base
        lines.append(
            _row(
                r.name, _s(r.median, 3), _s(r.best, 3), _s(r.change),
                _ratio(r.median, base.median) if same_size else "—",
                _ratio(r.change, base.change) if same_size else "—",
                r.note,
            )
        )  # fmt: skip
    return lines


def target_lines(rows: Sequence[Row]) -> list[str]:
    """Each no-op target with Tandem's measured median at that size, and whether it was met."""
    lines = []
    for projects, limit, tasks in TARGETS:
        what = f"- target: Tandem's no-op under {limit} s on {projects} projects{tasks}"
        found = [r for r in rows if r.target and r.projects == projects and r.noop]
        if not found:
            how = "--go 8 --python 8" if projects == 16 else f"--scale {projects}"
            lines.append(f"{what}: not measured here (`{how}`)")
            continue
        value = found[0].median
        verdict = "met" if value < limit else "**not met**"
        lines.append(f"{what}: {value:.3f} s median, {verdict}")
    return lines


def document(header: Sequence[str], rows: Sequence[Row]) -> str:
    """The whole results file: header, table, targets."""
    parts = ["# Incremental re-runs: Tandem beside Turborepo", "", *header, ""]
    parts += [*table(rows), "", *target_lines(rows), ""]
    return "\n".join(parts)


def _header(args: argparse.Namespace, spec: Spec, env: Mapping[str, str]) -> list[str]:
    date = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    repository = (
        f"{spec.go} Go + {spec.python} Python generated projects, {spec.tests} tests"
        f" each of ~{spec.test_ms:g} ms {spec.cost}, seed {spec.seed}, Go import"
        f" chance {spec.deps}; one git commit"
    )
    runs = (
        f"one warm-up, then {args.repeat} timed no-op runs and one one-change run each;"
        " wall time of the whole process, spawn to reap"
    )
    turbo = (
        f"--concurrency={args.jobs}, --env-mode=loose, local cache only, no telemetry"
    )
    return [
        f"- date: {date}; cores: {args.jobs}; load average at the start: {_load()}",
        f"- repository: {repository}",
        f"- runs: {runs}",
        f"- Tandem's result cache: {_cache_state(env)}",
        f"- turbo: {turbo}",
        *NOTES,
        f"- tools: {'; '.join(_tool_versions(env))}",
    ]


def _cache_state(env: Mapping[str, str]) -> str:
    argv = (str(contenders.BIN / "tandem"), "check", "--help")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if "--no-cache" in done.stdout:
        return "present (`tandem check --no-cache` exists)"
    return (
        "not landed yet: `tandem check` reruns every task, so its no-op and one-change"
        " figures are full runs"
    )


def _tool_versions(env: Mapping[str, str]) -> list[str]:
    probes = {
        "tandem": (str(contenders.BIN / "tandem"), "--version"),
        "tandem imported from": (str(contenders.BIN / "python"), "-P", "-c", WHERE),
        "go": ("go", "version"),
        "node": ("node", "--version"),
        "npm": ("npm", "--version"),
    }
    found = [f"{name}: {_first_line(argv, env)}" for name, argv in probes.items()]
    return [*found, f"turbo: {TURBO_VERSION} (pinned)"]


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    raise SystemExit(main())
