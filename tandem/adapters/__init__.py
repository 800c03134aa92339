"""Language adapters: one plain module per language behind the `Adapter` protocol.

An adapter knows its tools' quirks and nothing else: it turns a step into
commands (data) and judges what those commands did into test cases. It never
spawns a process; `tandem.run` does that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

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

# Runs one command at once and returns what it did (`tandem.run`): adapters never spawn.
Probe = Callable[[Command], ProcessResult]


class Adapter(Protocol):
    """What Tandem asks of a language."""

    LANGUAGE: str  # "go", "python"
    MARKER: str  # the file that makes a directory a project of this language
    INSTALL_HINT: str  # said when the toolchain is missing
    ENV: tuple[str, ...]  # variables (globs) that change what the tools build or report
    # files that, where a version probe runs, may change its answer (a go.mod's toolchain)
    PROBE_FILES: tuple[str, ...]
    TEST_NEEDS_BUILD: (
        bool  # False where the test tool reports build breaks per package itself
    )

    def local_requirements(self, path: Path) -> tuple[Path, ...]:
        """Absolute directories of other projects this one depends on by path."""

    def versions(self, root: Path) -> Mapping[str, Command]:
        """Commands that print the tool versions, keyed by report property name."""

    def commands(self, project: Project, step: Step, ctx: Context) -> Sequence[Command]:
        """The commands for one step, run in order until one exits non-zero."""

    def properties(
        self, project: Project, step: Step, ctx: Context
    ) -> tuple[tuple[str, str], ...]:
        """Report properties of one task: the tool versions that checked this project."""

    def judge(
        self,
        project: Project,
        step: Step,
        results: Sequence[ProcessResult],
        ctx: Context,
    ) -> tuple[TestCase, ...]:
        """Turn what the commands did into test cases; never green when a tool went red."""

    def tools(self, project: Project, step: Step, root: Path) -> tuple[Path | str, ...]:
        """The tools a step runs, known without running them: their files (the cache digests
        their content) or facts such as a version."""

    def outputs(self, project: Project, layout: Layout) -> tuple[Output, ...]:
        """The directories a build leaves for the tasks after it."""

    def watched(self) -> tuple[Path, ...]:
        """Directories outside the tree whose entries decide which tools a step finds (the
        PATH's; where interpreters are installed): a no-op run is replayed whole only while
        none of them changed (`tandem.cache.noop`)."""

    def selecting(self, name: str) -> tuple[str, ...]:
        """The test tool's arguments that run only the tests whose name holds `name`, in any
        case (`tandem test -k NAME`)."""

    def rerun_commands(
        self, project: Project, failed: Sequence[TestCase], ctx: Context
    ) -> Sequence[Command] | None:
        """One command per failed test that runs it again alone; None when any cannot be."""

    def rerun_hints(
        self, project: Project, case: TestCase, layout: Layout
    ) -> tuple[tuple[str, str], ...]:
        """For a red test: (`rerun`, the tool's command) and (`rerun.tandem`, Tandem's), from
        the repository root; nothing for a case no command can rerun alone."""

    def parts(self, project: Project, step: Step, probe: Probe) -> tuple[str, ...]:
        """The parts a step can run in apart, for shards (Go packages, pytest files), sorted;
        () when it runs whole. `probe` runs a command that lists them; `Context.part` then
        names the parts one task runs, and their cases are named as the whole step's."""


def for_step(language: str, step: Step) -> Adapter:
    """The adapter that runs a step: the code generator for `generate`, else the language's."""
    if step is Step.GENERATE:
        from tandem.adapters import protoc

        return protoc
    return ADAPTERS[language]


def _registry() -> dict[str, Adapter]:
    from tandem.adapters import go, python

    return {go.LANGUAGE: go, python.LANGUAGE: python}


ADAPTERS: Mapping[str, Adapter] = _registry()
