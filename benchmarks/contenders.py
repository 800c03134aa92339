"""The contenders: every way the benchmark runs build, fmt, vet and test on every project.

All of them run the same tools as Tandem, with the flags that change the work (see
`step_commands`); only the orchestration differs. Each keeps its own state under `<root>/.bench/<name>/`.

- naive: one command after another, what a hand-written CI script does. Its cold run
  creates one virtualenv per Python project with uv (the same work as Tandem's cold run);
  its warm run reuses them, as Tandem's warm run reuses its own.
- make: `make -j<cores> check` over a generated Makefile, one target per project and step;
  virtualenvs are file targets that depend on pyproject.toml, so they are reused when warm.
- nox: a generated noxfile, one session per project and step, run with nox's own parallel
  mode (`-j <cores>`) and `-R` (reuse virtualenvs, skip installs when reused).
- tandem: `tandem check`, cold (.tandem, dist and reports removed first) and warm.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from benchmarks.generate import Generated
from benchmarks.measure import Contender, Invocation

STEPS = ("build", "fmt", "vet", "test")
BIN = Path(sys.executable).parent  # black, ruff, uv and nox live beside this Python
UV = str(BIN / "uv")
SELFUSAGE = Path(__file__).with_name("selfusage.py")


def bench_env(base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment every contender runs in: this venv's tools first, Go tests never cached,
    and Python's default of keeping bytecode (a machine that says not to would make every
    contender but Tandem, which keeps it in its state, compile pytest at every run)."""
    goflags = f"{base.get('GOFLAGS', '')} -count=1".strip()
    path = f"{BIN}{os.pathsep}{base.get('PATH', '')}"
    kept = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**kept, "PATH": path, "GOFLAGS": goflags, "NO_COLOR": "1"}


def state(root: Path, name: str) -> Path:
    """Where a contender keeps its virtualenvs and build output."""
    return root / ".bench" / name


def venv_commands(path: Path, venv: Path) -> list[Invocation]:
    """Create a project's virtualenv with uv; install the project editable, with its tests."""
    python = str(venv / "bin" / "python")
    install = (UV, "pip", "install", "-q", "--python", python, "-e", f"{path}[test]")
    return [
        Invocation((UV, "venv", "-q", "--python", sys.executable, str(venv)), path),
        Invocation(install, path),
    ]


