"""Test requirements that projects keep in their tools' own tables: hatch (or hatch.toml), Poetry,
PDM and tox, and the Python that uv's `[tool.uv.dependency-groups]` limits a group to.

Each reader returns PEP 508 requirement strings; a table in another shape gives nothing.
Poetry's version constraints are translated (`^1.2` is `>=1.2,<2`, `~1.2` is `>=1.2,<1.3`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tandem import tomlfile
from tandem.lazy import lazy

configparser = lazy("configparser")  # tox.ini and setup.cfg only

TEST_NAMES = ("test", "tests", "testing", "dev")
HATCH_ENVS = ("default", "hatch-test", *TEST_NAMES)
_CONSTRAINT = re.compile(r"^\s*([\^~])\s*(\d+(?:\.\d+)*)\s*$")
# tox's own pattern for a line that only some environments get: `py312,pytest8: dep`.
_TOX_FACTORS = re.compile(r"^([\w.!,-]+):\s+(.+)$")

specifier_sets = lazy("packaging.specifiers")


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def requirements(pyproject: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    """Test requirements from hatch environments (hatch.toml in `path` or the pyproject),
    Poetry groups and PDM dev groups."""
    tool = _table(pyproject.get("tool"))
    # hatch lays hatch.toml's top-level tables over `[tool.hatch]`'s.
    hatch = {**_table(tool.get("hatch")), **_hatch_config(path)}
    return (*_hatch(hatch), *_poetry(tool), *_pdm(tool))


def _hatch_config(path: Path) -> Mapping[str, Any]:
    """The project's hatch.toml; empty when there is none."""
    try:
        return tomlfile.load(path / "hatch.toml")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _hatch(hatch: Mapping[str, Any]) -> Iterator[str]:
    envs = _table(hatch.get("envs"))
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
            # A list holds one constraint per Python or platform ("multiple constraints").
            for one in spec if isinstance(spec, list) else [spec]:
                requirement = poetry_requirement(name, one)
                if requirement:
                    yield requirement


def poetry_requirement(name: str, spec: Any) -> str | None:
    """A Poetry dependency as a PEP 508 requirement; None for Python itself, paths and VCS."""
    if isinstance(spec, Mapping):
        if not isinstance(spec.get("version"), str):
            return None
        extras = ",".join(_strings(spec.get("extras")))
        named = f"{name}[{extras}]" if extras else name
        required = poetry_requirement(named, spec["version"])
        return with_marker(required, _poetry_marker(spec)) if required else None
    if name == "python" or not isinstance(spec, str):
        return None
    return f"{name}{_constraint(spec)}"


def _poetry_marker(spec: Mapping[str, Any]) -> str:
    """The environment marker of a Poetry dependency's `python` and `markers` keys."""
    python, markers = spec.get("python"), spec.get("markers")
    found = [
        python_marker(_constraint(python)) if isinstance(python, str) else "",
        f"({markers})" if isinstance(markers, str) and markers.strip() else "",
    ]
    return " and ".join(m for m in found if m)


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


def uv_group_marker(pyproject: Mapping[str, Any], group: str) -> str:
    """The environment marker uv puts on a dependency group's requirements for the Python its
    `[tool.uv.dependency-groups]` table asks for; "" when it asks for none."""
    groups = _table(
        _table(_table(pyproject.get("tool")).get("uv")).get("dependency-groups")
    )
    wanted = _table(groups.get(group)).get("requires-python")
    return python_marker(wanted) if isinstance(wanted, str) else ""


def python_marker(specifiers: str) -> str:
    """A Python version specifier (`>=3.12,<4`) as an environment marker; "" for none."""
    try:
        found = specifier_sets.SpecifierSet(specifiers)
    except specifier_sets.InvalidSpecifier:
        return ""
    # Sorted: a SpecifierSet has no order, and the environment's digest must not change.
    return " and ".join(
        f"python_full_version {s.operator} '{s.version}'"
        for s in sorted(found, key=str)
    )


def with_marker(requirement: str, marker: str) -> str:
    """The requirement, applying only where `marker` holds as well as its own marker."""
    if not marker:
        return requirement
    spec, _, own = requirement.partition(";")
    both = f"({own.strip()}) and ({marker})" if own.strip() else marker
    return f"{spec.strip()} ; {both}"


def tox_requirements(path: Path) -> tuple[str, ...]:
    """The `deps` of tox.ini's `[testenv]`, less substitutions, installer options and the lines
    that only factored environments (`py312: dep`) get."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path / "tox.ini", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return ()
    lines = parser.get("testenv", "deps", fallback="").splitlines()
    kept = (_unconditional(line.split(" #")[0].strip()) for line in lines)
    return tuple(
        line for line in kept if line and "{" not in line and line[0] not in "#-"
    )


def _unconditional(line: str) -> str:
    """A deps line as the plain `[testenv]` gets it: "" when only factored environments do."""
    match = _TOX_FACTORS.match(line)
    if match is None:
        return line
    # The plain environment has none of the factors: only negated ones (`!x: dep`) hold.
    negated = all(f.startswith("!") for f in match[1].split(","))
    return match[2] if negated else ""
