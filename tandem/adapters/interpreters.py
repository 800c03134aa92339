"""The Python a project asks for (`.python-version`, `requires-python`) and an installed one that fits.

Interpreters are found without running them: Tandem's own, pyenv's and uv's installations (their
directory names carry the version), and `pythonX.Y` executables on the PATH and in the usual
system directories. pyenv's shims are passed over, since they fail for versions not made global.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tandem.lazy import lazy

if TYPE_CHECKING:
    from packaging.version import Version

specifiers = lazy("packaging.specifiers")
versions = lazy("packaging.version")

PYTHON_VERSION_FILE = ".python-version"
_DIR_VERSION = re.compile(r"^(?:cpython-)?(\d+\.\d+(?:\.\d+)?)(?:[-+].*)?$")
_EXE_VERSION = re.compile(r"^python(\d+\.\d+)$")
SYSTEM_DIRS = ("/usr/local/bin", "/usr/bin")


@dataclass(frozen=True)
class Wanted:
    """A project's request for a Python version, and where it came from."""

    spec: str  # "3.12", "3.12.1" or a specifier set like ">=3.9,<3.13"
    source: str  # ".python-version" or "requires-python"

    def accepts(self, version: Version) -> bool:
        """True when an interpreter of `version` satisfies the request."""
        if _DIR_VERSION.match(self.spec):
            wanted = _DIR_VERSION.match(self.spec)[1].split(".")
            return [str(part) for part in version.release[: len(wanted)]] == wanted
        found = _specifier_set(self.spec)
        return found is not None and version in found


@dataclass(frozen=True)
class Interpreter:
    """An installed Python: its executable and version."""

    path: Path
    version: Version


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment."""
    return venv / "bin" / "python"


def wanted(
    project: Path, pyproject: Mapping, search_up_to: Path | None = None
) -> Wanted | None:
    """The project's request: `.python-version` (here or up to `search_up_to`), else `requires-python`."""
    for folder in _upwards(project, search_up_to or project):
        pinned = _first_line(folder / PYTHON_VERSION_FILE)
        if pinned:
            return Wanted(
                pinned.removeprefix("cpython-").removeprefix("cpython@"),
                PYTHON_VERSION_FILE,
            )
    requires = pyproject.get("project", {}).get("requires-python")
    return (
        Wanted(requires.strip(), "requires-python")
        if isinstance(requires, str) and requires.strip()
        else None
    )


def _upwards(start: Path, stop: Path) -> Iterator[Path]:
    yield start
    if stop != start and stop in start.parents:
        for parent in start.parents:
            yield parent
            if parent == stop:
                return


