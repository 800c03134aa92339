"""Each task's key: a digest of everything that can change its result.

A key covers the project's files and the files directly in every directory above it up to the
root (where tools look for their configuration: `pyproject.toml`, `go.work`, a shared `uv.lock`,
`.python-version`); the files of the projects it needs, directly or not; the keys of the tasks
it waits for; the project's settings and the step's arguments; the run's settings that decide
a verdict (timeout, retries); the tools that run, known without running them; Tandem itself;
the platform; and the environment variables that change what its language's tools do (the adapter's `ENV`) or
that the project names (`env`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import tandem
from tandem.adapters import ADAPTERS, for_step
from tandem.cache.files import Contents, Tree
from tandem.model import Project, Step, Task


@dataclass(frozen=True)
class Settings:
    """What of the run, beyond the projects, decides verdicts."""

    timeout: float
    retries: int = 0


def task_keys(
    tasks: Sequence[Task],
    projects: Sequence[Project],
    tree: Tree,
    root: Path,
    settings: Settings,
    environ: Mapping[str, str] = os.environ,
    contents: Contents | None = None,
    broken: Collection[str] = (),
) -> dict[str, str]:
    """The key of every task, by task id; tools' files are digested through `contents`.

    A task of a `broken` project (refused, never green) has none, nor has a task needing one.
    """
    by_id = {task.id: task for task in tasks}
    keys = _Keys(by_id, {p.name: p for p in projects}, tree, root, settings, environ)
    keys.contents = contents or Contents()
    keyed = _keyable(by_id, set(broken))
    return {task.id: keys.of(task.id) for task in tasks if keyed[task.id]}


def _keyable(tasks: Mapping[str, Task], broken: set[str]) -> dict[str, bool]:
    """Whether each task can have a key: its project is sound and so is every task it needs."""
    known: dict[str, bool] = {}

    def sound(task_id: str) -> bool:
        if task_id not in known:
            task = tasks[task_id]
            known[task_id] = task.project.name not in broken and all(
                sound(need) for need in task.needs if need in tasks
            )
        return known[task_id]

    return {task_id: sound(task_id) for task_id in tasks}


class _Keys:
    """Keys computed once each, needed tasks first; what tasks share is computed once too."""

    def __init__(self, tasks, projects, tree, root, settings, environ) -> None:
        self.tasks, self.projects, self.tree = tasks, projects, tree
        self.root, self.settings, self.environ = root, settings, environ
        self.known: dict[str, str] = {}
        self.shared: dict[tuple, Any] = {}

    def of(self, task_id: str) -> str:
        if task_id not in self.known:
            self.known[task_id] = _digest(self._lines(self.tasks[task_id]))
        return self.known[task_id]

    def _once(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self.shared:
            self.shared[key] = compute()
        return self.shared[key]

    def _lines(self, task: Task) -> Iterator[str]:
        project, step = task.project, task.step
        yield f"tandem {tandem.__version__} {self._once(('code',), self._own_code)}"
        yield f"platform {sys.platform} {os.uname().machine}"
        yield f"step {project.language} {step.value} {list(project.args.get(step, ()))}"
        yield from (f"part {part}" for part in task.part)  # a shard's part of the step
        yield f"run {self._verdict_settings(task)}"
        yield from (f"tool {tool}" for tool in self._tools(project, step))
        yield from self._once(("project", project.name), lambda: self._project(project))
        if step is not Step.FMT:  # formatting reads the project's own files alone
            yield from self._once(
                ("needed", project.name), lambda: self._needed(project)
            )
        yield from (f"needs {need} {self.of(need)}" for need in sorted(task.needs))

    def _tools(self, project: Project, step: Step) -> list[str]:
        """The step's tools: files by their content's digest, facts as they are."""
        found = _tools(project, step, self.root)
        return [self.contents.digest(t) if isinstance(t, Path) else t for t in found]

    def _own_code(self) -> str:
        """Tandem's own modules, by content (each read again only when its stat changes): an
        edited checkout never replays an older verdict, and every machine running the same
        Tandem computes the same keys."""
        package = Path(tandem.__file__).parent
        digest = hashlib.sha256()
        for path in sorted(package.rglob("*.py")):
            where = path.relative_to(package).as_posix()
            digest.update(f"{where} {self.contents.digest(path)}\n".encode())
        return digest.hexdigest()[:16]

    def _verdict_settings(self, task: Task) -> str:
        timeout = task.project.timeout or self.settings.timeout
        retries = task.project.retries
        retries = self.settings.retries if retries is None else retries
        return f"timeout={timeout} retries={retries if task.step is Step.TEST else 0}"

    def _project(self, project: Project) -> list[str]:
        """What every step of a project shares: its settings, variables and files."""
        patterns = (*ADAPTERS[project.language].ENV, *project.env)
        variables = self._once(
            ("env", patterns), lambda: _environment(patterns, self.environ)
        )
        rel = _relative(project.path, self.root)
        return [
            f"project {_settings(project, self.root)}",
            *(f"env {k}={v}" for k, v in variables),
            f"files {self._under(rel)}",
            *(f"beside {folder} {self._beside(folder)}" for folder in _above(rel)),
        ]

    def _needed(self, project: Project) -> list[str]:
        """The files of every project this one needs, directly or not."""
        return [
            f"needed {need.name} {self._under(_relative(need.path, self.root))}"
            for need in _closure(project, self.projects)
        ]

    def _under(self, folder: str) -> str:
        files = self.tree.under
        return self._once(("under", folder), lambda: self.tree.digest(files(folder)))

    def _beside(self, folder: str) -> str:
        files = self.tree.beside
        return self._once(("beside", folder), lambda: self.tree.digest(files(folder)))


def _digest(lines: Iterator[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()[:40]


def _settings(project: Project, root: Path) -> str:
    """The project's settings, with paths relative to the root (a clone elsewhere shares keys)."""
    # The step's own arguments are its key's (`step` line): another step's change none of it.
    return repr(
        (
            project.name,
            _relative(project.path, root),
            project.needs,
            project.timeout,
            sorted(step.value for step in project.skip),
            project.xdist,
            project.test_requires,
            project.formatter,
            tuple(_relative(path, root) for path in project.nested),
            project.env,
            project.generate,  # generated files are left out of fmt and vet
        )
    )


def _tools(project: Project, step: Step, root: Path) -> tuple[Path | str, ...]:
    return for_step(project.language, step).tools(project, step, root)


def _environment(
    patterns: tuple[str, ...], environ: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The variables, set here, that results may depend on."""
    return sorted(
        (name, value)
        for name, value in environ.items()
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
    )


def _closure(project: Project, projects: Mapping[str, Project]) -> list[Project]:
    """Every project `project` needs, directly or not, by name."""
    seen: dict[str, Project] = {}
    stack = list(project.needs)
    while stack:
        name = stack.pop()
        if name not in seen and name in projects:
            seen[name] = projects[name]
            stack.extend(projects[name].needs)
    return [seen[name] for name in sorted(seen)]


def _relative(path: Path, root: Path) -> str:
    """A root-relative "/" path ("" for the root); absolute when outside it."""
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
    return "" if rel == "." else rel


def _above(rel: str) -> list[str]:
    """The directories from the project's parent up to the root ("")."""
    if not rel:
        return []
    return [
        p.as_posix() if p.as_posix() != "." else "" for p in PurePosixPath(rel).parents
    ]