def step_commands(
    p: Generated, path: Path, dist: Path, venv: Path
) -> dict[str, Invocation]:
    """The one command per step for a project: the tools (and costly flags) Tandem runs."""
    pytest = (
        str(venv / "bin" / "python"),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    argvs = {
        "go": {
            "build": ("go", "build", "-o", f"{dist}/", "./..."),
            "fmt": ("gofmt", "-l", "."),
            "vet": ("go", "vet", "./..."),
            "test": ("go", "test", "-json", "./..."),
        },
        "python": {
            "build": (UV, "build", "-q", "--wheel", "--out-dir", str(dist), "."),
            "fmt": (str(BIN / "black"), "--check", "-q", "."),
            "vet": (str(BIN / "ruff"), "check", "-q", "."),
            "test": pytest,
        },
    }[p.language]
    # Like Tandem, build static Go binaries: linking without cgo skips the C linker.
    static = {"CGO_ENABLED": "0"} if p.language == "go" else {}
    return {
        s: Invocation(argv, path, static if s == "build" else {}, p.name, s == "fmt")
        for s, argv in argvs.items()
    }


def _layout(root: Path, name: str, p: Generated) -> tuple[Path, Path, Path]:
    base = state(root, name)
    return root / "projects" / p.name, base / "dist" / p.name, base / "venvs" / p.name


def naive(root: Path, projects: Sequence[Generated], cold: bool) -> Contender:
    """Every step of every project, one after another; cold runs create the virtualenvs."""
    commands: list[Invocation] = []
    for p in projects:
        path, dist, venv = _layout(root, "naive", p)
        if cold and p.language == "python":
            commands += [replace(i, project=p.name) for i in venv_commands(path, venv)]
        commands += step_commands(p, path, dist, venv).values()
    clean = (state(root, "naive"),) if cold else ()
    return Contender(
        f"naive serial ({'cold' if cold else 'warm'})", tuple(commands), clean, cold
    )


def makefile_text(root: Path, projects: Sequence[Generated]) -> str:
    """A Makefile with one phony target per project and step, and `check` for all of them."""
    targets = [f"{s}-{p.name}" for p in projects for s in STEPS]
    lines = [
        "# One target per project and step: make -jN check",
        f".PHONY: check {' '.join(targets)}",
        f"check: {' '.join(targets)}",
    ]
    for p in projects:
        lines += _make_rules(root, p)
    return "\n".join(lines) + "\n"


def _make_rules(root: Path, p: Generated) -> list[str]:
    path, dist, venv = _layout(root, "make", p)
    steps = step_commands(p, path, dist, venv)
    ready = venv / ".ready"
    lines, needs = [], ""
    if p.language == "python":
        needs = f" {ready}"
        lines += [
            f"{ready}: {path / 'pyproject.toml'}",
            f"\trm -rf {shlex.quote(str(venv))}",
        ]
        lines += [f"\t{shlex.join(i.argv)}" for i in venv_commands(path, venv)]
        lines += [f"\ttouch {shlex.quote(str(ready))}"]
    for step, inv in steps.items():
        assignments = tuple(f"{k}={v}" for k, v in inv.env.items())
        command = shlex.join(
            ("env", *assignments, *inv.argv) if assignments else inv.argv
        )
        if inv.quiet:
            command = f'test -z "$$({command})"'
        prerequisites = needs if step in ("build", "test") else ""
        lines += [
            f"{step}-{p.name}:{prerequisites}",
            f"\tcd {shlex.quote(str(path))} && {command}",
        ]
    return lines


def make(root: Path, projects: Sequence[Generated], jobs: int) -> Contender:
    """`make -j<jobs> check` over the generated Makefile (written here)."""
    makefile = root / "Makefile"
    makefile.write_text(makefile_text(root, projects), encoding="utf-8")
    argv = ("make", f"-j{jobs}", "--no-print-directory", "-f", str(makefile), "check")
    return Contender(f"make -j{jobs}", (Invocation(argv, root),))


NOXFILE = '''\
"""One session per project and step; run with nox -j N -R."""

import nox

nox.options.default_venv_backend = "uv"
PROJECTS = {projects!r}  # name -> (language, path, {{step: argv}}, {{step: env}})


def _session(language, argvs, envs, step, path):
    def session(session):
        session.chdir(path)
        if step == "test" and language == "python":
            session.install("-e", f"{{path}}[test]")
            session.run("python", *argvs[step][1:])  # the session's own virtualenv
        elif step == "fmt":
            if session.run(*argvs[step], external=True, silent=True).strip():
                session.error("files are not formatted")
        else:
            session.run(*argvs[step], external=True, env=envs[step])

    return session


for name, (language, path, argvs, envs) in PROJECTS.items():
    for step in argvs:
        venv = step == "test" and language == "python"
        nox.session(
            _session(language, argvs, envs, step, path),
            name=f"{{step}}-{{name}}",
            python=None if venv else False,
            allow_parallel=True,
        )
'''


def noxfile_text(root: Path, projects: Sequence[Generated]) -> str:
    """A noxfile registering one session per project and step."""
    table = {}
    for p in projects:
        path, dist, venv = _layout(root, "nox", p)
        steps = step_commands(p, path, dist, venv)
        argvs = {s: list(i.argv) for s, i in steps.items()}
        envs = {s: dict(i.env) for s, i in steps.items()}
        table[p.name] = (p.language, str(path), argvs, envs)
    return NOXFILE.format(projects=table)


def nox(root: Path, projects: Sequence[Generated], jobs: int) -> Contender:
    """nox in its parallel mode over the generated noxfile (written here)."""
    noxfile = root / "noxfile.py"
    noxfile.write_text(noxfile_text(root, projects), encoding="utf-8")
    envdir = state(root, "nox") / "envs"
    argv = (str(BIN / "nox"), "-f", str(noxfile), "-j", str(jobs), "-R", "--nocolor")
    return Contender(
        f"nox -j{jobs}", (Invocation((*argv, "--envdir", str(envdir)), root),)
    )


def tandem(
    root: Path, label: str, args: Sequence[str] = (), cold: bool = False
) -> Contender:
    """`tandem check --no-cache [args]`, reporting its own CPU time; cold removes its state
    first. The cache is off: every contender here does the whole work each time."""
    usage = (
        state(root, "tandem")
        / f"usage-{re.sub(r'[^a-z0-9]+', '-', label).strip('-')}.txt"
    )
    usage.parent.mkdir(parents=True, exist_ok=True)
    argv = (
        sys.executable,
        str(SELFUSAGE),
        str(usage),
        "tandem",
        "--root",
        str(root),
        "check",
        "--no-cache",
    )
    clean = (root / ".tandem", root / "dist", root / "reports") if cold else ()
    return Contender(label, (Invocation((*argv, *args), root),), clean, cold, usage)
