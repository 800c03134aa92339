"""The cache around the executor: what is kept, what is replayed, and how build outputs come back."""

from __future__ import annotations

import asyncio
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tandem.cache.replay import Cache, cached, replay_all
from tandem.cache.store import Store
from tandem.model import (
    CACHED,
    INTERRUPTED,
    Layout,
    Outcome,
    Project,
    Step,
    Task,
    TestCase,
    Verdict,
)

GREEN = (
    TestCase("svc/pkg", "TestA", time=0.25, stdout="ok\n", file="a_test.go", line=3),
    TestCase("svc", "[go vet]", properties=(("k", "v"),)),
)
RED = (TestCase("svc/pkg", "TestB", verdict=Verdict.FAILURE, message="boom"),)
BINARY = b"\x7fELF" + bytes(range(256)) * 4


class Executor:
    """A stand-in for the engine: counts its calls and ends each task as told; a build writes
    its output files first."""

    def __init__(self, layout: Layout, store: Store, cases=GREEN) -> None:
        self.layout, self.store, self.cases = layout, store, cases
        self.calls: list[str] = []
        self.marks: list[str] = []  # each build's mark as it started

    async def __call__(self, task: Task, slots: int) -> Outcome:
        self.calls.append(task.id)
        if task.step is Step.BUILD:
            self.marks.append(self.store.marked(task.project.name))
            self.build(task.project)
        started = datetime(2026, 5, 9, 7, 0, len(self.calls), tzinfo=UTC)
        return Outcome(task, self.cases, started, 1.5, (("go.version", "go1.22"),))

    def build(self, project: Project) -> None:
        out = self.layout.output / project.name
        (out / "bin").mkdir(parents=True, exist_ok=True)
        (out / "bin" / "svc").write_bytes(BINARY)
        (out / "bin" / "svc").chmod(0o751)
        (out / "VERSION").write_text("1.0\n")
        if project.language == "python":
            env = self.layout.state / "venvs" / project.name
            env.mkdir(parents=True, exist_ok=True)
            (env / "pyvenv.cfg").write_text("home = /usr/bin\n")


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    root = tmp_path / "repo"
    return Layout(root, root / "out", root / ".tandem")


@pytest.fixture
def store(layout: Layout) -> Store:
    return Store(layout.state / "cache")


@pytest.fixture
def executor(layout: Layout, store: Store) -> Executor:
    return Executor(layout, store)


def task_of(step: Step, language: str = "go", layout: Layout | None = None) -> Task:
    root = layout.root if layout else Path("/repo")
    return Task(Project("svc", language, root / "svc"), step)


def run(cache: Cache, execute, task: Task) -> Outcome:
    """One task through the cache, as the scheduler would run it."""
    return asyncio.run(cached(execute, cache)(task, 1))


def new_run(store: Store, layout: Layout, **keys: str) -> Cache:
    """The cache of a new run: the same store, keys as given (`svc_build="k1"`)."""
    return Cache(store, {k.replace("_", ":"): v for k, v in keys.items()}, layout)


# Outcomes.


def test_a_green_outcome_is_kept_and_the_next_run_replays_it(store, layout, executor):
    task = task_of(Step.TEST)
    first = run(new_run(store, layout, svc_test="k1"), executor, task)
    cache = new_run(store, layout, svc_test="k1")
    again = run(cache, executor, task)
    assert executor.calls == ["svc:test"]
    assert again.replayed and not first.replayed
    assert again.properties == (*first.properties, (CACHED, "k1"))
    assert again.cases == first.cases == GREEN
    # Replayed now, holding no CPU slot; the cases and the duration are the kept ones.
    assert again.started > first.started and again.slots == 0
    assert (again.duration, again.task) == (1.5, task)
    assert run(cache, executor, task) is again  # once per run, however often asked


