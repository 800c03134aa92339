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
import functools
import hashlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import tandem
from tandem.adapters import ADAPTERS
from tandem.cache.files import Tree
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
) -> dict[str, str]:
    """The key of every task, by task id."""
    by_id = {task.id: task for task in tasks}
    keys = _Keys(by_id, {p.name: p for p in projects}, tree, root, settings, environ)
    return {task.id: keys.of(task.id) for task in tasks}


class _Keys:
    """Keys computed once each, needed tasks first."""

    def __init__(self, tasks, projects, tree, root, settings, environ) -> None:
        self.tasks, self.projects, self.tree = tasks, projects, tree
        self.root, self.settings, self.environ = root, settings, environ
        self.known: dict[str, str] = {}
        self.variables: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        self.digests: dict[tuple[str, str], str] = {}  # each directory's, computed once

    def of(self, task_id: str) -> str:
        if task_id not in self.known:
            self.known[task_id] = _digest(self._lines(self.tasks[task_id]))
        return self.known[task_id]

    def _lines(self, task: Task) -> Iterator[str]:
        project = task.project
        yield f"tandem {tandem.__version__} {_own_code()}"
        yield f"platform {sys.platform} {os.uname().machine}"
        yield f"step {project.language} {task.step.value}"
        yield f"project {_settings(project, self.root)}"
        yield f"run {self._verdict_settings(task)}"
        yield from (f"tool {tool}" for tool in _tools(project, task.step))
        patterns = (*ADAPTERS[project.language].ENV, *project.env)
        yield from (f"env {k}={v}" for k, v in self._variables(patterns))
        yield from self._files(project, task.step)
        yield from (f"needs {need} {self.of(need)}" for need in sorted(task.needs))

    def _variables(self, patterns: tuple[str, ...]) -> list[tuple[str, str]]:
        if patterns not in self.variables:
            self.variables[patterns] = _environment(patterns, self.environ)
        return self.variables[patterns]

    def _verdict_settings(self, task: Task) -> str:
        timeout = task.project.timeout or self.settings.timeout
        retries = task.project.retries
        retries = self.settings.retries if retries is None else retries
        return f"timeout={timeout} retries={retries if task.step is Step.TEST else 0}"

    def _files(self, project: Project, step: Step) -> Iterator[str]:
        rel = _relative(project.path, self.root)
        yield f"files {self._under(rel)}"
        for folder in _above(rel):
            yield f"beside {folder} {self._beside(folder)}"
        # Formatting reads the project's own files; building, vetting and testing read its needs'.
        needed = () if step is Step.FMT else _closure(project, self.projects)
        for need in needed:
            yield f"needed {need.name} {self._under(_relative(need.path, self.root))}"

    def _under(self, folder: str) -> str:
        if ("under", folder) not in self.digests:
            self.digests["under", folder] = self.tree.digest(self.tree.under(folder))
        return self.digests["under", folder]

    def _beside(self, folder: str) -> str:
        if ("beside", folder) not in self.digests:
            self.digests["beside", folder] = self.tree.digest(self.tree.beside(folder))
        return self.digests["beside", folder]


def _digest(lines: Iterator[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()[:40]


@functools.cache
def _own_code() -> str:
    """Tandem's own modules as they are: an edited checkout never replays an older verdict."""
    package = Path(tandem.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        digest.update(
            f"{path.relative_to(package)} {st.st_size} {st.st_mtime_ns}\n".encode()
        )
    return digest.hexdigest()[:16]


def _settings(project: Project, root: Path) -> str:
    """The project's settings, with paths relative to the root (a clone elsewhere shares keys)."""
    args = sorted((step.value, list(args)) for step, args in project.args.items())
    return repr(
        (
            project.name,
            _relative(project.path, root),
            project.needs,
            project.timeout,
            args,
            sorted(step.value for step in project.skip),
            project.xdist,
            project.test_requires,
            project.formatter,
            tuple(_relative(path, root) for path in project.nested),
            project.env,
        )
    )


def _tools(project: Project, step: Step) -> tuple[str, ...]:
    return ADAPTERS[project.language].tools(project, step)


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
