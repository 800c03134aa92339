"""The generate step: code generated from .proto files, regenerated and compared with what is
checked in, for Go and Python projects alike (a step adapter, not a language's).

protoc (grpcio-tools, in an environment of its own per version) writes into a scratch directory with the plugins
the project declares (`tandem.adapters.protoc_spec`); each generated file that is missing or
differs from the checked-in one is a failing case with its diff, as a formatting failure is.
`tandem generate --fix` has protoc write into the project instead. The Go plugins are built
once per version into the state directory (`go install PACKAGE@VERSION`).
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from tandem.adapters import base, pyproject, venv
from tandem.adapters.protoc_spec import (
    BUF_GEN,
    GRPCIO_TOOLS,
    KINDS,
    generated,
    proto_files,
    version,
)
from tandem.model import (
    Command,
    Context,
    Generation,
    Layout,
    Output,
    Plugin,
    ProcessResult,
    Project,
    Step,
    TestCase,
    Verdict,
)

LANGUAGE = "protobuf"
MARKER = BUF_GEN
INSTALL_HINT = (
    "install Go from https://go.dev/dl for the Go plugins; uv comes with Tandem"
)
ENV: tuple[str, ...] = ()
PROBE_FILES: tuple[str, ...] = ()  # no run-wide probe (`versions`)
TEST_NEEDS_BUILD = False
TOOL = "protoc"
SCRATCH = "generated"
FIX_HINT = "regenerate it: tandem generate --fix"

watched = base.basic_watched


def grpcio_tools(project: Project) -> str:
    """The grpcio-tools version whose protoc runs: declared, pinned by the project, or Tandem's."""
    declared = project.generate.grpcio_tools if project.generate else ""
    pinned = pyproject.pinned(project.path, "grpcio-tools", project.test_requires)
    return declared or pinned or GRPCIO_TOOLS


def commands(project: Project, step: Step, ctx: Context) -> tuple[Command, ...]:
    """Build the missing Go plugins, then protoc into the scratch directory (or, fixing, the
    project); a Refusal when the declaration cannot be followed."""
    generation = _generation(project)
    out = project.path if ctx.fix else ctx.workdir / SCRATCH
    builds = tuple(_plugin_build(project, p, ctx) for p in _go_plugins(project))
    made = _protoc_environment(project, ctx)
    return (*made, *(b for b in builds if b), _protoc(project, generation, out, ctx))


def _generation(project: Project) -> Generation:
    generation = project.generate
    if generation is None or generation.problem:
        problem = generation.problem if generation else "no code generation is declared"
        raise base.Refusal(TOOL, "generate.config", problem)
    if venv.UV is None:
        raise base.Refusal(
            TOOL, "tandem.missing-tool", f"uv: not found; {INSTALL_HINT}"
        )
    return generation


def _go_plugins(project: Project) -> Iterator[Plugin]:
    """The declared plugins built with Go, each once (several outputs may share one)."""
    first: dict[str, Plugin] = {}
    for plugin in project.generate.plugins if project.generate else ():
        first.setdefault(plugin.name, plugin)
    yield from (p for p in first.values() if KINDS[p.name].package)


def plugin_binary(project: Project, plugin: Plugin, state: Path) -> Path:
    """Where the Go plugin at its version is built: one per version, shared by projects."""
    tag = version(project, plugin)
    return (
        state
        / "tools"
        / f"protoc-gen-{plugin.name}@{tag}"
        / f"protoc-gen-{plugin.name}"
    )


def _plugin_build(project: Project, plugin: Plugin, ctx: Context) -> Command | None:
    binary = plugin_binary(project, plugin, ctx.state)
    if binary.is_file():
        return None
    package = f"{KINDS[plugin.name].package}@{version(project, plugin)}"
    env = {"GOBIN": str(binary.parent), "GOWORK": "off", "CGO_ENABLED": "0"}
    argv = ("go", "install", "-p", str(ctx.slots), package)
    return Command(argv, ctx.workdir, env, purpose=f"build protoc-gen-{plugin.name}")


def protoc_environment(project: Project, state: Path) -> Path:
    """The environment holding grpcio-tools at its version: one per version, shared by projects
    (`uv tool run` would cost a second a call; this, a python start)."""
    return state / "tools" / f"grpcio-tools@{grpcio_tools(project)}"


STAMP = ".tandem-made"


def _protoc_environment(project: Project, ctx: Context) -> tuple[Command, ...]:
    """Make the environment unless its stamp says it was made; runs of several projects may
    make it at once (`--allow-existing`, and uv locks an environment while it installs).
    """
    where = protoc_environment(project, ctx.state)
    stamp = where / STAMP
    if stamp.is_file():
        return ()
    make = (venv.UV, "venv", "--quiet", "--allow-existing", "--python", sys.executable)
    python = str(venv.venv_python(where))
    install = (venv.UV, "pip", "install", "--quiet", "--python", python)
    env, purpose = venv.sized(ctx.slots), "make protoc's environment"
    package = f"grpcio-tools=={grpcio_tools(project)}"
    return (
        Command((*make, str(where)), ctx.workdir, env, purpose=purpose),
        Command((*install, package), ctx.workdir, env, stamp=stamp, purpose=purpose),
    )


def _protoc(
    project: Project, generation: Generation, out: Path, ctx: Context
) -> Command:
    head = (str(venv.venv_python(protoc_environment(project, ctx.state))),)
    includes = tuple(f"-I{project.path / root}" for root in generation.protos)
    files = tuple(
        f for root in generation.protos for f in proto_files(project.path, root)
    )
    flags = tuple(f for p in generation.plugins for f in _flags(project, p, out, ctx))
    argv = (*head, "-m", "grpc_tools.protoc", *includes, *flags, *files)
    return Command(argv, project.path, venv.sized(ctx.slots), purpose="run protoc")