def _first_line(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    return next(
        (line.strip() for line in lines if line.strip() and not line.startswith("#")),
        "",
    )


def choose(
    request: Wanted | None, found: Iterable[Interpreter] | None = None
) -> Interpreter | None:
    """Tandem's own interpreter when it fits (or nothing is asked), else the newest that fits."""
    if found is None and own_fits(request):
        return _own()  # no need to look for the others
    candidates = installed() if found is None else list(found)
    fitting = [i for i in candidates if request is None or request.accepts(i.version)]
    own = [i for i in fitting if i.path == Path(sys.executable)]
    if own:
        return own[0]
    return max(fitting, key=lambda i: i.version, default=None)


def own_fits(request: Wanted | None) -> bool:
    """True when Tandem's own interpreter gives what the project asks for (or it asks nothing)."""
    if request is None:
        return True
    own = sys.version_info[:3]
    bare = _DIR_VERSION.match(request.spec)
    if bare:
        wanted = bare[1].split(".")
        return [str(part) for part in own[: len(wanted)]] == wanted
    simple = _plain_clauses(request.spec)
    if simple is not None:
        return all(_holds(own, op, release) for op, release in simple)
    return request.accepts(_own().version)


# `>=3.9`, `<3.13`, `==3.11`...: a release compared with zero padding, as PEP 440 does for a
# final release; anything else (wildcards, `~=`, pre-releases) goes to packaging.
_CLAUSE = re.compile(r"^\s*(>=|<=|>|<|==|!=)\s*(\d+(?:\.\d+){0,2})\s*$")
_COMPARE = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _plain_clauses(spec: str) -> list[tuple[str, tuple[int, ...]]] | None:
    """The clauses of a plain specifier set; None when any clause is more than that."""
    found = [_CLAUSE.match(clause) for clause in spec.split(",")]
    if not all(found):
        return None
    return [(m[1], tuple(int(part) for part in m[2].split("."))) for m in found]


def _holds(version: tuple[int, ...], op: str, release: tuple[int, ...]) -> bool:
    padded = release + (0,) * (3 - len(release))
    return _COMPARE[op](version, padded)


@functools.lru_cache(maxsize=64)
def _specifier_set(spec: str) -> specifiers.SpecifierSet | None:
    """The parsed set (every project asks again); None when it does not parse."""
    try:
        return specifiers.SpecifierSet(spec)
    except specifiers.InvalidSpecifier:
        return None


def _own() -> Interpreter:
    """The interpreter Tandem runs on, by its real path: `python` and `python3` of one
    virtualenv are one interpreter, and must make one environment (its digest names it).
    """
    version = versions.Version("{}.{}.{}".format(*sys.version_info[:3]))
    return Interpreter(Path(sys.executable).resolve(), version)


def installed() -> list[Interpreter]:
    """Interpreters on this machine, Tandem's own first."""
    return list(_installed(_managed_homes(), _path_dirs()))


@functools.lru_cache(maxsize=8)
def _installed(
    homes: tuple[Path, ...], dirs: tuple[Path, ...]
) -> tuple[Interpreter, ...]:
    """Interpreters in these directories, looked for once per run (every project asks)."""
    own = _own()
    seen, found = {own.path}, [own]
    for found_one in (*_managed(homes), *_on_path(dirs)):
        if found_one.path not in seen and os.access(found_one.path, os.X_OK):
            seen.add(found_one.path)
            found.append(found_one)
    return tuple(found)


def searched() -> tuple[Path, ...]:
    """Where interpreters are looked for: one installed there may be the one a build gets."""
    return (*_managed_homes(), *_path_dirs())


def _managed_homes() -> tuple[Path, Path]:
    """pyenv's and uv's directories of installations."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    uv = Path(
        os.environ.get("UV_PYTHON_INSTALL_DIR", Path.home() / ".local/share/uv/python")
    )
    return pyenv, uv


def _path_dirs() -> tuple[Path, ...]:
    """The PATH's directories and the system's, less pyenv's shims."""
    dirs = [*os.environ.get("PATH", "").split(os.pathsep), *SYSTEM_DIRS]
    unique = dict.fromkeys(d for d in dirs if d and "shims" not in Path(d).parts)
    return tuple(Path(d) for d in unique)


def _managed(homes: tuple[Path, ...]) -> Iterator[Interpreter]:
    """pyenv's and uv's installations: one directory per version."""
    for home in homes:
        for folder in sorted(home.glob("*")) if home.is_dir() else ():
            match = _DIR_VERSION.match(folder.name)
            version = _version(match[1]) if match else None
            if version and (folder / "bin" / "python3").exists():
                yield Interpreter(folder / "bin" / "python3", version)


def _on_path(dirs: tuple[Path, ...]) -> Iterator[Interpreter]:
    """`pythonX.Y` executables on the PATH and in the system directories (not pyenv shims)."""
    for folder in dirs:
        for exe in sorted(folder.glob("python3.*")) if folder.is_dir() else ():
            match = _EXE_VERSION.match(exe.name)
            version = _version(match[1]) if match else None
            if version:
                yield Interpreter(exe, version)


def _version(text: str) -> Version | None:
    try:
        return versions.Version(text)
    except versions.InvalidVersion:
        return None


def missing_message(request: Wanted) -> str:
    """The one line said when no installed interpreter fits the request."""
    return (
        f"the project asks for Python {request.spec} ({request.source}) and none that fits is "
        f"installed; install one (e.g. `uv python install {_install_hint(request.spec)}` or "
        "`pyenv install`) and run again"
    )


def _install_hint(spec: str) -> str:
    match = re.search(r"\d+\.\d+", spec)
    return match[0] if match else spec
