"""`[tool.tandem]` in the root pyproject.toml: read with tomllib, validated, unknown keys reported.

TOML cannot hold both `projects = [...]` and `[tool.tandem.projects.NAME]`, so
`projects` is either the list of glob patterns, or a table whose `include` key
holds the patterns and whose sub-tables are per-project overrides.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tandem.model import Step, TandemError

DEFAULT_PATTERNS = ("projects/*",)
DEFAULT_TIMEOUT = 900.0
TOP_KEYS = ("projects", "timeout", "jobs")
PROJECT_KEYS = ("needs", "timeout", "skip", "args")


@dataclass(frozen=True)
class Override:
    """Per-project settings from `[tool.tandem.projects.NAME]`."""

    needs: tuple[str, ...] = ()
    timeout: float | None = None
    skip: frozenset[Step] = frozenset()
    args: Mapping[Step, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """The validated `[tool.tandem]` table."""

    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    timeout: float = DEFAULT_TIMEOUT
    jobs: int | None = None
    overrides: Mapping[str, Override] = field(default_factory=dict)


def load_config(root: Path) -> Config:
    """Read `[tool.tandem]` from `root/pyproject.toml`; defaults when there is none."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TandemError(f"{path} is not valid TOML ({exc}); fix the file") from None
    return parse_config(
        document.get("tool", {}).get("tandem", {}), f"{path} [tool.tandem]"
    )


def parse_config(table: Mapping[str, Any], where: str = "[tool.tandem]") -> Config:
    """Validate a `[tool.tandem]` table into a Config."""
    _check_keys(table, TOP_KEYS, where)
    projects = table.get("projects", list(DEFAULT_PATTERNS))
    if isinstance(projects, Mapping):
        patterns = projects.get("include", list(DEFAULT_PATTERNS))
        tables = {
            k: v
            for k, v in projects.items()
            if k != "include" or isinstance(v, Mapping)
        }
    else:
        patterns, tables = projects, {}
    return Config(
        patterns=_strings(patterns, f"{where} projects"),
        timeout=_seconds(table.get("timeout", DEFAULT_TIMEOUT), f"{where} timeout"),
        jobs=_jobs(table.get("jobs"), f"{where} jobs"),
        overrides={
            name: _override(value, f"{where}.projects.{name}")
            for name, value in tables.items()
        },
    )


def _override(table: Any, where: str) -> Override:
    if not isinstance(table, Mapping):
        raise TandemError(
            f"{where} must be a table of settings ({', '.join(PROJECT_KEYS)})"
        )
    _check_keys(table, PROJECT_KEYS, where)
    timeout = table.get("timeout")
    return Override(
        needs=_strings(table.get("needs", []), f"{where} needs"),
        timeout=None if timeout is None else _seconds(timeout, f"{where} timeout"),
        skip=frozenset(
            _step(s, f"{where} skip") for s in _strings(table.get("skip", []), where)
        ),
        args=_args(table.get("args", {}), f"{where} args"),
    )


def _args(table: Any, where: str) -> dict[Step, tuple[str, ...]]:
    if not isinstance(table, Mapping):
        raise TandemError(f'{where} must be a table like {{ test = ["-race"] }}')
    return {
        _step(step, where): _strings(argv, f"{where}.{step}")
        for step, argv in table.items()
    }


def _step(value: str, where: str) -> Step:
    try:
        return Step(value)
    except ValueError:
        known = ", ".join(s.value for s in Step)
        raise TandemError(f"{where}: unknown step {value!r} (known: {known})") from None


def _check_keys(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise TandemError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(known)})"
        )


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TandemError(f"{where} must be a list of strings")
    return tuple(value)


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise TandemError(
            f"{where} must be a positive number of seconds, not {value!r}"
        )
    return float(value)


def _jobs(value: Any, where: str) -> int | None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or value < 1
    ):
        raise TandemError(
            f"{where} must be a whole number of at least 1, not {value!r}"
        )
    return value
