"""The results as Markdown: contenders, the scheduler scenario, Tandem's own figures, targets."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from benchmarks.measure import median
from benchmarks.runner import MainResult, Measured

METHOD = """\
How it was measured:
- Every contender runs the same tools: go build -o dist/<p>/ ./... (CGO_ENABLED=0, as
  Tandem builds), gofmt -l, go vet, go test -json; uv build --wheel, black --check,
  ruff check, pytest in a per-project virtualenv holding the project editable with its
  test extra. Tandem builds Go with `go install` (GOBIN=dist/<p>) instead of `go build -o`,
  and adds JSON and JUnit report flags and -p N / GOMAXPROCS / pytest -n N from its CPU slots.
- Each contender ran once untimed (the warm-up) before the timed runs, which alternate
  between contenders with a rotating start. A contender failing its warm-up is left out.
- Shared caches are warm for everyone: the Go build cache, uv's cache, black's and ruff's
  caches. `GOFLAGS=-count=1` makes every go test really run. PYTHONDONTWRITEBYTECODE is
  unset, Python's default: every contender keeps the bytecode of pytest and the projects.
- Cold runs include making the virtualenvs: naive creates one per Python project with uv,
  as Tandem's cold run (no .tandem, dist or reports) creates .tandem/venvs. Warm runs reuse
  them: naive, make (venvs are file targets on pyproject.toml), nox (-R), Tandem.
- make runs `make -j<cores> check`; nox runs its own parallel mode, `nox -j <cores> -R`
  (this nox has one: each session in its own nox subprocess).
- Wall time is from spawn to reap; CPU time is user + system of the whole process tree and
  peak RSS the largest single process in it, both from os.wait4.
