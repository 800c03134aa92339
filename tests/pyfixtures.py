"""Helpers for the Python adapter's tests: tiny projects on disk and one step run for real."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tandem.adapters import python
from tandem.cache import stamps
from tandem.model import Command, Context, ProcessResult, Project, Step, TestCase
from tandem.run import run_commands_sync
from tests.conftest import write_tree  # noqa: F401 - re-exported for the adapter tests

PYTEST = '"pytest==9.2.0"'
XDIST = '"pytest-xdist==3.8.0"'


def pyproject(name: str, test: Sequence[str] = (), extra: str = "") -> str:
    """A hatchling-built pyproject.toml: `extra` follows `version`, then a `test` extra."""
    tests = (
        f"\n[project.optional-dependencies]\ntest = [{', '.join(test)}]\n"
        if test
        else ""
    )
    return (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "0.1.0"\n{extra}{tests}'
    )


def package(name: str, test: Sequence[str] = (), extra: str = "") -> dict[str, str]:
    """The files of an installable, black- and ruff-clean project `name`."""
    return {
        "pyproject.toml": pyproject(name, test, extra),
        f"src/{name}/__init__.py": '"""A tiny package."""\n\n\ndef add(a, b):\n    return a + b\n',
    }


def project(
    path: Path, name: str | None = None, test_args: Sequence[str] = ()
) -> Project:
    """A Python project at path (named after the directory unless `name` is given)."""
    args = {Step.TEST: tuple(test_args)} if test_args else {}
    return Project(name or path.name, "python", path, args=args)


def context(root: Path, label: str, slots: int = 1, fix: bool = False) -> Context:
    """A context under root; each label gets its own fresh workdir, state is shared."""
    workdir = root / "work" / label
    workdir.mkdir(parents=True)
    return Context(root, root / "dist", root / ".tandem", workdir, slots=slots, fix=fix)


@dataclass(frozen=True)
class StepRun:
    """What one step did: its commands, their results and the judged cases."""

    commands: tuple[Command, ...]
    results: tuple[ProcessResult, ...]
    cases: tuple[TestCase, ...]

    def by_name(self) -> dict[str, TestCase]:
        """Cases keyed by name."""
        return {case.name: case for case in self.cases}


def run_step(proj: Project, step: Step, ctx: Context) -> StepRun:
    """Run one step's real commands and judge them."""
    commands = python.commands(proj, step, ctx)
    results = run_commands_sync(commands, timeout=300)
    stamps.record(results)  # as the engine does after every step
    return StepRun(commands, results, python.judge(proj, step, results, ctx))
