"""Stage 1: find the projects under the root and the dependencies between them.

A directory with a go.mod is a Go module; one with a setup.py, or with a pyproject.toml
that describes a project (`[project]`, `[build-system]` or `[tool.poetry]`), is a Python
project. A pyproject.toml holding tool settings alone, like many a repository root's, makes
no project. Projects may nest. A project is named after its directory, or by its
root-relative path where two projects share a directory name. A project whose own files
cannot be read as its tools would read them is still found, with its problem beside it.
"""

from __future__ import annotations

import graphlib
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tandem import manifest, tomlfile
from tandem.adapters import ADAPTERS, protoc_spec
from tandem.config import Config, Override
from tandem.model import Project, TandemError
from tandem.walk import Rules, walk

GO, PYTHON = "go", "python"
PYPROJECT, SETUP_PY = "pyproject.toml", "setup.py"
PROJECT_TABLES = ("project", "build-system")
MARKERS = frozenset({"go.mod", PYPROJECT, SETUP_PY})

Found = Mapping[str, tuple[str, Path]]  # name -> (language, absolute path)


@dataclass(frozen=True)
class Discovery:
    """The projects found, in name order, what was passed over, and what is broken."""

    projects: tuple[Project, ...]
    warnings: tuple[str, ...] = ()
    broken: Mapping[str, str] = field(default_factory=dict)  # name -> its problem


def discover(root: Path, config: Config) -> Discovery:
    """Every Go module and Python project under the root that the config's patterns allow."""
    root = root.resolve()
    rules = Rules.of(config.include, config.exclude, (config.output, config.state))
    languages, warnings = _scan(root, rules)
    found = _names(root, languages)
    _check_overrides(config, found)
    projects, broken = _projects(found, config)
    check_acyclic(projects)
    notes = (
        f"{name}: {why}; until then its steps are error cases"
        for name, why in broken.items()
    )
    return Discovery(projects, (*warnings, *notes), broken)


def _projects(
    found: Found, config: Config
) -> tuple[tuple[Project, ...], dict[str, str]]:
    """The projects in name order, and the problems of those whose own files are broken."""
    by_path = {path: name for name, (_, path) in found.items()}
    nesting = _nesting(by_path)
    made = {
        name: _project(name, *found[name], by_path, nesting, config)
        for name in sorted(found)
    }
    broken = {name: problem for name, (_, problem) in made.items() if problem}
    return tuple(project for project, _ in made.values()), broken


def _scan(root: Path, rules: Rules) -> tuple[dict[Path, str], list[str]]:
    """The language of each project directory, and warnings for named ones that are none."""
    languages: dict[Path, str] = {}
    warnings = []
    for parts, files in walk(root, rules):
        if files.isdisjoint(MARKERS) and not rules.named(parts):
            continue  # most directories: decided without building a path
        path = root.joinpath(*parts)
        language = _language(root, path, files)
        if language:
            languages[path] = language
        elif rules.named(parts):
            warnings.append(
                f"{_relative(root, path)}: no go.mod, setup.py or pyproject.toml "
                "describing a project; passed over"
            )
    return languages, sorted(warnings)


def _language(root: Path, path: Path, files: frozenset[str]) -> str | None:
    python = _python_marker(path, files)
    if "go.mod" in files and python:
        raise TandemError(
            f"{_relative(root, path)} has both go.mod and {python}; "
            "keep one project per directory"
        )
    return GO if "go.mod" in files else PYTHON if python else None


def _python_marker(path: Path, files: frozenset[str]) -> str | None:
    if PYPROJECT in files and describes_project(path / PYPROJECT):
        return PYPROJECT
    return SETUP_PY if SETUP_PY in files else None


def describes_project(pyproject: Path) -> bool:
    """True unless the pyproject.toml holds tool settings alone."""
    try:
        document = tomlfile.load(pyproject)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # broken: the build step says how, rather than a silent pass-over
    tool = document.get("tool")
    poetry = isinstance(tool, dict) and "poetry" in tool
    return poetry or any(table in document for table in PROJECT_TABLES)


def _names(root: Path, languages: Mapping[Path, str]) -> dict[str, tuple[str, Path]]:
    """Each project under its directory name, or its root-relative path where names clash."""
    clashes = Counter(path.name for path in languages)
    found: dict[str, tuple[str, Path]] = {}
    for path in sorted(languages):
        unique = path == root or clashes[path.name] == 1
        name = path.name if unique else _relative(root, path)
        if name in found:
            raise TandemError(
                f"two projects are named {name!r}: {found[name][1]} and {path}; "
                "rename one directory"
            )
        found[name] = (languages[path], path)
    return found


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _check_overrides(config: Config, found: Found) -> None:
    known = ", ".join(sorted(found))
    for name, override in config.overrides.items():
        for needed in (name, *override.needs):
            if needed not in found:
                raise TandemError(
                    f"[tool.tandem.projects.{name}] names no project {needed!r} (known: {known})"
                )


def _project(
    name: str,
    language: str,
    path: Path,
    by_path: Mapping[Path, str],
    nesting: Mapping[Path, tuple[Path, ...]],
    config: Config,
) -> tuple[Project, str]:
    """The project, and what is wrong with its own files ("" when nothing is)."""
    implied, problem = _implied_needs(language, path, by_path)
    override = config.overrides.get(name, Override())
    needs = tuple(sorted({*implied, *override.needs} - {name}))
    readable = (path.resolve(), *(p for p, n in by_path.items() if n in needs))
    project = Project(
        name,
        language,
        path,
        needs=needs,
        timeout=override.timeout,
        args=override.args,
        skip=override.skip,
        xdist=override.xdist,
        test_requires=override.test_requires,
        formatter=override.formatter,
        retries=override.retries,
        env=(*config.env, *override.env),
        nested=nesting[path],
        generate=protoc_spec.declared(path, override.generate, readable),
    )
    return project, problem


def _implied_needs(
    language: str, path: Path, by_path: Mapping[Path, str]
) -> tuple[set[str], str]:
    """The projects this one builds against, read from its files; or why they cannot be read."""
    problem = manifest.problem(path) if language == PYTHON else ""
    if problem:
        return set(), problem
    try:
        local = [p.resolve() for p in ADAPTERS[language].local_requirements(path)]
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a symlink loop
        return set(), f"cannot read what it builds against ({exc}); fix the path"
    return {by_path[p] for p in local if p in by_path}, ""


def _nesting(paths: Iterable[Path]) -> dict[Path, tuple[Path, ...]]:
    """Each project directory's project directories strictly below it."""
    inside: dict[Path, list[Path]] = {path: [] for path in paths}
    # Up from each path, not every pair: thousands of projects stay cheap.
    for path in inside:
        for parent in path.parents:
            if parent in inside:
                inside[parent].append(path)
    return {path: tuple(sorted(below)) for path, below in inside.items()}


def check_acyclic(projects: Iterable[Project]) -> None:
    """Raise a TandemError naming the cycle when projects need each other in a circle."""
    try:
        graphlib.TopologicalSorter({p.name: p.needs for p in projects}).prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(reversed(exc.args[1]))
        raise TandemError(
            f"projects need each other in a cycle: {cycle}; break it in the config"
        ) from None
