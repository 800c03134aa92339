"""Stage 1: find the projects under the root and the dependencies between them."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tandem.adapters import ADAPTERS
from tandem.config import Config, Override
from tandem.model import Project, TandemError


@dataclass(frozen=True)
class Discovery:
    """The projects found, in name order, and what was passed over."""

    projects: tuple[Project, ...]
    warnings: tuple[str, ...] = ()


def discover(root: Path, config: Config) -> Discovery:
    """Every directory matched by the config's patterns that is a Go module or a Python project."""
    root = root.resolve()
    found: dict[str, tuple[str, Path]] = {}
    warnings = []
    for path in _matches(root, config.patterns):
        language = _language(root, path)
        if language is None:
            warnings.append(
                f"{path.relative_to(root)}: neither go.mod nor pyproject.toml; passed over"
            )
        elif path.name in found:
            raise TandemError(
                f"two projects are named {path.name!r}: {found[path.name][1]} and {path}"
            )
        else:
            found[path.name] = (language, path)
    _check_overrides(config, found)
    projects = tuple(
        _project(name, *found[name], found, config) for name in sorted(found)
    )
    check_acyclic(projects)
    return Discovery(projects, tuple(warnings))


def _matches(root: Path, patterns: Iterable[str]) -> list[Path]:
    seen = {
        p.resolve() for pattern in patterns for p in root.glob(pattern) if p.is_dir()
    }
    return sorted(p for p in seen if not p.name.startswith("."))


def _language(root: Path, path: Path) -> str | None:
    languages = [
        name for name, adapter in ADAPTERS.items() if (path / adapter.MARKER).is_file()
    ]
    if len(languages) > 1:
        markers = " and ".join(ADAPTERS[name].MARKER for name in languages)
        raise TandemError(
            f"{path.relative_to(root)} has both {markers}; keep one project per directory"
        )
    return languages[0] if languages else None


def _check_overrides(config: Config, found: dict[str, tuple[str, Path]]) -> None:
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
    found: dict[str, tuple[str, Path]],
    config: Config,
) -> Project:
    by_path = {p: n for n, (_, p) in found.items()}
    local = ADAPTERS[language].local_requirements(path)
    implied = (by_path[p.resolve()] for p in local if p.resolve() in by_path)
    override = config.overrides.get(name, Override())
    needs = tuple(sorted({*implied, *override.needs} - {name}))
    return Project(
        name, language, path, needs, override.timeout, override.args, override.skip
    )


def check_acyclic(projects: Iterable[Project]) -> None:
    """Raise a TandemError naming the cycle when projects need each other in a circle."""
    try:
        graphlib.TopologicalSorter({p.name: p.needs for p in projects}).prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(reversed(exc.args[1]))
        raise TandemError(
            f"projects need each other in a cycle: {cycle}; break it in the config"
        ) from None
