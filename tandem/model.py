"""Tandem's vocabulary: projects, steps, commands, tasks, test cases and outcomes.

Everything here is a frozen value passed between the four stages
(discover, plan, run, report); nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

INTERRUPTED = "tandem.interrupted"  # the type of a case that an interrupt cut short
UNAFFECTED = "tandem.unaffected"  # the type of a case `--changed-since` left out
CACHED = "tandem.cached"  # the suite property of a replayed outcome: the key it was kept under


class TandemError(Exception):
    """A usage or configuration mistake: printed as one line, exit code 2."""


class Step(str, enum.Enum):
    """The checks Tandem runs on every project, in the order a person reads them."""

    GENERATE = (
        "generate"  # only for a project that declares code generated from .proto files
    )
    BUILD = "build"
    FMT = "fmt"
    VET = "vet"
    TEST = "test"


# The steps a language's adapter runs; `generate` has an adapter of its own (`adapters.for_step`).
LANGUAGE_STEPS = (Step.BUILD, Step.FMT, Step.VET, Step.TEST)


class Status(str, enum.Enum):
    """How a task ended."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class Verdict(str, enum.Enum):
    """How one test case ended; the values are the JUnit element names."""

    PASSED = "passed"
    FAILURE = "failure"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Plugin:
    """One protoc plugin a project generates code with (`tandem.adapters.protoc_spec` knows them)."""

    name: str  # "go", "go-grpc", "python", "pyi", "grpc_python"
    out: str  # project-relative directory the generated files are checked in under
    options: tuple[
        str, ...
    ] = ()  # protoc's `--NAME_opt` values ("paths=source_relative")
    version: str = (
        ""  # a pin for the plugin ("v1.36.12"); "": as the project's files say
    )


@dataclass(frozen=True)
class Generation:
    """How a project generates code from .proto files: in `buf.gen.yaml` or Tandem's config."""

    protos: tuple[str, ...]  # project-relative import roots holding the .proto files
    plugins: tuple[Plugin, ...]
    grpcio_tools: str = (
        ""  # the grpcio-tools version whose protoc runs; "": the default
    )
    declared_in: str = ""  # where it is declared, said in messages
    problem: str = ""  # why it cannot run (an unknown plugin...); the step says so


@dataclass(frozen=True)
class Project:
    """A Go module or Python project found under the root."""

    name: str
    language: str
    path: Path  # absolute
    needs: tuple[str, ...] = ()  # names of projects whose build this one waits for
    timeout: float | None = None
    args: Mapping[Step, tuple[str, ...]] = field(default_factory=dict)
    skip: frozenset[Step] = frozenset()
    xdist: bool | None = None  # pytest under xdist; None: if the project declares it
    test_requires: tuple[str, ...] = ()  # requirements added to the test environment
    formatter: str | None = None  # "black" or "ruff"; None: the adapter's default
    retries: int | None = None  # reruns of failed tests; None: as `--retries` says
    nested: tuple[Path, ...] = ()  # other projects' directories inside this one
    env: tuple[
        str, ...
    ] = ()  # environment variables (or globs) that can change results
    generate: Generation | None = None  # code generated from .proto files; None: none


@dataclass(frozen=True)
class Layout:
    """Where one run reads and writes, all absolute: the root, the build output root and the state."""

    root: Path
    output: Path  # OUTPUT/<project>: build output; TANDEM_DIST points here
    state: Path  # environments and durations kept between runs


@dataclass(frozen=True)
class Output:
    """A directory a build leaves for the tasks after it."""

    path: Path
    portable: bool  # plain files a copy restores (binaries, wheels); not an environment


@dataclass(frozen=True)
class Command:
    """One process to run: data only; `tandem.run` is the one module that spawns it."""

    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str] = field(
        default_factory=dict
    )  # added to the inherited environment
    stamp: Path | None = (
        None  # recorded (`tandem.cache.stamps`) when the command ends normally
    )
    purpose: str = (
        ""  # what the command is for, said when it fails ("create the environment")
    )
    normal: tuple[int, ...] = (0,)  # exit codes after which the next command still runs
    # Exit codes after which the commands after it are not needed: a quick look found nothing.
    enough: tuple[int, ...] = ()


@dataclass(frozen=True)
class ProcessResult:
    """What one command did, with the command itself."""

    command: Command
    returncode: int
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False
    missing: bool = False  # argv[0] was not found
    cut: int = 0  # bytes dropped from the middle of the output (a line marks where)
    interrupted: bool = False  # Tandem was interrupted while the command ran
    cpu: float = 0.0  # user + system seconds, with the descendants it waited for

    @property
    def argv(self) -> tuple[str, ...]:
        """The command line that ran."""
        return self.command.argv

    @property
    def purpose(self) -> str:
        """What the command was for."""
        return self.command.purpose

    @property
    def ended_normally(self) -> bool:
        """Exited with one of its command's normal codes, in time and uninterrupted."""
        timely = not (self.timed_out or self.interrupted)
        return timely and self.returncode in self.command.normal

    @property
    def output(self) -> str:
        """Both streams, for people."""
        return "\n".join(s for s in (self.stdout, self.stderr) if s)