def test_a_changed_key_runs_the_task_again(store, layout, executor):
    task = task_of(Step.VET)
    run(new_run(store, layout, svc_vet="k1"), executor, task)
    run(new_run(store, layout, svc_vet="k2"), executor, task)
    assert executor.calls == ["svc:vet", "svc:vet"]
    run(new_run(store, layout, svc_vet="k1"), executor, task)  # both kept now
    run(new_run(store, layout, svc_vet="k2"), executor, task)
    assert len(executor.calls) == 2


def test_a_red_outcome_is_never_kept(store, layout, executor):
    executor.cases = RED
    task = task_of(Step.TEST)
    for _ in range(2):
        outcome = run(new_run(store, layout, svc_test="k1"), executor, task)
        assert not outcome and not outcome.replayed
    assert executor.calls == ["svc:test", "svc:test"]
    assert store.get("k1") is None


@pytest.mark.parametrize(
    "verdict", [Verdict.ERROR, Verdict.SKIPPED], ids=["red", "otherwise-green"]
)
def test_an_interrupted_outcome_is_never_kept(store, layout, executor, verdict):
    cut = TestCase("svc", "[test]", verdict=verdict, type=INTERRUPTED)
    executor.cases = (*GREEN, cut)
    task = task_of(Step.TEST)
    run(new_run(store, layout, svc_test="k1"), executor, task)
    run(new_run(store, layout, svc_test="k1"), executor, task)
    assert executor.calls == ["svc:test", "svc:test"] and store.get("k1") is None


def test_a_task_without_a_key_always_runs_and_keeps_nothing(store, layout, executor):
    task = task_of(Step.TEST)
    for _ in range(2):
        assert not run(new_run(store, layout), executor, task).replayed
    assert executor.calls == ["svc:test", "svc:test"]
    assert not store.entries.exists()


def test_a_damaged_entry_runs_the_task_and_is_replaced(store, layout, executor):
    task = task_of(Step.TEST)
    run(new_run(store, layout, svc_test="k1"), executor, task)
    path = store.entries / "k1"
    whole = path.read_bytes()
    path.write_bytes(whole.replace(b"TestA", b"TestX"))
    run(new_run(store, layout, svc_test="k1"), executor, task)
    assert executor.calls == ["svc:test", "svc:test"]
    assert run(new_run(store, layout, svc_test="k1"), executor, task).replayed
    assert len(executor.calls) == 2


@pytest.mark.parametrize(
    "entry",
    [
        {},
        [],
        "outcome",
        {"outcome": None},
        {"outcome": {"cases": 5}},
        {"outcome": {"cases": [{"name": "no classname"}], "started": "x"}},
    ],
)
def test_an_entry_not_shaped_as_written_runs_the_task(store, layout, executor, entry):
    store.put("k1", entry)
    task = task_of(Step.TEST)
    assert not run(new_run(store, layout, svc_test="k1"), executor, task).replayed
    assert executor.calls == ["svc:test"]


def test_replay_all_replays_every_task_or_stops_at_the_first_that_must_run(
    store, layout, executor
):
    tasks = [task_of(step) for step in (Step.FMT, Step.VET, Step.TEST)]
    keys = {"svc_fmt": "k1", "svc_vet": "k2", "svc_test": "k3"}
    for task in (tasks[0], tasks[2]):
        run(new_run(store, layout, **keys), executor, task)
    cache = new_run(store, layout, **keys)
    assert replay_all(tasks, cache) is None
    assert set(cache.replayed) == {"svc:fmt"}  # svc:test was never asked
    run(cache, executor, tasks[1])
    outcomes = replay_all(tasks, new_run(store, layout, **keys))
    assert [o.task for o in outcomes] == tasks
    assert [dict(o.properties)[CACHED] for o in outcomes] == ["k1", "k2", "k3"]
    assert executor.calls == ["svc:fmt", "svc:test", "svc:vet"]


# Build outputs.


def built(layout: Layout) -> Path:
    return layout.output / "svc" / "bin" / "svc"


