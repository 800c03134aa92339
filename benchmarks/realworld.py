"""`python -m benchmarks.realworld`: Tandem on real open-source projects, beside their own tools.

Fetches the projects pinned in `benchmarks/realworld.toml` (Python sdists from PyPI, Go modules
from the module proxy, each checked against its pinned digest), lays them out unchanged as a
scratch monorepo (`python/NAME`, `go/NAME`, each committed to its own git repository) and runs
`tandem check --root MONOREPO --junit tandem.xml` over it once. Then it tests each project the
way its own tools do, in a scratch copy of the pristine sources:

- Go: `go test -json ./...` with GOWORK=off.
- Python: a fresh virtualenv made with uv from the project's own declarations: the project
  installed non-editable with its test dependency group, extra or requirements file (from its
  uv.lock, `uv sync --locked`, when the sdist has one; pytest added when it declares none), and
  uv picking the interpreter its requires-python or .python-version asks for; then
  `pytest --junitxml`.

`benchmarks.realworld_report` says how both sides are counted. A row is equal when all four
counts are; a tree is clean when `git status --porcelain` in the project prints nothing after
`tandem check`. Exit status 1 when any row differs or any tree is not clean, 2 when Tandem wrote
no report or a download failed. The table is printed and written to `benchmarks/realworld.md`.

Downloads are cached (sdists under the work directory, modules in Go's module cache, wheels in
uv's cache); the monorepo and the native copies are made afresh on every run.

    .venv/bin/python -m benchmarks.realworld                   # all (about 4-7 min on 2 cores)
    .venv/bin/python -m benchmarks.realworld -p click -p uuid  # some; table in the work dir
    .venv/bin/python -m benchmarks.realworld --projects FILE   # another list, same shape
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from benchmarks.realworld_report import (
    Project,
    Row,
    Side,
    document,
    go_side,
    junit_side,
    tandem_sides,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PINNED = HERE / "realworld.toml"
RESULTS = HERE / "realworld.md"
UV = str(Path(sys.executable).parent / "uv")  # Tandem's pinned uv, beside this Python
PYPI = "https://pypi.org/pypi/{name}/json"
TIMEOUT = 900.0  # seconds for any one command
TEST_KINDS = ("group", "extra", "requirements", "none")
INCLUDE = '["python/*", "go/*"]'
CONFIG_FORMS = {
    "[tool.tandem] include": f"[tool.tandem]\ninclude = {INCLUDE}\n",
    # The older form, for a Tandem that does not know the top-level key yet.
    "[tool.tandem.projects] include": f"[tool.tandem.projects]\ninclude = {INCLUDE}\n",
}
GIT_ID = {
    "GIT_AUTHOR_NAME": "realworld",
    "GIT_AUTHOR_EMAIL": "realworld@localhost",
    "GIT_COMMITTER_NAME": "realworld",
    "GIT_COMMITTER_EMAIL": "realworld@localhost",
}

Argv = tuple[str, ...]


class Failed(Exception):
    """A command that had to succeed did not."""


def load_projects(path: Path = PINNED) -> tuple[tuple[Project, ...], str]:
    """The pinned projects, Python first, and the pytest to add where a project has none."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    python = tuple(
        Project(
            p["name"],
            "python",
            p["name"],
            p["version"],
            p["sha256"],
            p["tests"],
            p["why"],
        )
        for p in data.get("python", [])
    )
    for p in python:
        if p.tests.partition(":")[0] not in TEST_KINDS:
            raise SystemExit(
                f"{path}: {p.name}: tests must start with one of {TEST_KINDS}"
            )
    go = tuple(
        Project(g["name"], "go", g["module"], g["version"], g["sum"], why=g["why"])
        for g in data.get("go", [])
    )
    return (*python, *go), data["native"]["pytest"]


def run_env(base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment of every command, Tandem's and the native tools' alike."""
    # pyenv's shims fail for versions that are not global and uv stops at them; the interpreters
    # themselves let uv honour a project's requires-python and .python-version.
    kept = [
        d for d in base.get("PATH", "").split(os.pathsep) if not d.endswith("shims")
    ]
    path = os.pathsep.join(dict.fromkeys([*map(str, interpreter_dirs()), *kept]))
    # nox points VIRTUAL_ENV, UV_PYTHON and UV_PROJECT_ENVIRONMENT at its session's own
    # environment. CI machines do not set PYTHONDONTWRITEBYTECODE; set, it would hide bytecode
    # written into the projects' trees from the clean-tree check.
    dropped = ("VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT")
    dropped += ("PYTHONDONTWRITEBYTECODE",)
    env = {k: v for k, v in base.items() if k not in dropped}
    return {**env, "PATH": path, "NO_COLOR": "1", "UV_PYTHON_DOWNLOADS": "never"}


def interpreter_dirs() -> list[Path]:
    """This Python's own bin directory, then pyenv's other versions, oldest first."""
    own = Path(sys.base_prefix) / "bin"
    found = Path.home().glob(".pyenv/versions/*/bin")
    return [own, *sorted((d for d in found if d != own), key=_version_key)]


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)[:3])


def run(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    log: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, appending it and its output to `log`; raise Failed on a bad exit if `check`."""
    try:
        done = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise Failed(f"{Path(argv[0]).name} timed out after {TIMEOUT:.0f}s") from None
    if log is not None:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"$ {shlex.join(argv)}\n{done.stdout}{done.stderr}\n")
    if check and done.returncode != 0:
        raise Failed(f"{_name(argv)} exited {done.returncode}: {_last_line(done)}")
    return done


