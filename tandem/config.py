"""`[tool.tandem]` in the root pyproject.toml: read with tomllib, validated, unknown keys reported.

Project patterns live in a top-level `include` (with `exclude` beside it), so that
per-project tables `[tool.tandem.projects.NAME]` combine with them. The older shapes
still work: `projects = [...]` as the list of patterns, or a `projects` table whose
`include` key holds them. Without patterns, projects are found anywhere under the root.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import SplitResult, urlsplit

from tandem import DEFAULT_STATE, tomlfile
from tandem.adapters import protoc_spec
from tandem.model import Generation, Step, TandemError

DEFAULT_TIMEOUT = 900.0
DEFAULT_OUTPUT = ".tandem/dist"
DEFAULT_CACHE_MB = 2048
TOP_KEYS = (
    "include",
    "exclude",
    "projects",
    "timeout",
    "jobs",
    "output",
    "state",
    "secrets",
    "cache-size",
    "env",
    "remote-cache",
)
REMOTE_KEYS = ("url", "team", "read-only")
PROJECT_KEYS = (
    "needs",
    "timeout",
    "skip",
    "args",
    "xdist",
    "test-requires",
    "formatter",
    "retries",
    "env",
    "generate",
)
FORMATTERS = ("black", "ruff")
URL_SCHEMES = ("http", "https")
# Printable ASCII without spaces: a team goes into URLs and into what signatures cover.
TEAM = re.compile(r"[!-~]+")


@dataclass(frozen=True)
class Override:
    """Per-project settings from `[tool.tandem.projects.NAME]`."""

    needs: tuple[str, ...] = ()
    timeout: float | None = None
    skip: frozenset[Step] = frozenset()
    args: Mapping[Step, tuple[str, ...]] = field(default_factory=dict)
    xdist: bool | None = None
    test_requires: tuple[str, ...] = ()
    formatter: str | None = None
    retries: int | None = None
    env: tuple[str, ...] = ()
    generate: Generation | None = None


@dataclass(frozen=True)
class RemoteCache:
    """`[tool.tandem.remote-cache]`: the shared cache's server; its token lives in the environment."""

    url: str = ""  # "" = no remote cache (unless the environment names one)
    team: str = ""
    read_only: bool | None = None  # None: not set here


@dataclass(frozen=True)
class Config:
    """The validated `[tool.tandem]` table; paths and patterns are root-relative, "/" separated."""

    include: tuple[str, ...] = ()  # glob patterns of project directories; () = anywhere
    exclude: tuple[str, ...] = ()  # glob patterns of directories never looked into
    timeout: float = DEFAULT_TIMEOUT
    jobs: int | None = None
    output: str = DEFAULT_OUTPUT  # build output root: OUTPUT/NAME per project
    state: str = DEFAULT_STATE  # environments and durations kept between runs
    overrides: Mapping[str, Override] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()  # environment variables whose values are masked
    cache_size: int = DEFAULT_CACHE_MB * 1024 * 1024  # bytes the result cache may hold
    env: tuple[str, ...] = ()  # variables (or globs) every project's results depend on
    remote_cache: RemoteCache = RemoteCache()


def find_root(start: Path) -> Path:
    """The root for a run started in `start`: the nearest `[tool.tandem]`, else the git top, else `start`."""
    start = start.resolve()
    folders = (start, *start.parents)
    configured = (f for f in folders if _configures_tandem(f / "pyproject.toml"))
    in_git = (f for f in folders if (f / ".git").exists())
    return next(configured, None) or next(in_git, start)


def _configures_tandem(path: Path) -> bool:
    try:
        tool = tomlfile.load(path).get("tool")  # parsed once: load_config reads it next
    except OSError:
        return False
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        # Still the root: loading it there reports the mistake instead of running elsewhere.
        return b"tool.tandem" in path.read_bytes()
    return isinstance(tool, dict) and "tandem" in tool