def _flags(
    project: Project, plugin: Plugin, out: Path, ctx: Context
) -> tuple[str, ...]:
    target = out / plugin.out
    target.mkdir(
        parents=True, exist_ok=True
    )  # protoc writes only into directories that exist
    flag = plugin.name  # protoc runs `protoc-gen-NAME` for `--NAME_out`
    options = tuple(f"--{flag}_opt={option}" for option in plugin.options)
    if not KINDS[plugin.name].package:
        return (f"--{flag}_out={target}", *options)
    binary = plugin_binary(project, plugin, ctx.state)
    return (
        f"--plugin=protoc-gen-{plugin.name}={binary}",
        f"--{flag}_out={target}",
        *options,
    )


def tools(project: Project, step: Step, root: Path) -> tuple[base.Tool, ...]:
    """uv and go, and the generators' versions (their builds are in the module's files)."""
    uv = Path(venv.UV) if venv.UV else "uv (missing)"
    plugins = (
        f"protoc-gen-{p.name} {version(project, p)}" for p in _go_plugins(project)
    )
    return (uv, base.program("go"), f"grpcio-tools {grpcio_tools(project)}", *plugins)


def properties(project: Project, step: Step, ctx: Context) -> base.Properties:
    """The generators that checked the project, as report properties."""
    plugins = tuple(
        (f"protoc-gen-{p.name}.version", version(project, p))
        for p in _go_plugins(project)
    )
    return (("protoc.version", f"grpcio-tools {grpcio_tools(project)}"), *plugins)


def versions(root: Path) -> dict[str, Command]:
    """No run-wide probe: each project's generators are its own (see `properties`)."""
    return {}


def judge(
    project: Project, step: Step, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    """A case per generated file that is missing, stale or left over; never green on red."""
    special = base.special_case(project, TOOL, results, INSTALL_HINT)
    if special is not None:
        return (special,)
    failed = next((r for r in results if r.returncode != 0), None)
    if failed is not None:
        message = (
            _last_line(failed)
            or f"{failed.purpose} exited with code {failed.returncode}"
        )
        return (base.error_case(project, TOOL, "generate.protoc", message, failed),)
    cases = () if ctx.fix else tuple(compare(project, ctx.workdir / SCRATCH))
    duration = sum(r.duration for r in results)
    return cases or (base.passed_case(project, TOOL, duration),)


def _last_line(result: ProcessResult) -> str:
    """What went wrong: protoc and uv say it last (`--go_out: ...`, `file.proto:2:1: ...`)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def compare(project: Project, scratch: Path) -> Iterator[TestCase]:
    """The regenerated files against the checked-in ones, and checked-in ones no longer made."""
    made = sorted(_files(scratch))
    for relative in made:
        yield from _checked(project, scratch, relative)
    for relative in sorted(set(_checked_in(project)) - set(made)):
        message = f"no .proto generates it any more; {FIX_HINT} and remove the file"
        yield _case(project, relative, "generate.orphan", message, "")


def _files(top: Path) -> Iterator[str]:
    for folder, _, files in os.walk(top):
        for name in files:
            yield (Path(folder) / name).relative_to(top).as_posix()


def _checked_in(project: Project) -> Iterator[str]:
    """The project's files that the declaration's plugins would write, by their names."""
    for out, suffix in generated(project):
        for relative in _files(project.path / out):
            if relative.endswith(suffix) and not _longer_suffix(relative, suffix):
                yield f"{out}/{relative}".removeprefix("./")


def _longer_suffix(relative: str, suffix: str) -> bool:
    """`x_grpc.pb.go` ends with `.pb.go` too: it belongs to the plugin with the longer ending."""
    endings = (s for k in KINDS.values() for s in k.suffixes)
    return any(len(s) > len(suffix) and relative.endswith(s) for s in endings)


def _checked(project: Project, scratch: Path, relative: str) -> Iterator[TestCase]:
    new = (scratch / relative).read_text(encoding="utf-8", errors="replace")
    try:
        old = (project.path / relative).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        old = None
    if old == new:
        return
    what = "stale" if old is not None else "missing"
    diff = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        new.splitlines(keepends=True),
        f"{relative} (checked in)" if old is not None else "/dev/null",
        f"{relative} (generated)",
    )
    text, said = "".join(diff), _SAID[what]
    case = _case(project, relative, f"generate.{what}", f"{said}; {FIX_HINT}", text)
    yield replace(case, line=base.first_changed_line(text) if old else 1)


_SAID = {
    "stale": "generated code is stale",
    "missing": "generated code is not checked in",
}


def _case(
    project: Project, relative: str, kind: str, message: str, text: str
) -> TestCase:
    return TestCase(
        classname=base.dir_classname(relative, project.name),
        name=f"{TOOL}: {relative}",
        verdict=Verdict.FAILURE,
        type=kind,
        message=message,
        text=text or message,
        file=relative,
        line=1,
    )


def outputs(project: Project, layout: Layout) -> tuple[Output, ...]:
    """Nothing: the generated code goes into the tree, never into the build output."""
    return ()


def local_requirements(path: Path) -> tuple[Path, ...]:
    """None: generation reads the .proto files its declaration names."""
    return ()


def selecting(name: str) -> tuple[str, ...]:
    """No tests to select."""
    return ()


def rerun_commands(
    project: Project, failed: Sequence[TestCase], ctx: Context
) -> tuple[Command, ...] | None:
    """Nothing reruns alone."""
    return None


def rerun_hints(project: Project, case: TestCase, layout: Layout) -> base.Properties:
    """No test to rerun."""
    return ()


def parts(project: Project, step: Step, probe: object) -> tuple[str, ...]:
    """Generation runs whole."""
    return ()
