"""Synthetic monorepos for the benchmarks: N Go modules and M Python projects, from a seed.

Each project is a small real service with T real tests. A test's cost is either CPU work
(a SHA-256 chain of a size meant to take about `test_ms`) or a wait (a read that times out
after `test_ms`). A seeded weight in [0.5, 1.5] varies the cost between projects, and Go
modules may import earlier ones through replace directives.

    python -m benchmarks.generate OUT --go 6 --python 6 --tests 10 --cost cpu --seed 1
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import go_source, proto_source, py_source

# SHA-256 rounds per millisecond of one core (measured on the 2-core reference machine);
# each test hashes its chain twice (the service, then the test's own check).
ROUNDS_PER_MS = {"go": 10_000, "python": 1_500}
MARKER = ".tandem-bench"  # only a directory holding this file is ever overwritten
WORDS = (
    "ledger", "billing", "search", "auth", "catalog", "orders", "payments", "stock",
    "shipping", "profile", "notify", "pricing", "reviews", "session", "metrics", "gateway",
    "audit", "export", "ratings", "quotes", "tickets", "wallet", "coupons", "invoices",
)  # fmt: skip
COSTS = ("cpu", "wait", "mixed")
ROOT_PYPROJECT = '[tool.tandem]\ninclude = ["projects/*"]\n'


@dataclass(frozen=True)
class Spec:
    """What to generate."""

    go: int = 6
    python: int = 6
    tests: int = 10
    cost: str = "cpu"  # "cpu", "wait", or "mixed" (projects alternate between the two)
    test_ms: float = 300.0
    seed: int = 1
    deps: float = 0.3  # chance that a Go module imports an earlier one
    equal: bool = False  # every project weighs the same
    protos: bool = (
        False  # each project holds a .proto contract and declares its generation
    )


@dataclass(frozen=True)
class Generated:
    """One generated project."""

    name: str
    language: str  # "go" or "python"
    weight: float
    units: int  # per test: SHA-256 rounds (cpu) or milliseconds (wait)
    needs: tuple[str, ...] = ()
    cost: str = "cpu"  # this project's: "cpu" or "wait"


def plan(spec: Spec) -> tuple[Generated, ...]:
    """The projects `spec` describes, Go first; the same seed always gives the same plan."""
    if spec.cost not in COSTS or spec.go + spec.python < 1 or spec.tests < 1:
        raise ValueError(f"bad spec: {spec}")
    rng = random.Random(spec.seed)
    projects = []
    for index, language in enumerate(["go"] * spec.go + ["python"] * spec.python):
        prefix = "go" if language == "go" else "py"
        weight = 1.0 if spec.equal else round(rng.uniform(0.5, 1.5), 2)
        earlier = [p.name for p in projects if p.language == "go"]
        needs = ()
        if language == "go" and earlier and rng.random() < spec.deps:
            needs = (rng.choice(earlier),)
        name = f"{prefix}-{rng.choice(WORDS)}{index + 1:03d}"
        cost = ("cpu", "wait")[index % 2] if spec.cost == "mixed" else spec.cost
        units = _units(spec, cost, language, weight)
        projects.append(Generated(name, language, weight, units, needs, cost))
    return tuple(projects)


def _units(spec: Spec, cost: str, language: str, weight: float) -> int:
    if cost == "wait":
        return max(1, round(spec.test_ms * weight))
    return max(1, round(spec.test_ms * weight * ROUNDS_PER_MS[language] / 2))


def closure(name: str, by_name: Mapping[str, Generated]) -> list[str]:
    """Every project `name` needs, directly or not."""
    seen: list[str] = []
    stack = list(by_name[name].needs)
    while stack:
        need = stack.pop()
        if need not in seen:
            seen.append(need)
            stack.extend(by_name[need].needs)
    return sorted(seen)


def generate(root: Path, spec: Spec) -> tuple[Generated, ...]:
    """Write the monorepo for `spec` under `root` (replacing an earlier generated one)."""
    _prepare(root)
    projects = plan(spec)
    by_name = {p.name: p for p in projects}
    for project in projects:
        _write(root / "projects" / project.name, _files(project, spec, by_name))
    python = [p.name for p in projects if p.language == "python" and spec.protos]
    config = ROOT_PYPROJECT + proto_source.python_config(python)
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return projects


def _files(
    p: Generated, spec: Spec, by_name: Mapping[str, Generated]
) -> Mapping[str, str]:
    files = _sources(p, spec, by_name)
    if not spec.protos:
        return files
    extra = (
        {"go.mod": files["go.mod"] + proto_source.go_require()}
        if p.language == "go"
        else {}
    )
    return {**files, **proto_source.files(p.name, p.language), **extra}


def _sources(
    p: Generated, spec: Spec, by_name: Mapping[str, Generated]
) -> Mapping[str, str]:
    if p.language == "go":
        deps = closure(p.name, by_name)
        return go_source.files(p.name, p.needs, deps, p.cost, p.units, spec.tests)
    return py_source.files(p.name, p.cost, p.units, spec.tests)


def _prepare(root: Path) -> None:
    if root.exists() and any(root.iterdir()) and not (root / MARKER).is_file():
        raise SystemExit(
            f"{root} is not empty and was not generated here; choose another"
        )
    shutil.rmtree(root / "projects", ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("generated by python -m benchmarks.generate\n")


def _write(directory: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def add_spec_flags(parser: argparse.ArgumentParser, defaults: Spec = Spec()) -> None:
    """The generator's flags, shared with `python -m benchmarks`."""
    parser.add_argument("--go", type=int, default=defaults.go, help="Go modules")
    parser.add_argument(
        "--python", type=int, default=defaults.python, help="Python projects"
    )
    parser.add_argument(
        "--tests", type=int, default=defaults.tests, help="tests per project"
    )
    parser.add_argument("--cost", choices=COSTS, default=defaults.cost)
    parser.add_argument(
        "--test-ms", type=float, default=defaults.test_ms, help="cost per test"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--deps", type=float, default=defaults.deps, help="Go import chance"
    )


def spec_from(args: argparse.Namespace) -> Spec:
    """A Spec from parsed `add_spec_flags` flags."""
    return Spec(
        args.go, args.python, args.tests, args.cost, args.test_ms, args.seed, args.deps
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Generate one monorepo and list its projects."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate")
    parser.add_argument("out", type=Path, help="directory to write (created)")
    add_spec_flags(parser)
    args = parser.parse_args(argv)
    for p in generate(args.out, spec_from(args)):
        print(
            f"{p.name:<24} {p.language:<7} x{p.weight:.2f} {p.units:>8}  {' '.join(p.needs)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
