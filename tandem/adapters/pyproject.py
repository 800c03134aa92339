"""What a Python project declares, read where real projects keep it; nothing here runs a tool.

Test requirements come from the `test`, `tests`, `testing` and `dev` dependency groups (PEP 735)
and extras, and from test requirements files; tool versions from the project's lock or its `==`
pins; whether pytest-xdist is used from the project's own pytest configuration.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tandem import tomlfile
from tandem.adapters import precommit, tool_envs, uv_workspace
from tandem.lazy import lazy

configparser = lazy("configparser")  # tox.ini and setup.cfg only

TEST_NAMES = tool_envs.TEST_NAMES
REQUIREMENT_FILES = (
    "requirements-test*.txt",
    "requirements_test*.txt",
    "test-requirements*.txt",
    "test_requirements*.txt",
    "requirements-dev*.txt",
    "dev-requirements*.txt",
    "requirements/test*.txt",
    "requirements/dev*.txt",
    "tests/requirements*.txt",
)
LOCK = "uv.lock"
RUFF_FILES = ("ruff.toml", ".ruff.toml")
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PIN = re.compile(
    r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9.+!-]+)\s*(?:;.*)?$"
)
_DIRECT_URL = re.compile(r"@\s*(file:\S+)")
_XDIST_FLAGS = re.compile(r"^(-n\S*|--numprocesses(=.*)?|-d|--dist(=.*)?|--tx(=.*)?)$")


def read_pyproject(path: Path) -> Mapping[str, Any]:
    """The parsed pyproject.toml of a directory; empty when unreadable (the installer says why)."""
    try:
        return tomlfile.load(path / "pyproject.toml")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


normalise = uv_workspace.normalise


def static_name(path: Path) -> str:
    """The distribution name `[project]` states, normalised; "" when it states none."""
    project = _table(read_pyproject(path).get("project"))
    name = project.get("name")
    dynamic = project.get("dynamic")
    named = isinstance(name, str) and not (
        isinstance(dynamic, list) and "name" in dynamic
    )
    return normalise(name) if named else ""


def requirement_name(requirement: str) -> str:
    """The normalised distribution name a requirement string names ("" for none)."""
    match = _NAME.match(requirement)
    return normalise(match[1]) if match else ""


def test_groups(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    """The dependency groups that hold test requirements: by name, or because they bring pytest."""
    groups = _table(pyproject.get("dependency-groups"))
    return _test_names(groups, lambda name: group_requirements(pyproject, name))


def test_extras(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    """The extras that hold test requirements: by name, or because they bring pytest."""
    extras = _table(_table(pyproject.get("project")).get("optional-dependencies"))
    return _test_names(extras, lambda name: _strings(extras[name]))


def _test_names(
    tables: Mapping[str, Any], requirements: Callable[[str], Iterable[str]]
) -> tuple[str, ...]:
    """The tables named for tests; failing those, every table that brings pytest."""
    named = tuple(name for name in TEST_NAMES if name in tables)
    if named:
        return named
    return tuple(
        sorted(
            name
            for name in tables
            if any(requirement_name(r) == "pytest" for r in requirements(name))
        )
    )


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def group_requirements(pyproject: Mapping[str, Any], group: str) -> tuple[str, ...]:
    """A PEP 735 dependency group's requirements, with `include-group` entries expanded and
    uv's Python limits (`[tool.uv.dependency-groups]`) as markers."""
    groups = _table(pyproject.get("dependency-groups"))
    seen: set[str] = set()

    def expand(name: str) -> Iterator[str]:
        if name in seen or not isinstance(groups.get(name), list):
            return
        seen.add(name)
        # uv limits a group to the Python its tool.uv table names, included groups with it.
        marker = tool_envs.uv_group_marker(pyproject, name)
        for entry in groups[name]:
            if isinstance(entry, str):
                yield tool_envs.with_marker(entry, marker)
            elif isinstance(entry, Mapping) and "include-group" in entry:
                for found in expand(entry["include-group"]):
                    yield tool_envs.with_marker(found, marker)

    return tuple(expand(group))


def requirement_files(path: Path) -> tuple[Path, ...]:
    """Test requirements files of the project, in a stable order."""
    found = {
        p for pattern in REQUIREMENT_FILES for p in path.glob(pattern) if p.is_file()
    }
    return tuple(sorted(found))


def file_requirements(file: Path) -> tuple[str, ...]:
    """The requirement lines of a requirements file (options and includes left to the installer)."""
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ()
    kept = (line.split(" #")[0].strip() for line in lines)
    return tuple(line for line in kept if line and not line.startswith(("#", "-")))


