"""The Python adapter: a per-project environment and wheel, the formatter and ruff, and pytest.

The environment and the build come from `tandem.adapters.venv`, the format and lint checks from
`tandem.adapters.python_lint`. pytest runs inside the project's environment and reports through
`--junitxml`, which `pytest_xml` normalises; `pytest_progress` names a test that never ended;
`pytest_parts` runs a shard's part of the tests.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tandem.adapters import (
    base,
    build_env,
    interpreters,
    pyproject,
    pytest_parts,
    venv,
)
from tandem.lazy import lazy
from tandem.model import (
    Command,
    Context,
    Layout,
    Output,
    ProcessResult,
    Project,
    Step,
    TestCase,
)

# Judging and the lint commands load on first use: a run that replays every task needs neither.
pytest_progress = lazy("tandem.adapters.pytest_progress")
pytest_xml = lazy("tandem.adapters.pytest_xml")
python_lint = lazy("tandem.adapters.python_lint")

LANGUAGE = "python"
MARKER = "pyproject.toml"
INSTALL_HINT = "install Python 3.11+ and Tandem's dependencies (black, ruff, uv)"
ENV = ("PYTHON*", "UV_*", "PIP_*", "VIRTUAL_ENV")
PROBE_FILES = ()  # the probes run Tandem's own Python, black, ruff and uv by their paths
TEST_NEEDS_BUILD = True  # pytest runs in the environment that the build step makes
REPORT = "pytest.xml"
PYTEST_OPTIONS = (
    "-o",
    "junit_family=xunit1",  # the family with file and line
    "-o",
    "junit_logging=all",
    "-o",
    "junit_log_passing_tests=false",
    "-p",
    "no:cacheprovider",
)

local_requirements = pyproject.local_requirements


def formatter(project: Project) -> str:
    """The formatter that checks the project: "black" or "ruff"."""
    return python_lint.formatter(project)


_ERROR_LINE = re.compile(r"^\s*(?:error|ERROR)\b.*$", re.MULTILINE)
_STOPS_EARLY = re.compile(
    r"^(?:-[vqslV]*x[vqslV]*|--exitfirst|--maxfail(?:=\S*)?|--sw(?:-skip)?|--stepwise(?:-skip)?)$"
)
_JUNITXML = "--junitxml="


def tools(project: Project, step: Step, root: Path) -> tuple[base.Tool, ...]:
    """uv and the interpreter for a build; uv, black and ruff for fmt and vet.

    Pinned tool versions are in the project's files, which the key covers anyway.
    """
    uv = Path(venv.UV) if venv.UV else "uv (missing)"
    if step is Step.BUILD:
        return (uv, *venv.interpreter_facts(project, root))
    if step is Step.TEST:
        return ()
    return (uv, base.distribution("black"), venv.RUFF)


def outputs(project: Project, layout: Layout) -> tuple[Output, ...]:
    """The wheel's directory, and the environment the project was installed into."""
    made = Output(venv.environment(layout.state, project), portable=False)
    return (*base.basic_outputs(project, layout), made)


def watched() -> tuple[Path, ...]:
    """Where interpreters are installed, the PATH's directories, and where black is."""
    site = base.site_of("black")
    return (*interpreters.searched(), *base.basic_watched(), *([site] if site else []))


def versions(root: Path) -> dict[str, Command]:
    """Commands that print Tandem's own Python, black, ruff (and uv) versions."""
    found = {
        "python.version": Command((sys.executable, "--version"), root),
        "black.version": Command((sys.executable, "-m", "black", "--version"), root),
        "ruff.version": Command((*venv.own_tool("ruff"), "--version"), root),
    }
    if venv.UV:
        found["uv.version"] = Command((venv.UV, "--version"), root)
    return found


def commands(project: Project, step: Step, ctx: Context) -> tuple[Command, ...]:
    """The commands for one step; a Refusal when the step cannot run here at all."""
    if step is Step.BUILD:
        return venv.build_commands(project, ctx, _uv())
    if step is Step.TEST:
        return (_pytest(project, ctx),)
    user = tuple(project.args.get(step, ()))
    if step is Step.FMT:
        return python_lint.format_commands(project, ctx, user)
    return (python_lint.vet_command(project, ctx, user),)


