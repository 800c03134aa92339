"""Stage 2: projects x steps -> tasks, each knowing which tasks must pass before it starts."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import replace

from tandem.adapters import ADAPTERS
from tandem.model import Project, Step, TandemError, Task


def with_test_args(
    projects: Sequence[Project], extra: Sequence[str]
) -> tuple[Project, ...]:
    """The projects with `extra` after their own test arguments (`tandem test -- -run X`)."""
    if not extra:
        return tuple(projects)
    return tuple(
        replace(p, args={**p.args, Step.TEST: (*p.args.get(Step.TEST, ()), *extra)})
        for p in projects
    )


def with_selection(
    projects: Sequence[Project], name: str | None
) -> tuple[Project, ...]:
    """The projects whose test step runs only the tests whose name holds `name` (`-k NAME`)."""
    if not name:
        return tuple(projects)
    return tuple(
        with_test_args([p], ADAPTERS[p.language].selecting(name))[0] for p in projects
    )


def make_plan(
    projects: Sequence[Project], steps: Sequence[Step], named: Iterable[str] = ()
) -> tuple[Task, ...]:
    """The tasks for `steps` on the named projects (default: all), plus the builds they wait for."""
    by_name = {p.name: p for p in projects}
    chosen = _check_names(by_name, named) or set(by_name)
    wanted = {(n, s) for n in chosen for s in steps if runs(by_name[n], s)}
    tasks: dict[tuple[str, Step], Task] = {}
    while wanted:
        name, step = wanted.pop()
        needs = [
            n for n in _needs(by_name[name], step) if n[1] not in by_name[n[0]].skip
        ]
        tasks[(name, step)] = Task(
            by_name[name], step, tuple(f"{n}:{s.value}" for n, s in needs)
        )
        wanted.update(need for need in needs if need not in tasks)
    order = list(Step)
    return tuple(
        sorted(_ordered(tasks), key=lambda t: (t.project.name, order.index(t.step)))
    )


def runs(project: Project, step: Step) -> bool:
    """Not skipped; `generate` only where the project declares generated code."""
    return step not in project.skip and (
        step is not Step.GENERATE or bool(project.generate)
    )


# The steps that compile or test the generated code start after its check.
_AFTER_GENERATE = (Step.BUILD, Step.VET, Step.TEST)


def _ordered(tasks: dict[tuple[str, Step], Task]) -> Iterable[Task]:
    for (name, step), task in tasks.items():
        generate = tasks.get((name, Step.GENERATE))
        after = generate is not None and step in _AFTER_GENERATE
        yield replace(task, after=(generate.id,)) if after else task


def matching(projects: Sequence[Project], named: Iterable[str]) -> set[str]:
    """The names of the projects named, exactly or by glob; a TandemError for one that finds none."""
    return _check_names({p.name: p for p in projects}, named)


def _check_names(by_name: dict[str, Project], named: Iterable[str]) -> set[str]:
    """The projects named, each name exact or a glob (`svc-*`); one that finds none is an error."""
    chosen: set[str] = set()
    for name in dict.fromkeys(named):
        found = fnmatch.filter(by_name, name) if _is_glob(name) else [name]
        if not found or found[0] not in by_name:
            known = ", ".join(sorted(by_name))
            raise TandemError(f"no project named {name!r} (known: {known})")
        chosen.update(found)
    return chosen


def _is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")


def _needs(project: Project, step: Step) -> list[tuple[str, Step]]:
    """Builds a step waits for: its own (where the test tool needs it) and its needed projects'."""
    if step not in (Step.BUILD, Step.TEST):
        return []
    own = step is Step.TEST and ADAPTERS[project.language].TEST_NEEDS_BUILD
    return [(project.name, Step.BUILD)] * own + [
        (name, Step.BUILD) for name in project.needs
    ]