def load_config(root: Path) -> Config:
    """Read `[tool.tandem]` from `root/pyproject.toml`; defaults when there is none."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return Config()
    try:
        document = tomlfile.load(path)
    except UnicodeDecodeError as exc:
        raise TandemError(
            f"{path} is not valid UTF-8 (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise TandemError(f"cannot read {path} ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TandemError(f"{path} is not valid TOML ({exc}); fix the file") from None
    return parse_config(_tandem_table(document, path), f"{path} [tool.tandem]")


def _tandem_table(document: Mapping[str, Any], path: Path) -> Any:
    tool = document.get("tool", {})
    if not isinstance(tool, Mapping):
        raise TandemError(f"{path}: tool must be a table, not {tool!r}")
    return tool.get("tandem", {})


def parse_config(table: Mapping[str, Any], where: str = "[tool.tandem]") -> Config:
    """Validate a `[tool.tandem]` table into a Config."""
    if not isinstance(table, Mapping):
        raise TandemError(f"{where} must be a table, not {table!r}")
    _check_keys(table, TOP_KEYS, where)
    return Config(
        include=_include(table, where),
        exclude=_patterns(table.get("exclude", []), f"{where} exclude"),
        timeout=_seconds(table.get("timeout", DEFAULT_TIMEOUT), f"{where} timeout"),
        jobs=_jobs(table.get("jobs"), f"{where} jobs"),
        output=_directory(table.get("output", DEFAULT_OUTPUT), f"{where} output"),
        state=_directory(table.get("state", DEFAULT_STATE), f"{where} state"),
        overrides={
            name: _override(value, f"{where}.projects.{name}")
            for name, value in _project_tables(table).items()
        },
        secrets=_names(table.get("secrets", []), f"{where} secrets"),
        cache_size=_megabytes(table.get("cache-size", DEFAULT_CACHE_MB), where),
        env=_strings(table.get("env", []), f"{where} env"),
        remote_cache=_remote_cache(
            table.get("remote-cache", {}), f"{where}.remote-cache"
        ),
    )


def _remote_cache(table: Any, where: str) -> RemoteCache:
    if not isinstance(table, Mapping):
        raise TandemError(
            f'{where} must be a table like {{ url = "https://cache.example" }}'
        )
    if "token" in table:
        raise TandemError(
            f"{where}: a token is a secret, never in a file; set TANDEM_REMOTE_CACHE_TOKEN"
        )
    _check_keys(table, REMOTE_KEYS, where)
    url, team = table.get("url"), table.get("team")
    return RemoteCache(
        url="" if url is None else remote_url(url, f"{where} url"),
        team="" if team is None else remote_team(team, f"{where} team"),
        read_only=_flag(table.get("read-only"), f"{where} read-only"),
    )


def remote_url(value: Any, where: str) -> str:
    """A remote cache's base URL, checked: http(s)://host[/path], without a trailing "/"."""
    parts = _url_parts(value)
    if not parts or parts.scheme not in URL_SCHEMES or not parts.hostname:
        raise TandemError(
            f"{where} must be an http:// or https:// URL like https://cache.example, not {value!r}"
        )
    if parts.query or parts.fragment:
        raise TandemError(
            f"{where}: {value!r} holds a query or fragment; give the base URL"
        )
    return value.rstrip("/")


def _url_parts(value: Any) -> SplitResult | None:
    try:
        return urlsplit(value) if isinstance(value, str) else None
    except ValueError:
        return None  # an unclosed IPv6 bracket...


def remote_team(value: Any, where: str) -> str:
    """A remote cache team (a Vercel team id `team_...` or a slug), checked."""
    if not isinstance(value, str) or not TEAM.fullmatch(value):
        raise TandemError(
            f"{where} must be a team id or slug without spaces (like 'my-team'), not {value!r}"
        )
    return value


