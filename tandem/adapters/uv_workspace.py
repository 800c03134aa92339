"""uv workspaces: the workspace a Python project belongs to, and the members it takes from it.

A workspace root is a directory whose pyproject.toml has `[tool.uv.workspace]`. Its
`members` globs, minus its `exclude` globs, name the member directories (each with a
pyproject.toml), and the root is a member itself when it has a `[project]` table. A
project takes a member from its workspace with `[tool.uv.sources] x = { workspace = true }`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tandem import tomlfile

PYPROJECT = "pyproject.toml"


def normalise(name: str) -> str:
    """A distribution name in its normal form (PEP 503): `My_Lib` -> `my-lib`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def workspace_root(path: Path, stop: Path | None = None) -> Path | None:
    """The nearest uv workspace root at or above `path` that has it as a member, or is it."""
    path = path.resolve()
    for folder in (path, *path.parents):
        table = _workspace(folder)
        if table is not None and (
            folder == path or path in _member_dirs(folder, table)
        ):
            return folder
        if folder == stop:
            break
    return None


def members(root: Path) -> dict[str, Path]:
    """Normalised distribution name -> absolute directory, for each member of the workspace."""
    root = root.resolve()
    found: dict[str, Path] = {}
    for folder in (root, *_member_dirs(root, _workspace(root) or {})):
        name = _table(_read(folder), "project").get("name")
        if isinstance(name, str):
            found.setdefault(normalise(name), folder)
    return found


def workspace_requirements(path: Path) -> tuple[Path, ...]:
    """Absolute directories of the members that the project at `path` takes from its workspace."""
    sources = _table(_read(path), "tool", "uv", "sources")
    wanted = {
        normalise(name) for name, spec in sources.items() if _from_workspace(spec)
    }
    root = workspace_root(path) if wanted else None
    if root is None:
        return ()
    found, path = members(root), path.resolve()
    return tuple(sorted(found[n] for n in wanted if n in found and found[n] != path))


def _from_workspace(spec: object) -> bool:
    return isinstance(spec, dict) and spec.get("workspace") is True


def _member_dirs(root: Path, table: Mapping[str, Any]) -> tuple[Path, ...]:
    excluded = set(_globbed(root, table.get("exclude", [])))
    included = _globbed(root, table.get("members", []))
    return tuple(
        sorted(d for d in set(included) - excluded if (d / PYPROJECT).is_file())
    )


def _globbed(root: Path, patterns: object) -> list[Path]:
    if not isinstance(patterns, list):
        return []
    found = []
    for pattern in (p for p in patterns if isinstance(p, str) and p):
        try:
            found += [p.resolve() for p in root.glob(pattern) if p.is_dir()]
        except (ValueError, NotImplementedError):
            continue  # an absolute pattern: uv rejects it with its own message
    return found


def _workspace(folder: Path) -> Mapping[str, Any] | None:
    tool = _table(_read(folder), "tool", "uv")
    workspace = tool.get("workspace")
    return workspace if isinstance(workspace, dict) else None


def _read(folder: Path) -> Mapping[str, Any]:
    try:
        return tomlfile.load(folder / PYPROJECT)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _table(document: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = document.get(key)
        document = value if isinstance(value, dict) else {}
    return document