def _name(argv: Sequence[str]) -> str:
    return " ".join(Path(a).name for a in argv[:2])


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return lines[-1][:160] if lines else ""


# --- fetching -------------------------------------------------------------------------------


def fetch_sources(
    projects: Iterable[Project], work: Path, env: Mapping[str, str]
) -> dict[str, Path]:
    """Each project's pristine tree: its unpacked sdist, or its directory in the module cache."""
    unpacked = work / "sources"
    shutil.rmtree(unpacked, ignore_errors=True)
    sources = {}
    for p in projects:
        if p.language == "go":
            sources[p.name] = fetch_module(p, work, env)
        else:
            unpack_sdist(fetch_sdist(p, work / "cache" / "sdists"), unpacked / p.name)
            sources[p.name] = unpacked / p.name
    return sources


def fetch_sdist(project: Project, cache: Path) -> Path:
    """The project's sdist, from the cache or PyPI, checked against its pinned sha256."""
    cached = cache / f"{project.source}-{project.version}.tar.gz"
    if cached.is_file() and _sha256(cached.read_bytes()) == project.digest:
        return cached
    with urllib.request.urlopen(_sdist_url(project), timeout=120) as response:
        data = response.read()
    if _sha256(data) != project.digest:
        raise Failed(
            f"{project.name} {project.version}: the sdist's sha256 is not pinned"
        )
    cache.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(cached)
    return cached


