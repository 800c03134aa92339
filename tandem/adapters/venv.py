"""Per-project virtual environments: the commands that build them and the stamp that keeps them.

Each project gets `<state>/venvs/<project>` holding the project itself, its `test` extra, its
`test` dependency group and every local path requirement, all editable so that a change to the
sources (the project's or a library's) is seen without a rebuild. The environment is rebuilt only
when its inputs change: the last command carries a digest of the project's and its local
requirements' pyproject.toml, lock and requirements files, and the runner writes that command
line into the stamp file when it succeeds.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tandem.model import Command, Context, Project

Argv = tuple[str, ...]

STAMP = ".tandem-inputs"
DIGEST_FLAG = "--tandem-inputs="
INPUT_PATTERNS = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "uv.lock",
    "pdm.lock",
    "poetry.lock",
    "requirements*.txt",
    "requirements/*.txt",
)
TEST = "test"  # the extra and the dependency group that hold test requirements
UV_ENV = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_DIRECT_URL = re.compile(r"@\s*(file:\S+)")


def find_uv() -> str | None:
    """uv beside Tandem's interpreter (the pinned one), else uv on PATH, else None."""
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("uv")


UV = find_uv()


def venv_dir(project: Project, ctx: Context) -> Path:
    """Where the project's environment lives."""
    return ctx.state / "venvs" / project.name


def venv_python(venv: Path) -> Path:
    """The environment's interpreter."""
    return venv / "bin" / "python"


def activated(venv: Path) -> dict[str, str]:
    """Variables that make tools started inside the environment find its scripts first."""
    path = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {"VIRTUAL_ENV": str(venv), "PATH": path}


def read_pyproject(path: Path) -> Mapping[str, Any]:
    """The parsed pyproject.toml of a directory; empty when unreadable (the installer says why)."""
    try:
        return tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def group_requirements(
    pyproject: Mapping[str, Any], group: str = TEST
) -> tuple[str, ...]:
    """A PEP 735 dependency group's requirements, with `include-group` entries expanded."""
    groups = pyproject.get("dependency-groups", {})
    seen: set[str] = set()

    def expand(name: str) -> Iterator[str]:
        if name in seen:
            return
        seen.add(name)
        for entry in groups.get(name, ()):
            if isinstance(entry, str):
                yield entry
            elif isinstance(entry, dict) and "include-group" in entry:
                yield from expand(entry["include-group"])

    return tuple(expand(group))


def requirements(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    """Every requirement the environment installs: dependencies, the test extra, the test group."""
    project = pyproject.get("project", {})
    extra = project.get("optional-dependencies", {}).get(TEST, [])
    return (*project.get("dependencies", []), *extra, *group_requirements(pyproject))


def declares(path: Path, name: str) -> bool:
    """True when the project at `path` requires the distribution `name`."""
    wanted = _normalise(name)
    return any(
        (m := _NAME.match(req)) and _normalise(m[1]) == wanted
        for req in requirements(read_pyproject(path))
    )


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def local_requirements(path: Path) -> tuple[Path, ...]:
    """Absolute directories of the path requirements of the project at `path`."""
    pyproject = read_pyproject(path)
    sources = pyproject.get("tool", {}).get("uv", {}).get("sources", {})
    found = [path / spec["path"] for spec in sources.values() if _is_path_source(spec)]
    found += [p for req in requirements(pyproject) if (p := _file_url_path(req, path))]
    dirs = {p.resolve() for p in found}
    return tuple(sorted(d for d in dirs if d.is_dir()))


def _is_path_source(spec: object) -> bool:
    return isinstance(spec, dict) and isinstance(spec.get("path"), str)


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


def environment_commands(
    project: Project, ctx: Context, uv: str | None
) -> tuple[Command, ...]:
    """Commands that (re)build the project's environment; none while its stamp is fresh."""
    venv = venv_dir(project, ctx)
    locals_ = local_closure(project.path)
    if uv:
        argvs, env = _uv_argvs(project, venv, locals_, uv), UV_ENV
    else:
        argvs, env = _pip_argvs(project, venv, locals_), PIP_ENV
    digest = _digest((project.path, *locals_), argvs)
    if is_fresh(venv, digest):
        return ()
    check = (str(venv_python(venv)), "-c", "import sys", f"{DIGEST_FLAG}{digest}")
    steps = [Command(argv, project.path, env) for argv in argvs]
    return (*steps, Command(check, project.path, activated(venv), stamp=venv / STAMP))


def is_fresh(venv: Path, digest: str) -> bool:
    """True when the stamp says the environment was built from these inputs."""
    try:
        words = (venv / STAMP).read_text(encoding="utf-8").split()
    except OSError:
        return False
    return f"{DIGEST_FLAG}{digest}" in words and venv_python(venv).exists()


def _project_args(project: Project) -> tuple[str, ...]:
    """The project (editable, with its test extra) and its test dependency group."""
    pyproject = read_pyproject(project.path)
    extras = pyproject.get("project", {}).get("optional-dependencies", {})
    target = f"{project.path}[{TEST}]" if TEST in extras else str(project.path)
    return ("-e", target, *group_requirements(pyproject))


def _editable(dirs: Sequence[Path]) -> tuple[str, ...]:
    return tuple(arg for d in dirs for arg in ("-e", str(d)))


def _uv_argvs(
    project: Project, venv: Path, locals_: Sequence[Path], uv: str
) -> list[Argv]:
    install = (uv, "pip", "install", "--python", str(venv_python(venv)))
    argvs = [
        (uv, "venv", "--clear", "--python", sys.executable, str(venv)),
        (*install, *_project_args(project)),
    ]
    if locals_:
        # uv installs path sources as copies; editable ones keep library changes visible.
        argvs.append((*install, "--no-deps", *_editable(locals_)))
    return argvs


def _pip_argvs(project: Project, venv: Path, locals_: Sequence[Path]) -> list[Argv]:
    install = (str(venv_python(venv)), "-m", "pip", "install")
    if not locals_:
        return [
            (sys.executable, "-m", "venv", "--clear", str(venv)),
            (*install, *_project_args(project)),
        ]
    # pip knows no [tool.uv.sources]: local requirements go in first so that their names
    # resolve, and again afterwards because a `name @ file:` requirement installs a copy.
    return [
        (sys.executable, "-m", "venv", "--clear", str(venv)),
        (*install, *_editable(locals_)),
        (*install, *_project_args(project)),
        (*install, "--no-deps", *_editable(locals_)),
    ]


def _digest(dirs: Sequence[Path], argvs: Sequence[Argv]) -> str:
    digest = hashlib.sha256(sys.version.encode())
    for argv in argvs:
        digest.update("\0".join(argv).encode() + b"\n")
    for directory in dirs:
        for pattern in INPUT_PATTERNS:
            for file in sorted(p for p in directory.glob(pattern) if p.is_file()):
                digest.update(f"{file}\n".encode() + file.read_bytes())
    return digest.hexdigest()[:32]
