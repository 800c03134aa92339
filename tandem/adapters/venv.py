"""Per-project environments made as the project's own tools make them, and kept fresh.

Each project gets `<state>/venvs/<project>`, made by uv with the interpreter the project asks for:
- under a `uv.lock` (its own or its workspace's), exactly the locked versions with the test groups
  and extras, as `uv sync --locked` makes them;
- otherwise its dependencies, test extras, test groups and test requirements files, resolved
  from its declarations.
pytest is added when nothing provides it. The environment is remade only when its inputs change:
the last command carries a digest of them and the runner stamps it when it succeeds. The project
and its local requirements are then installed from out-of-tree mirrors (never editable) on every
build, so compiled extensions are rebuilt from the sources as they are and nothing is written
into the project. Their wheels build in environments kept inside the project's (`build_env`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tandem.adapters import (
    base,
    build_env,
    interpreters,
    mirror,
    pyproject,
    scm_version,
)
from tandem.adapters.interpreters import venv_python
from tandem.model import Command, Context, Project, Step

Argv = tuple[str, ...]

STAMP = ".tandem-inputs"
DIGEST_FLAG = "--tandem-inputs="
INPUT_PATTERNS = (
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    *pyproject.REQUIREMENT_FILES,
)
UV_ENV = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
PYTEST = "pytest"
# What each build command is for, as a failure names it.
MIRROR = "copy the sources out of the tree"
ENVIRONMENT = "create the environment"
INSTALL = "install the project"
WHEEL = "build the wheel"
OUTPUT = "put the wheel into the build output"


def find_uv() -> str | None:
    """uv beside Tandem's interpreter (its own dependency), else uv on PATH, else None."""
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("uv")


UV = find_uv()
# Tandem's own ruff: its binary, installed beside the interpreter (`python -m ruff` only finds it
# there and execs it, for an interpreter's start: 0.03 s of CPU a call).
RUFF = Path(sys.executable).parent / "ruff"


def own_tool(tool: str) -> tuple[str, ...]:
    """Tandem's own black, or ruff's binary where it lies beside Tandem's interpreter."""
    if tool == "ruff" and os.access(RUFF, os.X_OK):
        return (str(RUFF),)
    return (sys.executable, "-m", tool)


@dataclass(frozen=True)
class Setup:
    """How a project's environment is made: the interpreter, the lock, what Tandem adds."""

    python: interpreters.Interpreter
    lock: Path | None
    # The project and its local requirements, in install order.
    sources: tuple[Path, ...]
    # Requirements Tandem adds because the project declares none (pytest).
    added: tuple[str, ...] = ()


def venv_dir(project: Project, ctx: Context) -> Path:
    """Where the project's environment lives."""
    return environment(ctx.state, project)


def environment(state: Path, project: Project) -> Path:
    """The project's environment under a state directory."""
    return state / "venvs" / project.name


def mirrors(project: Project, ctx: Context) -> Path:
    """Where the project's build reads its sources (and those of its local requirements)."""
    return ctx.state / "src" / project.name


def mirror_path(under: Path, source: Path) -> Path:
    """Where `source` is mirrored: its absolute path below `under`, so relative paths between
    mirrored projects (`path = "../lib"`) still point at each other."""
    resolved = source.resolve()
    return under / resolved.relative_to(resolved.anchor)


def mirror_command(*paths: Path) -> tuple[str, ...]:
    """The command that syncs each SRC into the DST after it: `python -I -S mirror.py ...`."""
    return (sys.executable, "-I", "-S", mirror.__file__, *map(str, paths))


def sized(slots: int) -> dict[str, str]:
    """uv's settings, its parallel installs and builds as many as the task's slots (downloads
    wait on the network, not on a CPU)."""
    threads = str(max(1, slots))
    names = ("UV_CONCURRENT_INSTALLS", "UV_CONCURRENT_BUILDS")
    return {**UV_ENV, **dict.fromkeys(names, threads)}


def bytecode_env(state: Path) -> dict[str, str]:
    """Variables that keep bytecode in the state directory, never in `__pycache__` folders of a
    project, and write it even where PYTHONDONTWRITEBYTECODE says not to write into trees:
    without it every run compiles the tools it imports (pytest, a build backend) again.
    """
    return {
        "PYTHONPYCACHEPREFIX": str(state / "pycache"),
        "PYTHONDONTWRITEBYTECODE": "",  # empty is unset, to Python
    }


def activated(venv: Path) -> dict[str, str]:
    """Variables that make tools started inside the environment find its scripts first."""
    path = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {"VIRTUAL_ENV": str(venv), "PATH": path}


def interpreter(
    project: Project, root: Path
) -> tuple[interpreters.Wanted | None, interpreters.Interpreter | None]:
    """What the project asks for, and the installed interpreter that gives it (None if none)."""
    wanted = interpreters.wanted(
        project.path, pyproject.read_pyproject(project.path), root
    )
    return wanted, interpreters.choose(wanted)


