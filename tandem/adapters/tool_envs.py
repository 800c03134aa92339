"""Test requirements that projects keep in their tools' own tables: hatch, Poetry, PDM and tox.

Each reader returns PEP 508 requirement strings; a table in another shape gives nothing.
Poetry's version constraints are translated (`^1.2` is `>=1.2,<2`, `~1.2` is `>=1.2,<1.3`).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

TEST_NAMES = ("test", "tests", "testing", "dev")
HATCH_ENVS = ("default", "hatch-test", *TEST_NAMES)
_CONSTRAINT = re.compile(r"^\s*([\^~])\s*(\d+(?:\.\d+)*)\s*$")


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def requirements(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    """Test requirements from hatch environments, Poetry groups and PDM dev groups."""
    tool = _table(pyproject.get("tool"))
    return (*_hatch(tool), *_poetry(tool), *_pdm(tool))


def _hatch(tool: Mapping[str, Any]) -> Iterator[str]:
    envs = _table(_table(tool.get("hatch")).get("envs"))
    for name in HATCH_ENVS:
        env = _table(envs.get(name))
        yield from _strings(env.get("dependencies"))
        yield from _strings(env.get("extra-dependencies"))


def _pdm(tool: Mapping[str, Any]) -> Iterator[str]:
    groups = _table(_table(tool.get("pdm")).get("dev-dependencies"))
    for name in TEST_NAMES:
        yield from _strings(groups.get(name))


def _poetry(tool: Mapping[str, Any]) -> Iterator[str]:
    poetry = _table(tool.get("poetry"))
    groups = _table(poetry.get("group"))
    tables = [_table(_table(groups.get(n)).get("dependencies")) for n in TEST_NAMES]
    for table in (*tables, _table(poetry.get("dev-dependencies"))):
        for name, spec in table.items():
            requirement = poetry_requirement(name, spec)
            if requirement:
                yield requirement


def poetry_requirement(name: str, spec: Any) -> str | None:
    """A Poetry dependency as a PEP 508 requirement; None for Python itself, paths and VCS."""
    if isinstance(spec, Mapping):
        if not isinstance(spec.get("version"), str):
            return None
        extras = ",".join(_strings(spec.get("extras")))
        name, spec = (f"{name}[{extras}]" if extras else name), spec["version"]
    if name == "python" or not isinstance(spec, str):
        return None
    return f"{name}{_constraint(spec)}"


def _constraint(spec: str) -> str:
    spec = spec.strip()
    if spec in ("", "*"):
        return ""
    match = _CONSTRAINT.match(spec)
    if match:
        return _range(match[1], match[2])
    if spec[0].isdigit():
        return f"=={spec}"
    return spec


def _range(operator: str, version: str) -> str:
    """`^` keeps the leftmost non-zero part; `~` keeps the minor (or the major alone)."""
    parts = [int(p) for p in version.split(".")]
    if operator == "^":
        keep = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
    else:
        keep = min(1, len(parts) - 1)
    upper = [*parts[:keep], parts[keep] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"


def tox_requirements(path: Path) -> tuple[str, ...]:
    """The `deps` of tox.ini's `[testenv]`, less substitutions and installer options."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path / "tox.ini", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return ()
    lines = parser.get("testenv", "deps", fallback="").splitlines()
    kept = (line.split(" #")[0].strip() for line in lines)
    return tuple(
        line for line in kept if line and "{" not in line and line[0] not in "#-"
    )