def test_a_replayed_go_build_restores_a_deleted_binary(store, layout, executor):
    task = task_of(Step.BUILD, "go", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    assert store.marked("svc") == "k1"
    built(layout).unlink()
    (layout.output / "svc" / "VERSION").unlink()
    outcome = run(new_run(store, layout, svc_build="k1"), executor, task)
    assert outcome.replayed and executor.calls == ["svc:build"]
    assert built(layout).read_bytes() == BINARY
    assert stat.S_IMODE(built(layout).stat().st_mode) == 0o751
    assert (layout.output / "svc" / "VERSION").read_text() == "1.0\n"


def test_a_replayed_build_puts_back_its_own_files_over_another_builds(
    store, layout, executor
):
    task = task_of(Step.BUILD, "go", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    store.mark("svc", "k2")  # another build ran since, with files of the same size
    built(layout).write_bytes(bytes(len(BINARY)))
    assert run(new_run(store, layout, svc_build="k1"), executor, task).replayed
    assert built(layout).read_bytes() == BINARY
    assert store.marked("svc") == "k1" and executor.calls == ["svc:build"]


def test_outputs_the_mark_vouches_for_are_left_as_they_are(store, layout, executor):
    task = task_of(Step.BUILD, "go", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    for blob in store.blobs.iterdir():
        blob.unlink()  # not needed: the outputs hold what build k1 made
    assert run(new_run(store, layout, svc_build="k1"), executor, task).replayed
    assert built(layout).read_bytes() == BINARY and executor.calls == ["svc:build"]


def test_a_build_whose_kept_files_are_damaged_runs(store, layout, executor):
    task = task_of(Step.BUILD, "go", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    for blob in store.blobs.iterdir():
        blob.write_bytes(blob.read_bytes()[:-1] + b"?")
    built(layout).unlink()
    outcome = run(new_run(store, layout, svc_build="k1"), executor, task)
    assert not outcome.replayed and executor.calls == ["svc:build", "svc:build"]
    assert built(layout).read_bytes() == BINARY  # from the build, not the damaged copy


def test_a_build_forgets_its_mark_before_it_runs(store, layout, executor):
    build, vet = task_of(Step.BUILD, "go", layout), task_of(Step.VET, "go", layout)
    store.mark("svc", "k0")
    run(new_run(store, layout, svc_build="k1", svc_vet="k2"), executor, vet)
    assert store.marked("svc") == "k0"  # not a build: the outputs are as they were
    run(new_run(store, layout, svc_build="k1"), executor, build)
    assert executor.marks == [""] and store.marked("svc") == "k1"


def test_a_build_without_a_key_leaves_no_mark(store, layout, executor):
    store.mark("svc", "k0")
    run(new_run(store, layout), executor, task_of(Step.BUILD, "go", layout))
    assert executor.marks == [""] and store.marked("svc") == ""


def test_a_python_build_replays_only_while_its_environment_holds_what_it_made(
    store, layout, executor
):
    task = task_of(Step.BUILD, "python", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    assert store.marked("svc") == "k1"
    assert run(new_run(store, layout, svc_build="k1"), executor, task).replayed
    assert executor.calls == ["svc:build"]
    store.mark("svc", "k2")  # another build changed the environment since
    assert not run(new_run(store, layout, svc_build="k1"), executor, task).replayed
    assert executor.calls == ["svc:build", "svc:build"]
    store.unmark("svc")  # a build began and did not finish
    assert not run(new_run(store, layout, svc_build="k1"), executor, task).replayed
    assert len(executor.calls) == 3
    assert run(new_run(store, layout, svc_build="k1"), executor, task).replayed
    assert len(executor.calls) == 3


def test_when_every_task_replays_a_python_build_needs_no_environment(
    store, layout, executor
):
    build, test = task_of(Step.BUILD, "python", layout), task_of(Step.TEST, "python")
    keys = {"svc_build": "k1", "svc_test": "k2"}
    for task in (build, test):
        run(new_run(store, layout, **keys), executor, task)
    store.unmark(
        "svc"
    )  # a fresh clone: the verdicts are shared, the environment is not
    built(layout).unlink()
    cache = new_run(store, layout, **keys)
    outcomes = replay_all([build, test], cache)
    assert outcomes is not None and all(o.replayed for o in outcomes)
    assert (
        built(layout).read_bytes() == BINARY
    )  # the plain files are put back all the same
    assert store.marked("svc") == ""  # nothing vouches for the environment
    assert "svc:build" not in cache.replayed  # no task that runs may count on it
    assert not run(cache, executor, build).replayed  # one that must run after it builds
    assert executor.calls == ["svc:build", "svc:test", "svc:build"]


def test_a_python_build_keeps_copies_of_its_wheel_directory_not_of_its_environment(
    store, layout, executor
):
    task = task_of(Step.BUILD, "python", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    outputs = store.get("k1")["outputs"]
    assert list(outputs) == ["out/svc"]
    assert sorted(outputs["out/svc"]) == ["VERSION", "bin/svc"]
    assert len(list(store.blobs.iterdir())) == 2


@pytest.mark.parametrize("outputs", [["out/svc"], "out/svc", {"out/svc": ["x"]}, None])
def test_a_build_entry_whose_outputs_are_not_shaped_as_written_runs_the_build(
    store, layout, executor, outputs
):
    task = task_of(Step.BUILD, "go", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    entry = store.get("k1")
    store.put("k1", {**entry, "outputs": outputs})
    store.unmark("svc")
    assert not run(new_run(store, layout, svc_build="k1"), executor, task).replayed
    assert executor.calls == ["svc:build", "svc:build"]


def test_a_build_that_ran_over_a_damaged_copy_mends_it(store, layout, executor):
    task = task_of(Step.BUILD, "go", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    for blob in store.blobs.iterdir():
        blob.write_bytes(b"?" + blob.read_bytes()[1:])
    store.unmark("svc")
    run(new_run(store, layout, svc_build="k1"), executor, task)  # runs: copies damaged
    built(layout).unlink()
    assert run(new_run(store, layout, svc_build="k1"), executor, task).replayed
    assert built(layout).read_bytes() == BINARY
    assert executor.calls == ["svc:build", "svc:build"]


@pytest.mark.parametrize(
    "rel", ["../../escaped", "/etc/escaped", "bin/../../escaped", ""]
)
def test_a_manifest_naming_a_path_out_of_its_directory_is_refused(
    store, layout, executor, rel
):
    task = task_of(Step.BUILD, "go", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    entry = store.get("k1")
    files = entry["outputs"]["out/svc"]
    files[rel] = files.pop("bin/svc")  # as a server that is not trusted might send it
    store.put("k1", entry)
    built(layout).unlink()
    outcome = run(new_run(store, layout, svc_build="k1"), executor, task)
    assert not outcome.replayed and executor.calls == ["svc:build", "svc:build"]
    assert not (layout.root.parent / "escaped").exists()


def test_a_manifest_line_of_the_wrong_types_makes_the_build_run(
    store, layout, executor
):
    task = task_of(Step.BUILD, "go", layout)
    run(new_run(store, layout, svc_build="k1"), executor, task)
    entry = store.get("k1")
    entry["outputs"]["out/svc"]["bin/svc"] = [7, "big", None]
    store.put("k1", entry)
    built(layout).unlink()
    assert not run(new_run(store, layout, svc_build="k1"), executor, task).replayed


def test_without_replays_every_task_runs_and_green_ones_are_still_kept(
    store, layout, executor
):
    task = task_of(Step.BUILD, "python", layout)
    first = new_run(store, layout, svc_build="k1")
    run(first, executor, task)
    blind = Cache(store, {"svc:build": "k1"}, layout, replays=False)  # `--no-cache`
    assert not run(blind, executor, task).replayed
    assert executor.calls == ["svc:build", "svc:build"] and store.marked("svc") == "k1"
    assert replay_all([task], blind) is None
    assert run(new_run(store, layout, svc_build="k1"), executor, task).replayed