def _megabytes(value: Any, where: str) -> int:
    """`cache-size`, a whole number of MiB, in bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TandemError(
            f"{where} cache-size must be a whole number of MiB of at least 1, not {value!r}"
        )
    return value * 1024 * 1024


def _include(table: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """The project patterns from `include`, `projects = [...]` or `projects.include`."""
    projects = table.get("projects", {})
    nested = isinstance(projects, Mapping)
    if nested and (
        "include" not in projects or isinstance(projects["include"], Mapping)
    ):
        return _patterns(table.get("include", []), f"{where} include")
    key = "projects.include" if nested else "projects"
    if "include" in table:
        raise TandemError(
            f"{where}: project patterns are set twice (include and {key}); keep only include"
        )
    return _patterns(projects["include"] if nested else projects, f"{where} {key}")


def _project_tables(table: Mapping[str, Any]) -> Mapping[str, Any]:
    projects = table.get("projects", {})
    if not isinstance(projects, Mapping):
        return {}
    # A table named "include" is a project's settings, not the patterns.
    return {
        k: v for k, v in projects.items() if k != "include" or isinstance(v, Mapping)
    }


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    patterns = _strings(value, where)
    for pattern in patterns:
        _check_relative(pattern, where, "patterns")
    return patterns


def _check_relative(value: str, where: str, what: str) -> None:
    if not value.strip():
        raise TandemError(f"{where}: an empty string names nothing; remove it")
    if value.startswith(("/", "\\")) or Path(value).is_absolute():
        raise TandemError(
            f"{where}: {value!r} is absolute; {what} are relative to the root"
        )
    if ".." in value.replace("\\", "/").split("/"):
        raise TandemError(
            f"{where}: {value!r} leaves the root with '..'; {what} stay under it"
        )


def _directory(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise TandemError(f"{where} must be a root-relative path like '.tandem'")
    _check_relative(value, where, "paths")
    normal = PurePosixPath(value).as_posix()
    if normal == ".":
        raise TandemError(f"{where} must name a directory under the root, not the root")
    return normal


def _override(table: Any, where: str) -> Override:
    if not isinstance(table, Mapping):
        raise TandemError(
            f"{where} must be a table of settings ({', '.join(PROJECT_KEYS)})"
        )
    _check_keys(table, PROJECT_KEYS, where)
    timeout = table.get("timeout")
    skip = _strings(table.get("skip", []), f"{where} skip")
    return Override(
        needs=_strings(table.get("needs", []), f"{where} needs"),
        timeout=None if timeout is None else _seconds(timeout, f"{where} timeout"),
        skip=frozenset(_step(s, f"{where} skip") for s in skip),
        args=_args(table.get("args", {}), f"{where} args"),
        xdist=_flag(table.get("xdist"), f"{where} xdist"),
        test_requires=_strings(
            table.get("test-requires", []), f"{where} test-requires"
        ),
        formatter=_formatter(table.get("formatter"), f"{where} formatter"),
        retries=_retries(table.get("retries"), f"{where} retries"),
        env=_strings(table.get("env", []), f"{where} env"),
        generate=_generate(table.get("generate"), f"{where} generate"),
    )


def _generate(table: Any, where: str) -> Generation | None:
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise TandemError(
            f'{where} must be a table like {{ plugins = [{{ name = "go", out = "gen" }}] }}'
        )
    try:
        return protoc_spec.from_table(table, where)
    except protoc_spec.Invalid as exc:
        raise TandemError(str(exc)) from None


def _flag(value: Any, where: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TandemError(f"{where} must be true or false, not {value!r}")
    return value


def _formatter(value: Any, where: str) -> str | None:
    if value is not None and value not in FORMATTERS:
        known = " or ".join(repr(f) for f in FORMATTERS)
        raise TandemError(f"{where} must be {known}, not {value!r}")
    return value


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


def _names(value: Any, where: str) -> tuple[str, ...]:
    names = _strings(value, where)
    for name in names:
        if not name.strip() or "=" in name:
            raise TandemError(
                f"{where}: {name!r} is no environment variable name; use names like 'MY_VAR'"
            )
    return names


def _seconds(value: Any, where: str) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value <= 0:
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


def _retries(value: Any, where: str) -> int | None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or value < 0
    ):
        raise TandemError(
            f"{where} must be a whole number of at least 0, not {value!r}"
        )
    return value