@dataclass(frozen=True)
class Context:
    """Where a task's command runs and what share of the machine it holds."""

    root: Path
    dist: Path  # OUTPUT/<project>: this project's build output
    state: Path  # kept between runs (environments, durations); default root/.tandem
    workdir: Path  # a fresh directory for this task alone (reports the tool writes)
    slots: int = (
        1  # CPU slots this task holds: go -p, GOMAXPROCS, pytest -n, tool workers
    )
    timeout: float = 900.0
    fix: bool = False  # fmt rewrites files instead of checking them
    part: tuple[str, ...] = ()  # the task's part (`Task.part`); () for the whole step


@dataclass(frozen=True)
class Task:
    """One step of one project, and the tasks it waits for."""

    project: Project
    step: Step
    needs: tuple[str, ...] = ()  # task ids that must pass first
    # A shard's part of the step, as the adapter's `parts` names them (Go packages, pytest
    # files); () for the whole step. The id stays the step's, so parts report as one suite.
    part: tuple[str, ...] = ()
    # Task ids this one starts after, whatever their outcome, when they are in the run: the
    # generated code's check before the steps that compile it.
    after: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """`project:step`, unique in a plan (a shard runs at most one part of a step)."""
        return f"{self.project.name}:{self.step.value}"


@dataclass(frozen=True)
class Attempt:
    """An earlier failed attempt of a test that was run more than once."""

    verdict: Verdict  # FAILURE or ERROR
    message: str = ""
    text: str = ""


@dataclass(frozen=True)
class TestCase:
    """One JUnit test case: a test, a finding, or a synthetic case for a step."""

    __test__ = False  # not a pytest class

    classname: str
    name: str
    time: float = 0.0
    verdict: Verdict = Verdict.PASSED
    type: str = ""  # e.g. go.test, fmt.black, tandem.timeout
    message: str = ""
    text: str = ""
    stdout: str = ""
    stderr: str = ""
    file: str | None = None  # project-relative, "/" separated (extended flavour)
    line: int | None = None  # 1-based (extended flavour)
    properties: tuple[tuple[str, str], ...] = ()  # extended flavour only
    attempts: tuple[
        Attempt, ...
    ] = ()  # earlier failures: flaky* if this passed, rerun* if not

    @property
    def red(self) -> bool:
        """True for a failure or an error."""
        return self.verdict in (Verdict.FAILURE, Verdict.ERROR)


def status_of(cases: tuple[TestCase, ...]) -> Status:
    """The task status that its test cases add up to: an error outranks a failure."""
    verdicts = {case.verdict for case in cases}
    if Verdict.ERROR in verdicts:
        return Status.ERROR
    if Verdict.FAILURE in verdicts:
        return Status.FAILED
    if verdicts == {Verdict.SKIPPED}:
        return Status.SKIPPED
    return Status.PASSED


def utcnow() -> datetime:
    """The current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Outcome:
    """A finished task: truthy unless it failed or errored."""

    task: Task
    cases: tuple[TestCase, ...]
    started: datetime = field(default_factory=utcnow)
    duration: float = 0.0
    properties: tuple[tuple[str, str], ...] = ()
    slots: int = 0  # CPU slots the task held while it ran (0: it did not run)
    cpu: float = 0.0  # CPU seconds its commands took (user + system)

    @property
    def status(self) -> Status:
        """Derived from the cases, so the report and the exit code always agree."""
        return status_of(self.cases)

    @property
    def interrupted(self) -> bool:
        """Cut short by Ctrl-C, SIGTERM or SIGHUP: one of its cases says so."""
        return any(case.type == INTERRUPTED for case in self.cases)

    @property
    def replayed(self) -> bool:
        """Not run this time: replayed from the cache."""
        return any(name == CACHED for name, _ in self.properties)

    def __bool__(self) -> bool:
        return self.status not in (Status.FAILED, Status.ERROR)


def step_case(task: Task, verdict: Verdict, kind: str, message: str) -> TestCase:
    """A `[step]` case saying why a task did not run, or what cut it short."""
    name = f"[{task.step.value}]"
    return TestCase(
        task.project.name,
        name,
        verdict=verdict,
        type=kind,
        message=message,
        text=message,
    )


def case_for(task: Task, verdict: Verdict, kind: str, message: str) -> Outcome:
    """An outcome for a task that did not run: one `[step]` case saying why."""
    return Outcome(task, (step_case(task, verdict, kind, message),))


# Runs one task with the CPU slots it holds: what the scheduler calls, and what wrappers wrap.
Execute = Callable[[Task, int], Awaitable[Outcome]]


class Watcher(Protocol):
    """Who hears of a run as it goes: its plan, and each task as it starts and as it ends."""

    def planned(self, tasks: tuple[Task, ...], durations: Mapping[str, float]) -> None:
        """The tasks about to run, and how long each took before (where known)."""

    def started(self, task: Task) -> None:
        """A task began."""

    def done(self, outcome: Outcome) -> None:
        """A task ended."""


class Unwatched:
    """A run no one watches."""

    def planned(self, tasks: tuple[Task, ...], durations: Mapping[str, float]) -> None:
        """Nothing to show."""

    def started(self, task: Task) -> None:
        """Nothing to show."""

    def done(self, outcome: Outcome) -> None:
        """Nothing to show."""
