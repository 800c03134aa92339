"""Build environments kept between runs: each source's PEP 517 backend, ready to build its wheel.

`uv build` makes an isolated environment for every build, installs the backend's requirements
into it and compiles the backend's modules again: 0.6 s of the 0.8 s of CPU that a small
project's wheel costs. Tandem makes that environment once, next to the project's own and with
the same contents as the isolated one (`[build-system] requires`, or PEP 517's setuptools
fallback, and whatever the backend's `get_requires_for_build_wheel` asks for besides), on the
project's interpreter, and builds every wheel in it with `--no-build-isolation`. It is remade
with the project's environment, whenever their inputs change, so its versions are resolved as
the environment's own are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tandem.adapters import pyproject
from tandem.adapters.interpreters import venv_python
from tandem.model import Command

PURPOSE = "create the build environment"
# What a frontend assumes of a project without a `[build-system]` table (PEP 517, PEP 518).
FALLBACK_REQUIRES = ("setuptools>=40.8.0",)
FALLBACK_BACKEND = "setuptools.build_meta:__legacy__"
ASKED = "backend-requires.txt"
# What else the backend needs to build a wheel, as a frontend asks before building: run with
# `python -c` in the mirror as uv runs a backend's hooks, on the project's interpreter (so it
# keeps to Python 3.8). argv: OUTPUT BACKEND [BACKEND-PATH ...]; writes a requirement a line.
ASK = """
import importlib, os, sys
output, backend, *paths = sys.argv[1:]
sys.path[:0] = [os.path.abspath(path) for path in paths]
module, _, attributes = backend.partition(":")
hooks = importlib.import_module(module.strip())
for name in filter(None, attributes.strip().split(".")):
    hooks = getattr(hooks, name)
ask = getattr(hooks, "get_requires_for_build_wheel", None)
with open(output, "w", encoding="utf-8") as out:
    out.writelines(f"{requirement}\\n" for requirement in (ask() if ask else []))
"""


@dataclass(frozen=True)
class Backend:
    """A source's build backend: what it needs installed, its object, where it lies in-tree."""

    requires: tuple[str, ...]
    hooks: str
    path: tuple[str, ...] = ()


def backend(source: Path) -> Backend:
    """The backend a source's `pyproject.toml` names, or the setuptools fallback."""
    table: Mapping[str, Any] = (
        pyproject.read_pyproject(source).get("build-system") or {}
    )
    requires = table.get("requires", FALLBACK_REQUIRES)
    hooks = table.get("build-backend", FALLBACK_BACKEND)
    return Backend(tuple(requires), hooks, tuple(table.get("backend-path", ())))


def location(home: Path, index: int) -> Path:
    """Where the build environment of a project's `index`-th source lives: inside the project's
    environment `home`, so that remaking or removing that one takes this one along."""
    return home / "build" / str(index)


def made(home: Path, count: int) -> bool:
    """True when each of a project's `count` build environments has its interpreter."""
    return all(venv_python(location(home, index)).exists() for index in range(count))


def making(
    uv: str,
    interpreter: Path,
    home: Path,
    sources: Sequence[Path],
    mirrored: Sequence[Path],
    env: Mapping[str, str],
) -> tuple[Command, ...]:
    """Commands that make the build environment of each source, in the project's environment
    `home`, with the project's interpreter."""
    return tuple(
        command
        for index, (source, mirror) in enumerate(zip(sources, mirrored))
        for command in _making(
            uv, interpreter, location(home, index), source, mirror, env
        )
    )


def _making(
    uv: str,
    interpreter: Path,
    target: Path,
    source: Path,
    mirrored: Path,
    env: Mapping[str, str],
) -> tuple[Command, ...]:
    # They run in the mirror, where the backend's in-tree path and its hook look.
    python = str(venv_python(target))
    found = backend(source)
    install = (uv, "pip", "install", "--python", python)
    asked = str(target / ASKED)
    ask = (python, "-c", ASK, asked, found.hooks, *found.path)
    # A backend that lies in-tree may need nothing installed: uv refuses an empty install.
    declared = [(*install, *found.requires)] if found.requires else []
    argvs = (
        (uv, "venv", "--clear", "--python", str(interpreter), str(target)),
        *declared,
        ask,
        (*install, "-r", asked),
    )
    return tuple(Command(argv, mirrored, dict(env), purpose=PURPOSE) for argv in argvs)


def wheel_argv(home: Path, index: int) -> tuple[str, ...]:
    """`uv build`'s arguments that build the `index`-th source in its kept environment instead
    of a fresh one."""
    return ("--no-build-isolation", "--python", str(venv_python(location(home, index))))