def interpreter_facts(project: Project, root: Path) -> tuple[Path | str, ...]:
    """The interpreter a build gets, as the cache knows it: its file and its version (found
    without loading the version parser when Tandem's own fits)."""
    wanted = interpreters.wanted(
        project.path, pyproject.read_pyproject(project.path), root
    )
    if interpreters.own_fits(wanted):
        version = ".".join(str(part) for part in sys.version_info[:3])
        return (Path(sys.executable).resolve(), f"Python {version}")
    found = interpreters.choose(wanted)
    return (
        (found.path.resolve(), f"Python {found.version}") if found else ("no Python",)
    )


def setup(project: Project, ctx: Context) -> Setup:
    """The project's interpreter and lock; a Refusal when no installed Python fits."""
    wanted, found = interpreter(project, ctx.root)
    if found is None:
        raise base.Refusal(
            "python", "python.interpreter", interpreters.missing_message(wanted)
        )
    lock = pyproject.lock_file(project.path)
    provided = _provides_pytest(project)
    sources = (project.path, *pyproject.local_closure(project.path))
    return Setup(found, lock, sources, () if provided else (PYTEST,))


def _provides_pytest(project: Project) -> bool:
    """True when the project's test requirements bring pytest (itself, or a plugin needing it)."""
    names = {
        pyproject.requirement_name(r)
        for r in pyproject.declared(project.path, project.test_requires)
    }
    return any(name == PYTEST or name.startswith(f"{PYTEST}-") for name in names)


def build_commands(project: Project, ctx: Context, uv: str) -> tuple[Command, ...]:
    """Mirror the sources, (re)make the environments if stale, build each source's wheel once
    and install those wheels, and put the project's into the build output."""
    plan = setup(project, ctx)
    mirrored = [mirror_path(mirrors(project, ctx), s) for s in plan.sources]
    pairs = (p for pair in zip(plan.sources, mirrored) for p in pair)
    env = {**build_variables(plan), **sized(ctx.slots)}
    deps_env = scm_version.for_dependencies(env, pyproject.read_pyproject(project.path))
    # Each source's build environment, when each builds into a wheel of its own.
    home, kept_env = venv_dir(project, ctx), _kept_env(env, ctx)
    kept = (
        build_env.making(uv, plan.python.path, home, plan.sources, mirrored, kept_env)
        if _builds_in_kept_environments(plan)
        else ()
    )
    return (
        Command(mirror_command(*pairs), project.path, purpose=MIRROR),
        *environment_commands(project, ctx, uv, plan, mirrored[0], deps_env, kept),
        *_install_commands(project, ctx, uv, plan, mirrored, env),
    )


def _builds_in_kept_environments(plan: Setup) -> bool:
    """True when every source has a static name, so each is built into a wheel of its own
    (`_install_commands`) in a build environment Tandem keeps."""
    return all(pyproject.static_name(source) for source in plan.sources)


def _kept_env(env: dict[str, str], ctx: Context) -> dict[str, str]:
    """A build's variables in a kept build environment, whose backend keeps its bytecode."""
    return {**env, **bytecode_env(ctx.state)}


def _install_commands(
    project: Project,
    ctx: Context,
    uv: str,
    plan: Setup,
    mirrored: Sequence[Path],
    env: dict[str, str],
) -> tuple[Command, ...]:
    """Each source built once into a wheel of its own directory, the wheels installed by name
    from there, the project's synced into the build output. A source without a static name
    (setup.py alone) is installed from its mirror instead, and the project's wheel built after.
    """
    home = venv_dir(project, ctx)
    python = str(venv_python(home))
    names = [pyproject.static_name(source) for source in plan.sources]
    user = tuple(project.args.get(Step.BUILD, ()))
    install = (uv, "pip", "install", "--python", python, "--no-deps", "--reinstall")
    if not _builds_in_kept_environments(plan):
        # --no-sources: a mirror is outside its uv workspace, and its requirements are installed.
        from_mirrors = (*install, "--no-sources", *map(str, mirrored))
        wheel = _wheel(uv, ("--python", python), ctx.dist, mirrored[0], user, env)
        return (Command(from_mirrors, mirrored[0], env, purpose=INSTALL), wheel)
    folders = [ctx.workdir / "wheels" / str(index) for index in range(len(mirrored))]
    built = _kept_env(env, ctx)
    # The build's arguments are the project's: its own wheel (the first) alone takes them.
    wheels = [
        _wheel(uv, build_env.wheel_argv(home, n), out, source, () if n else user, built)
        for n, (out, source) in enumerate(zip(folders, mirrored))
    ]
    links = (arg for folder in folders for arg in ("--find-links", str(folder)))
    named = (*install, "--no-index", *links, *names)
    return (
        *wheels,
        Command(named, mirrored[0], env, purpose=INSTALL),
        Command(mirror_command(folders[0], ctx.dist), mirrored[0], purpose=OUTPUT),
    )