def _uv() -> str:
    if venv.UV is None:
        raise base.Refusal(
            "uv", "tandem.missing-tool", f"uv: not found on PATH; {INSTALL_HINT}"
        )
    return venv.UV


def properties(project: Project, step: Step, ctx: Context) -> base.Properties:
    """The interpreter and tool versions that checked this project, and what Tandem added."""
    if step is Step.FMT:
        return python_lint.pinned_property(project, python_lint.formatter(project))
    if step is Step.VET:
        return python_lint.pinned_property(project, "ruff")
    plan = venv.setup(project, ctx)
    found = (("python.version", f"Python {plan.python.version}"),)
    added = (("tandem.added", f"{', '.join(plan.added)} (the project declares none)"),)
    return found + added if plan.added else found


def pytest_argv(project: Project, ctx: Context) -> tuple[str, ...]:
    """pytest inside the project's environment, writing an xunit1 report into the workdir."""
    workers = ("-n", str(max(1, ctx.slots))) if _uses_xdist(project) else ()
    extra = project.args.get(Step.TEST, ())
    part = pytest_parts.ignore_args(project, ctx.part)
    return (*_pytest_head(project, ctx, ctx.workdir / REPORT), *workers, *part, *extra)


def parts(project: Project, step: Step, probe: object) -> tuple[str, ...]:
    """The test files and the rest (`pytest_parts`), found in the tree without a process."""
    return pytest_parts.parts(project) if step is Step.TEST else ()


def _uses_xdist(project: Project) -> bool:
    if project.xdist is not None:
        return project.xdist
    return pyproject.configures_xdist(project.path)


def _pytest_head(project: Project, ctx: Context, report: Path) -> tuple[str, ...]:
    pytest = str(venv.venv_dir(project, ctx) / "bin" / "pytest")
    # --rootdir: node ids and file names relative to the project, whatever config lies above it
    rootdir = f"--rootdir={project.path}"
    # The plugin names the tests that a timeout or an interrupt cuts short.
    plugin = pytest_progress.plugin_args()
    return (pytest, f"--junitxml={report}", *PYTEST_OPTIONS, *plugin, rootdir)


def _pytest(project: Project, ctx: Context) -> Command:
    report = ctx.workdir / REPORT
    # The workdir is fresh; removing the records anyway means stale ones are never read back.
    report.unlink(missing_ok=True)
    pytest_progress.progress_file(report).unlink(missing_ok=True)
    env = _pytest_env(project, ctx, report)
    return Command(pytest_argv(project, ctx), project.path, env)


def _pytest_env(project: Project, ctx: Context, report: Path) -> dict[str, str]:
    env = venv.activated(venv.venv_dir(project, ctx))
    return {**env, **venv.bytecode_env(ctx.state), **pytest_progress.plugin_env(report)}


def rerun_commands(
    project: Project, failed: Sequence[TestCase], ctx: Context
) -> tuple[Command, ...] | None:
    """pytest on each failed test's node id alone; None unless every one is a test with a node id."""
    nodes = [pytest_xml.node_id(case, project.name, project.path) for case in failed]
    if not nodes or None in nodes or _stops_early(project):
        return None
    return tuple(_rerun(project, ctx, node, n) for n, node in enumerate(nodes) if node)


def _rerun(project: Project, ctx: Context, node: str, number: int) -> Command:
    # A report of its own: one rerun that writes none never reads another's back.
    report = ctx.workdir / f"rerun-{number}.xml"
    # One test gains nothing from workers: -n 0 runs it in pytest's own process.
    workers = ("-n", "0") if _uses_xdist(project) else ()
    extra = project.args.get(Step.TEST, ())
    argv = (*_pytest_head(project, ctx, report), *workers, *extra, node)
    return Command(argv, project.path, _pytest_env(project, ctx, report))