def _sdist_url(project: Project) -> str:
    # The project's JSON, not the per-version one, which some PyPI mirrors do not serve.
    index = PYPI.format(name=project.source)
    with urllib.request.urlopen(index, timeout=60) as response:
        document = json.load(response)
    for file in document["releases"].get(project.version, []):
        if file["packagetype"] == "sdist":
            # Mirrors may answer with URLs relative to the index page.
            return urljoin(index, file["url"])
    raise Failed(f"{project.name} {project.version}: PyPI lists no sdist")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unpack_sdist(archive: Path, dest: Path) -> None:
    """Extract an sdist's one top directory as `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        (top,) = Path(tmp).iterdir()
        top.rename(dest)


def fetch_module(project: Project, cwd: Path, env: Mapping[str, str]) -> Path:
    """The module's directory in Go's module cache, after checking its pinned sum."""
    argv = ("go", "mod", "download", "-json", f"{project.source}@{project.version}")
    info = json.loads(run(argv, cwd, env, check=False).stdout or "{}")
    if info.get("Error") or "Dir" not in info:
        raise Failed(f"{project.name}: {info.get('Error', 'go mod download failed')}")
    if info.get("Sum") != project.digest:
        raise Failed(
            f"{project.name}: module sum {info.get('Sum')} is not the pinned one"
        )
    return Path(info["Dir"])


def copy_writable(source: Path, dest: Path) -> None:
    """Copy a tree (Go's module cache is read-only) and let its owner write every part of it."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, symlinks=True)
    for folder, dirs, files in os.walk(dest):
        for name in (".", *dirs, *files):
            path = Path(folder, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)


# --- the monorepo and Tandem ----------------------------------------------------------------


def lay_out(
    projects: Iterable[Project],
    sources: Mapping[str, Path],
    mono: Path,
    env: Mapping[str, str],
) -> None:
    """A fresh monorepo: every project copied unchanged to LANGUAGE/NAME and committed to git."""
    shutil.rmtree(mono, ignore_errors=True)
    git = {**env, **GIT_ID}
    for p in projects:
        dest = mono / p.language / p.name
        copy_writable(sources[p.name], dest)
        run(("git", "init", "-q"), dest, git)
        run(("git", "add", "-A"), dest, git)
        message = f"{p.source} {p.version}"
        run(("git", "-c", "commit.gpgsign=false", "commit", "-qm", message), dest, git)


def write_config(mono: Path, env: Mapping[str, str]) -> str:
    """The root pyproject.toml: top-level `include` when this Tandem reads it, else the table."""
    for form, text in CONFIG_FORMS.items():
        (mono / "pyproject.toml").write_text(text, encoding="utf-8")
        listing = (sys.executable, "-m", "tandem", "list", "--root", str(mono))
        done = run(listing, REPO, env, check=False)
        if done.returncode == 0:
            return form
    raise Failed(f"tandem list accepts no form of the config: {_last_line(done)}")


def run_tandem(mono: Path, report: Path, log: Path, env: Mapping[str, str]) -> int:
    """`tandem check` over the monorepo; its exit code."""
    log.unlink(missing_ok=True)
    report.unlink(missing_ok=True)
    argv = (sys.executable, "-m", "tandem", "check", "--root", str(mono))
    # From the repository, so that `-m tandem` is this working tree's Tandem.
    return run((*argv, "--junit", str(report)), REPO, env, log, check=False).returncode


def dirty_paths(path: Path, env: Mapping[str, str]) -> tuple[str, ...]:
    """What `git status --porcelain` lists in a project (or why it could not tell)."""
    done = run(("git", "status", "--porcelain"), path, env, check=False)
    if done.returncode != 0:
        return (f"git status failed: {_last_line(done)}",)
    return tuple(line for line in done.stdout.splitlines() if line.strip())


# --- the native tools -----------------------------------------------------------------------


def go_native(
    project: Project, source: Path, work: Path, env: Mapping[str, str], log: Path
) -> Side:
    """`go test -json ./...` in a copy of the module, counted event by event."""
    copy = work / "module"
    copy_writable(source, copy)
    argv = ("go", "test", "-json", "./...")
    done = run(argv, copy, {**env, "GOWORK": "off"}, log, check=False)
    if done.returncode != 0 and '"Action"' not in done.stdout:
        return Side(None, f"go test exited {done.returncode}: {_last_line(done)}")
    return go_side(done.stdout, project.source)


def python_native(
    project: Project,
    source: Path,
    work: Path,
    env: Mapping[str, str],
    log: Path,
    pytest: str = "pytest",
) -> Side:
    """A fresh uv virtualenv from the project's own declarations, then pytest, in a copy."""
    copy, venv, report = work / "project", work / "venv", work / "pytest.xml"
    copy_writable(source, copy)
    shutil.rmtree(venv, ignore_errors=True)
    report.unlink(missing_ok=True)
    python = str(venv / "bin" / "python")
    try:
        for argv, extra in install_commands(project, copy, venv):
            run(argv, copy, {**env, **extra}, log)
        if run((python, "-c", "import pytest"), copy, env, log, check=False).returncode:
            run((UV, "pip", "install", "--python", python, pytest), copy, env, log)
    except Failed as exc:
        return Side(None, f"could not install: {exc}")
    activated = {**env, "VIRTUAL_ENV": str(venv)}
    activated["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    argv = (str(venv / "bin" / "pytest"), f"--junitxml={report}")
    done = run(argv, copy, activated, log, check=False)
    if not report.is_file():
        return Side(None, f"pytest exited {done.returncode}: {_last_line(done)}")
    return junit_side(report)


def install_commands(
    project: Project, copy: Path, venv: Path
) -> list[tuple[Argv, dict[str, str]]]:
    """uv commands that make `venv` from the project's declarations, from its lock if it has one."""
    kind, _, value = project.tests.partition(":")
    if (copy / "uv.lock").is_file() and kind in ("group", "extra"):
        sync = (UV, "sync", "--locked", "--no-editable", "--no-default-groups")
        return [((*sync, f"--{kind}", value), {"UV_PROJECT_ENVIRONMENT": str(venv)})]
    what = {
        "group": (".", "--group", value),
        "extra": (f".[{value}]",),
        "requirements": (".", "-r", value),
        "none": (".",),
    }[kind]
    install = (UV, "pip", "install", "--python", str(venv / "bin" / "python"))
    return [((UV, "venv", str(venv)), {}), ((*install, *what), {})]


# --- main -----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.realworld",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    flag = parser.add_argument
    flag(
        "-p",
        "--project",
        action="append",
        default=[],
        metavar="NAME",
        help="only this project (repeatable); the table then goes to the work dir",
    )
    flag(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tandem-realworld",
        help="scratch space and download cache (default: %(default)s)",
    )
    flag(
        "--projects",
        type=Path,
        default=PINNED,
        metavar="FILE",
        help="the list of projects, shaped like realworld.toml (default: %(default)s)",
    )
    flag("--out", type=Path, help="results file (default: benchmarks/realworld.md)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Fetch, lay out, run Tandem and then the native tools; print and write the table."""
    parser = _parser()
    args = parser.parse_args(argv)
    pinned, pytest = load_projects(args.projects)
    unknown = sorted(set(args.project) - {p.name for p in pinned})
    if unknown:
        known = ", ".join(p.name for p in pinned)
        parser.error(f"no project {unknown[0]!r} (known: {known})")
    projects = tuple(p for p in pinned if not args.project or p.name in args.project)
    work, env = args.workdir.resolve(), run_env()
    (work / "logs").mkdir(parents=True, exist_ok=True)
    try:
        rows, header = compare(projects, work, env, pytest)
    except (Failed, OSError) as exc:  # OSError: the network, a download, a missing tool
        _say(f"realworld: {exc}; logs under {work / 'logs'}")
        return 2
    text = document(rows, header)
    partial = args.project or args.projects != PINNED
    out = args.out or (work / "realworld.md" if partial else RESULTS)
    out.write_text(text, encoding="utf-8")
    print(text)
    _say(f"written to {out}; logs under {work / 'logs'}")
    return 0 if all(r.equal and not r.dirty for r in rows) else 1


def compare(
    projects: Sequence[Project], work: Path, env: Mapping[str, str], pytest: str
) -> tuple[list[Row], list[str]]:
    """Tandem over the monorepo, then each project's own tools: the rows and the header."""
    _say(f"fetching {len(projects)} projects into {work}")
    sources = fetch_sources(projects, work, env)
    mono, report = work / "monorepo", work / "tandem.xml"
    lay_out(projects, sources, mono, env)
    form = write_config(mono, env)
    started = time.monotonic()
    code = _tandem(mono, report, work / "logs" / "tandem.log", env)
    tandem_s = time.monotonic() - started
    if not report.is_file():
        raise Failed(f"tandem check exited {code} and wrote no report")
    sides = tandem_sides(report, projects)
    dirty = {p.name: dirty_paths(mono / p.language / p.name, env) for p in projects}
    started = time.monotonic()
    natives = {p.name: _native(p, sources[p.name], work, env, pytest) for p in projects}
    native_s = time.monotonic() - started
    rows = [Row(p, natives[p.name], sides[p.name], dirty[p.name]) for p in projects]
    return rows, _header(form, code, tandem_s, native_s, env)


def _tandem(mono: Path, report: Path, log: Path, env: Mapping[str, str]) -> int:
    _say("tandem check ...")
    code = run_tandem(mono, report, log, env)
    summary = log.read_text(encoding="utf-8").strip().splitlines()[-1:] or [""]
    _say(f"tandem check exited {code}: {summary[0]}")
    return code


def _native(
    project: Project, source: Path, work: Path, env: Mapping[str, str], pytest: str
) -> Side:
    place = work / "native" / project.name
    place.mkdir(parents=True, exist_ok=True)
    log = work / "logs" / f"native-{project.name}.log"
    log.unlink(missing_ok=True)
    started = time.monotonic()
    if project.language == "go":
        side = go_native(project, source, place, env, log)
    else:
        side = python_native(project, source, place, env, log, pytest)
    seconds = time.monotonic() - started
    _say(f"native {project.name:<16} {side.counts or side.note}  ({seconds:.0f}s)")
    return side


def _header(
    form: str, code: int, tandem_s: float, native_s: float, env: Mapping[str, str]
) -> list[str]:
    probes = {
        "python": (sys.executable, "--version"),
        "go": ("go", "version"),
        "uv": (UV, "--version"),
    }
    tools = "; ".join(f"{k}: {_first_line(argv, env)}" for k, argv in probes.items())
    cores = len(os.sched_getaffinity(0))
    return [
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; cores: {cores}; {tools}",
        f"- Tandem: {_tandem_version(env)}",
        (
            f"- root config: `{form}`; `tandem check` exited {code} after"
            f" {tandem_s:.0f} s; the native runs took {native_s:.0f} s"
        ),
    ]


def _tandem_version(env: Mapping[str, str]) -> str:
    """The commit, and how many files under tandem/ differ from it."""
    commit = _first_line(("git", "rev-parse", "--short", "HEAD"), env)
    # No optional locks: another session may be using this repository's index.
    quiet = {**env, "GIT_OPTIONAL_LOCKS": "0"}
    status = ("git", "status", "--porcelain", "--", "tandem")
    done = run(status, REPO, quiet, check=False)
    changed = len(done.stdout.splitlines())
    return f"commit {commit}" + (
        f" + {changed} changed files under tandem/" if changed else ""
    )


def _first_line(argv: Sequence[str], env: Mapping[str, str]) -> str:
    try:
        done = run(argv, REPO, env, check=False)
    except (OSError, Failed):
        return "missing"
    return ((done.stdout or done.stderr).strip().splitlines() or ["missing"])[0]


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