def _wheel(
    uv: str, where: Argv, out: Path, source: Path, user: Argv, env: dict[str, str]
) -> Command:
    """`uv build --wheel` of a mirrored source into `out`, with the interpreter (or kept build
    environment) `where` says (--no-sources: see above)."""
    argv = (uv, "build", "--wheel", "--no-sources", "--out-dir", str(out))
    argv += (*where, *user, str(source))
    return Command(argv, source, env, purpose=WHEEL)


def build_variables(plan: Setup) -> dict[str, str]:
    """uv's settings, and the versions of sources that take theirs from git tags."""
    versions = [
        scm_version.pretend_env(path, pyproject.read_pyproject(path))
        for path in plan.sources
    ]
    # The project's own last, so that its version is the one the general variables carry.
    return {**UV_ENV, **{k: v for found in versions[::-1] for k, v in found.items()}}


def environment_commands(
    project: Project,
    ctx: Context,
    uv: str,
    plan: Setup,
    mirrored: Path,
    env: dict[str, str],
    kept: Sequence[Command] = (),
) -> tuple[Command, ...]:
    """Commands that (re)make the project's environment (with the build's `env`) and then the
    `kept` build environments in it; none while its stamp is fresh."""
    venv = venv_dir(project, ctx)
    if plan.lock is not None:
        argvs, cwd = _locked_argvs(project, venv, plan, uv), project.path
    else:
        argvs, cwd = _resolved_argvs(project, venv, plan, uv, mirrored), mirrored
    digest = _digest(plan, [*argvs, *(command.argv for command in kept)])
    kept_made = not kept or build_env.made(venv, len(plan.sources))
    if kept_made and is_fresh(venv, digest):
        return ()
    env = {**env, "UV_PROJECT_ENVIRONMENT": str(venv)}
    check = (str(venv_python(venv)), "-c", "import sys", f"{DIGEST_FLAG}{digest}")
    steps = [Command(argv, cwd, env, purpose=ENVIRONMENT) for argv in argvs]
    stamp = Command(
        check, cwd, activated(venv), stamp=venv / STAMP, purpose=ENVIRONMENT
    )
    return (*steps, *kept, stamp)


def is_fresh(venv: Path, digest: str) -> bool:
    """True when the stamp says the environment was made from these inputs."""
    try:
        words = (venv / STAMP).read_text(encoding="utf-8").split()
    except OSError:
        return False
    return f"{DIGEST_FLAG}{digest}" in words and venv_python(venv).exists()


def _locked_argvs(project: Project, venv: Path, plan: Setup, uv: str) -> list[Argv]:
    """`uv sync --locked` of the dependencies alone: the project's sources come from mirrors."""
    declared = pyproject.read_pyproject(project.path)
    groups = [w for g in pyproject.test_groups(declared) for w in ("--group", g)]
    extras = [w for e in pyproject.test_extras(declared) for w in ("--extra", e)]
    name = declared.get("project", {}).get("name")
    member = ("--package", name) if plan.lock.parent != project.path and name else ()
    sync = (
        uv,
        "sync",
        "--locked",
        "--python",
        str(plan.python.path),
        *member,
        *groups,
        *extras,
    )
    skip = ("--no-install-project", "--no-install-workspace", "--no-install-local")
    argvs = [(*sync, *skip)]
    added = (*plan.added, *project.test_requires)
    if added:
        argvs.append((uv, "pip", "install", "--python", str(venv_python(venv)), *added))
    return argvs


def _resolved_argvs(
    project: Project, venv: Path, plan: Setup, uv: str, mirrored: Path
) -> list[Argv]:
    """A fresh environment with what the project declares, read from its mirror."""
    declared = pyproject.read_pyproject(project.path)
    extras = [w for e in pyproject.test_extras(declared) for w in ("--extra", e)]
    groups = pyproject.test_requirements(project.path, declared)
    # The mirror is made by the build's first command: name its files by the project's.
    found = pyproject.requirement_files(project.path)
    files = [
        w for f in found for w in ("-r", str(mirrored / f.relative_to(project.path)))
    ]
    install = (uv, "pip", "install", "--python", str(venv_python(venv)))
    metadata = ("-r", str(mirrored / _metadata_file(project.path)), *extras)
    wanted = (*metadata, *groups, *files, *plan.added, *project.test_requires)
    return [
        (uv, "venv", "--clear", "--python", str(plan.python.path), str(venv)),
        (*install, *wanted),
    ]


def _metadata_file(path: Path) -> str:
    """The file uv reads the project's own dependencies from."""
    return next(
        (n for n in ("pyproject.toml", "setup.cfg") if (path / n).is_file()), "setup.py"
    )


def _digest(plan: Setup, argvs: Sequence[Argv]) -> str:
    digest = hashlib.sha256(f"{plan.python.path} {plan.python.version}\n".encode())
    for argv in argvs:
        digest.update("\0".join(argv).encode() + b"\n")
    files = [plan.lock] if plan.lock else []
    for directory in plan.sources:
        files += sorted(
            {p for pattern in INPUT_PATTERNS for p in directory.glob(pattern)}
        )
    for file in (f for f in files if f.is_file()):
        digest.update(f"{file}\n".encode() + file.read_bytes())
    return digest.hexdigest()[:32]