def test_requirements(path: Path, pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    """Test requirements beyond the project's metadata: its test groups and its tools' tables,
    and tox's `deps` when nothing else declares any."""
    groups = [
        r for g in test_groups(pyproject) for r in group_requirements(pyproject, g)
    ]
    found = (*groups, *tool_envs.requirements(pyproject, path))
    if found or test_extras(pyproject) or requirement_files(path):
        return found
    return tool_envs.tox_requirements(path)


def declared(path: Path, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Every requirement the project declares for running its tests."""
    pyproject = read_pyproject(path)
    project = _table(pyproject.get("project"))
    extras = _table(project.get("optional-dependencies"))
    found = [*_strings(project.get("dependencies"))]
    found += [r for name in test_extras(pyproject) for r in _strings(extras[name])]
    found += test_requirements(path, pyproject)
    found += [r for file in requirement_files(path) for r in file_requirements(file)]
    return (*found, *extra)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def declares(path: Path, name: str, extra: Iterable[str] = ()) -> bool:
    """True when the project at `path` declares the distribution `name` for its tests."""
    return normalise(name) in {requirement_name(r) for r in declared(path, extra)}


def lock_file(path: Path) -> Path | None:
    """The uv.lock that governs the project: its own, else its uv workspace's."""
    if (path / LOCK).is_file():
        return path / LOCK
    root = uv_workspace.workspace_root(path)
    return root / LOCK if root and (root / LOCK).is_file() else None


def locked_versions(lock: Path | None) -> dict[str, str]:
    """Normalised name -> version of every package a uv.lock pins."""
    try:
        document = tomlfile.load(lock) if lock else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    packages = document.get("package", [])
    return {
        normalise(p["name"]): str(p["version"])
        for p in packages
        if isinstance(p, Mapping) and "name" in p and "version" in p
    }


def pinned(path: Path, tool: str, extra: Iterable[str] = ()) -> str | None:
    """The version of `tool` the project pins: in its lock, with `==`, or in its pre-commit hooks."""
    locked = locked_versions(lock_file(path)).get(normalise(tool))
    if locked:
        return locked
    pins = (m for r in declared(path, extra) if (m := _PIN.match(r)))
    found = (m[2] for m in pins if normalise(m[1]) == normalise(tool))
    return next(found, None) or precommit.pinned(path, tool)


def pytest_addopts(path: Path) -> tuple[str, ...]:
    """The `addopts` of the project's pytest configuration (the file pytest itself would pick)."""
    for name in ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
        found = (
            _toml_addopts(path)
            if name == "pyproject.toml"
            else _ini_addopts(path / name)
        )
        if found is not None:
            return found
    return ()


def _ini_addopts(file: Path) -> tuple[str, ...] | None:
    """`addopts` from an ini file's pytest section; None when the file has no such section."""
    section = {"tox.ini": "pytest", "setup.cfg": "tool:pytest"}.get(file.name, "pytest")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(file, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    if not parser.has_section(section):
        # pytest.ini is pytest's configuration even without a [pytest] section.
        return () if file.name.endswith("pytest.ini") and file.is_file() else None
    return _words(parser.get(section, "addopts", fallback=""))


def _toml_addopts(path: Path) -> tuple[str, ...] | None:
    pytest = _table(_table(read_pyproject(path).get("tool")).get("pytest"))
    if not pytest:
        return None
    options = _table(pytest.get("ini_options")) or pytest
    value = options.get("addopts", "")
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return _words(value) if isinstance(value, str) else ()


def _words(text: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(text))
    except ValueError:
        return tuple(text.split())


def configures_xdist(path: Path) -> bool:
    """True when the project's own pytest configuration runs its tests under pytest-xdist."""
    return any(_XDIST_FLAGS.match(word) for word in pytest_addopts(path))


def formatter(path: Path, extra: Iterable[str] = ()) -> str:
    """ "black" or "ruff": what the project's pre-commit hooks, configuration or requirements
    show it formats with; black when nothing does."""
    hooked = precommit.formatter(path)
    if hooked:
        return hooked
    tools = _table(read_pyproject(path).get("tool"))
    if "black" in tools or declares(path, "black", extra):
        return "black"
    configured = "ruff" in tools or any((path / n).is_file() for n in RUFF_FILES)
    return "ruff" if configured or declares(path, "ruff", extra) else "black"


def black_extend_exclude(path: Path) -> str:
    """The project's own `[tool.black] extend-exclude` regex; "" when it sets none."""
    black = _table(_table(read_pyproject(path).get("tool")).get("black"))
    value = black.get("extend-exclude", black.get("extend_exclude", ""))
    return value if isinstance(value, str) else ""


def local_requirements(path: Path) -> tuple[Path, ...]:
    """Absolute directories of the project's path and workspace requirements."""
    pyproject = read_pyproject(path)
    sources = _table(_table(_table(pyproject.get("tool")).get("uv")).get("sources"))
    found = [path / spec["path"] for spec in sources.values() if _is_path_source(spec)]
    found += [p for req in declared(path) if (p := _file_url_path(req, path))]
    found += uv_workspace.workspace_requirements(path)
    dirs = {p.resolve() for p in found}
    return tuple(sorted(d for d in dirs if d.is_dir() and d != path.resolve()))


def _is_path_source(spec: object) -> bool:
    return isinstance(spec, Mapping) and isinstance(spec.get("path"), str)


def _file_url_path(requirement: str, project: Path) -> Path | None:
    match = _DIRECT_URL.search(requirement.split(";")[0])
    if match is None:
        return None
    url = urlparse(match[1].replace("${PROJECT_ROOT}", project.as_posix()))
    if url.netloc not in ("", "localhost"):
        return None
    return project / unquote(url.path)


def local_closure(path: Path) -> tuple[Path, ...]:
    """Local requirements of a project and, transitively, of those; the project excluded."""
    seen: dict[Path, None] = {}
    todo = list(local_requirements(path))
    while todo:
        found = todo.pop(0)
        if found not in seen and found != path.resolve():
            seen[found] = None
            todo.extend(local_requirements(found))
    return tuple(seen)