def selecting(name: str) -> tuple[str, ...]:
    """`-k NAME`: pytest's own match on test names, which ignores case."""
    return ("-k", name)


def rerun_hints(project: Project, case: TestCase, layout: Layout) -> base.Properties:
    """The project's pytest on the test's node id from the root, and Tandem's form."""
    node = pytest_xml.node_id(case, project.name, project.path)
    if node is None:
        return ()
    pytest = venv.environment(layout.state, project) / "bin" / "pytest"
    path, _, inside = node.partition("::")
    where = os.path.relpath(project.path / path, layout.root)
    native = (os.path.relpath(pytest, layout.root), f"{where}::{inside}")
    return base.rerun_properties(project, native, (node,))


def _stops_early(project: Project) -> bool:
    """-x, --maxfail or --stepwise leave later tests unrun: a rerun that passes would hide them."""
    words = (*pyproject.pytest_addopts(project.path), *project.args.get(Step.TEST, ()))
    return any(_STOPS_EARLY.match(word) for word in words)


def judge(
    project: Project, step: Step, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    """Turn what the step's commands did into test cases; never green when a command went red."""
    tool = _tool(step, results)
    special = base.special_case(project, tool, results, INSTALL_HINT)
    if special and step is Step.TEST and not results[-1].missing:
        # Stopped by SIGINT, pytest still wrote its report: the tests that ended stay.
        last = results[-1]
        report = _report_path(last, ctx)
        return pytest_progress.judge_stopped(project.name, last, report, special, ctx)
    if special:
        return (special,)
    cases = _JUDGES[step](project, results, ctx)
    # pytest's "no tests collected" is a skip, which the normaliser has already reported.
    expected = (0, pytest_xml.NO_TESTS) if step is Step.TEST else (0,)
    return base.ensure_red(project, tool, results, cases, expected)


def _tool(step: Step, results: Sequence[ProcessResult]) -> str:
    if step is Step.BUILD:
        return BUILD_TOOLS.get(results[-1].purpose, "build") if results else "wheel"
    if step is Step.FMT:
        return python_lint.format_tool(results)
    return {Step.VET: "ruff", Step.TEST: "pytest"}[step]


BUILD_TOOLS = {
    venv.MIRROR: "mirror",
    venv.ENVIRONMENT: "venv",
    build_env.PURPOSE: "venv",
    venv.INSTALL: "install",
    venv.WHEEL: "wheel",
    venv.OUTPUT: "wheel",
}


def _judge_build(
    project: Project, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    last = results[-1]
    if last.returncode == 0:
        return (base.passed_case(project, "wheel", sum(r.duration for r in results)),)
    tool = _tool(Step.BUILD, results)
    found = _ERROR_LINE.search(last.output)
    message = f"could not {last.purpose or 'build'}" + (
        f": {found[0].strip()}" if found else ""
    )
    return (base.error_case(project, tool, "python.build", message, last),)


def _judge_test(
    project: Project, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    last = results[-1]
    xml = _read(_report_path(last, ctx))
    return pytest_xml.to_cases(
        xml, last.returncode, last.stdout, last.stderr, project.name
    )


def _report_path(result: ProcessResult, ctx: Context) -> Path:
    """Where the command was told to write its report."""
    given = (a for a in result.argv if a.startswith(_JUNITXML))
    return Path(next(given, _JUNITXML + str(ctx.workdir / REPORT))[len(_JUNITXML) :])


def _read(report: Path) -> str | None:
    try:
        return report.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None


_Judge = Callable[[Project, Sequence[ProcessResult], Context], tuple[TestCase, ...]]
_JUDGES: Mapping[Step, _Judge] = {
    Step.BUILD: _judge_build,
    # Looked up when judged: reading them here would load python_lint at import.
    Step.FMT: lambda *args: python_lint.judge_fmt(*args),
    Step.VET: lambda *args: python_lint.judge_vet(*args),
    Step.TEST: _judge_test,
}