- Lower bound = max(longest project's serial time, total tool CPU / cores), both from the
  naive run of the same repetition and cache state. It ignores parallelism inside one
  project (fmt and vet beside build, pytest -n, go test -p), so a scheduler can beat it
  slightly; it is the target's definition, not a proof.
- Tandem's own CPU comes from the Tandem process's getrusage(RUSAGE_SELF), written at exit
  by benchmarks/selfusage.py; the share divides it by the whole tree's CPU.
"""


MAIN_COLUMNS = (
    "contender", "ok runs", "wall s (median)", "÷ Tandem", "÷ lower bound", "CPU s",
    "peak RSS MiB",
)  # fmt: skip
DISCOVERY = "discovery + planning of 500 projects, s (median, in-process)"


@dataclass(frozen=True)
class Figures:
    """Tandem-only figures (NaN when not measured) and notes."""

    list_seconds: float
    list_note: str
    discovery_seconds: float
    discovery_note: str
    own_cpu: Mapping[str, tuple[float, float, float]]  # label -> (own, total, share)
    report_line: str


def _s(value: float, digits: int = 2) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _head(*names: str) -> list[str]:
    return [_row(*names), _row(*("---" for _ in names))]


def _ok_median(m: Measured, attr: str) -> float:
    return median([getattr(s, attr) for s in m.samples if s.ok])


def _runs(m: Measured) -> str:
    return f"{sum(s.ok for s in m.samples)}/{len(m.samples)}"


def bound(pairs: Sequence[tuple[float, float]]) -> tuple[float, float, float]:
    """Medians of the lower bound and of its two parts."""
    if not pairs:
        return (math.nan,) * 3
    longest, cpu = zip(*pairs)
    return median([max(p) for p in pairs]), median(longest), median(cpu)


def _tandem_walls(result: MainResult) -> dict[bool, float]:
    by_name = {m.contender.name: m for m in result.measured}
    return {
        cold: _ok_median(
            by_name[f"tandem check ({'cold' if cold else 'warm'})"], "wall"
        )
        for cold in (True, False)
    }


def main_table(result: MainResult) -> list[str]:
    """One row per contender, then the lower bounds (cold rows compare with cold ones)."""
    tandem = _tandem_walls(result)
    bounds = {cold: bound(result.bounds[cold]) for cold in (True, False)}
    rows = _head(*MAIN_COLUMNS)
    for m in result.measured:
        cold, wall = m.contender.cold, _ok_median(m, "wall")
        ratios = _s(wall / tandem[cold]), _s(wall / bounds[cold][0])
        usage = _s(_ok_median(m, "cpu")), _s(_ok_median(m, "rss_kib") / 1024, 0)
        rows.append(_row(m.contender.name, _runs(m), _s(wall), *ratios, *usage))
    for cold in (True, False):
        value, longest, cpu = bounds[cold]
        label = (
            f"lower bound, {'cold' if cold else 'warm'}: max({_s(longest)}, {_s(cpu)})"
        )
        rows.append(
            _row(label, "", _s(value), _s(value / tandem[cold]), "1.00", "", "")
        )
    return rows + _failures(result.measured)


def _failures(measured: Sequence[Measured]) -> list[str]:
    notes = [f"- {m.contender.name}: {m.failure}" for m in measured if m.failure]
    for m in measured:
        failed = [(i, s) for i, s in enumerate(m.samples, 1) if not s.ok]
        notes += [f"- {m.contender.name}: run {i}: {s.note}" for i, s in failed]
    if not notes:
        return []
    return ["", "Failures (left out of the medians):", *notes]


def scheduler_table(measured: Sequence[Measured]) -> list[str]:
    """-j 1, -j 2 and adaptive, each as a share of -j 1."""
    j1 = _ok_median(measured[0], "wall")
    rows = _head("run", "ok runs", "wall s (median)", "÷ -j 1", "CPU s")
    for m in measured:
        wall, cpu = _ok_median(m, "wall"), _ok_median(m, "cpu")
        rows.append(_row(m.contender.name, _runs(m), _s(wall), _s(wall / j1), _s(cpu)))
    return rows + _failures(measured)


def _checks(
    result: MainResult | None, sched: Sequence[Measured], figures: Figures
) -> Iterator[tuple[str, float, float]]:
    """(target, measured, limit) triples; a target is met when measured <= limit."""
    if result is not None:
        warm = _tandem_walls(result)[False]
        make = next(m for m in result.measured if m.contender.name.startswith("make"))
        lower = bound(result.bounds[False])[0]
        yield "tandem check (warm) ÷ lower bound (warm)", warm / lower, 1.15
        yield f"tandem check (warm) ÷ {make.contender.name}", warm / _ok_median(
            make, "wall"
        ), 1.0
    yield "tandem list, s", figures.list_seconds, 0.3
    yield "discovery + planning of 500 projects, s", figures.discovery_seconds, 1.0
    if "tandem check (warm)" in figures.own_cpu:
        share = figures.own_cpu["tandem check (warm)"][2]
        yield "Tandem's own CPU share, warm run", share, 0.05
    if sched:
        ratio = _ok_median(sched[1], "wall") / _ok_median(sched[0], "wall")
        yield "scheduler: -j 2 ÷ -j 1", ratio, 0.62


def targets(
    result: MainResult | None, sched: Sequence[Measured], figures: Figures
) -> list[str]:
    """Each product target with the measured value and whether it was met."""
    rows = _head("target", "measured", "limit", "met?")
    for what, value, limit in _checks(result, sched, figures):
        verdict = "yes" if value <= limit else "**no**"
        verdict = "not measured" if math.isnan(value) else verdict
        rows.append(_row(what, _s(value, 3), f"≤ {limit}", verdict))
    return rows


def figures_table(figures: Figures) -> list[str]:
    """Tandem's own figures."""
    rows = _head("figure", "value", "note")
    listing, discovery = _s(figures.list_seconds, 3), _s(figures.discovery_seconds, 3)
    rows.append(_row("tandem list start-up, s (median)", listing, figures.list_note))
    rows.append(_row(DISCOVERY, discovery, figures.discovery_note))
    for label, (own, total, share) in figures.own_cpu.items():
        value = f"{_s(own)} / {_s(total)}"
        rows.append(
            _row(f"{label}: own CPU s / tree CPU s", value, f"{_s(share * 100, 1)} %")
        )
    rows.append(_row("JUnit report writer (report_bench.py)", figures.report_line, ""))
    return rows


def document(
    header: Sequence[str],
    result: MainResult | None,
    sched: Sequence[Measured],
    figures: Figures,
) -> str:
    """The whole results file."""
    parts = ["# Tandem benchmark results", "", *header, "", METHOD]
    if result is not None:
        parts += ["## Scenario 1: every contender on one monorepo", ""]
        parts += [*main_table(result), ""]
    if sched:
        parts += ["## Scenario 2: the scheduler on waiting tests", ""]
        parts += [*scheduler_table(sched), ""]
    parts += ["## Tandem alone", "", *figures_table(figures), ""]
    return "\n".join([*parts, "## Targets", "", *targets(result, sched, figures), ""])
