"""Sharding's pure logic: `K/N` read, units dealt by time, a dominant step split, durations
read from a JUnit report, and a pytest part's arguments."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tandem import history, shard_plan
from tandem.adapters import pytest_parts
from tandem.model import Command, ProcessResult, Project, Step, TandemError, Task
from tandem.plan import make_plan
from tandem.shard import (
    Shard,
    Unit,
    assign,
    dominant,
    load,
    parse_shard,
    shard_from_env,
    split,
)
from tests.conftest import write_tree

GOBIG = Project("gobig", "go", Path("/r/gobig"))
GOSMALL = Project("gosmall", "go", Path("/r/gosmall"))
PY = Project("py", "python", Path("/r/py"))


@pytest.mark.parametrize(
    ("text", "shard"),
    [("1/1", Shard(1, 1)), ("2/4", Shard(2, 4)), (" 3 / 3 ", Shard(3, 3))],
)
def test_k_of_n_is_read(text, shard):
    assert parse_shard(text) == shard
    assert str(shard) == text.replace(" ", "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/2", "--shard 3/2: K must be between 1 and N"),
        ("0/2", "--shard 0/2: K must be between 1 and N"),
        ("1/0", "--shard 1/0: N must be at least 1"),
        ("2", "--shard 2: expected K/N, like 2/4"),
        ("a/b", "--shard a/b: expected K/N, like 2/4"),
        ("-1/2", "--shard -1/2: expected K/N, like 2/4"),
    ],
)
def test_a_bad_shard_is_one_line_naming_the_flag(text, message):
    with pytest.raises(TandemError) as caught:
        parse_shard(text)
    assert str(caught.value) == message


def test_gitlabs_parallel_job_number_is_the_shard_when_both_variables_are_set():
    both = {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3"}
    assert shard_from_env(both) == Shard(2, 3)
    assert shard_from_env({"CI_NODE_INDEX": "2"}) is None
    assert shard_from_env({"CI_NODE_TOTAL": "3"}) is None
    with pytest.raises(TandemError, match="^CI_NODE_INDEX/CI_NODE_TOTAL 4/3: K must"):
        shard_from_env({"CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "3"})


def synthetic(count: int, seed: int) -> list[Unit]:
    rng = random.Random(seed)
    return [
        Unit(f"p{n:03d}:test", round(rng.uniform(0.1, 30), 3)) for n in range(count)
    ]


@pytest.mark.parametrize("total", [1, 2, 3, 4, 5, 7])
def test_every_unit_goes_to_exactly_one_shard(total):
    units = synthetic(40, seed=total)
    dealt = assign(units, total, {})
    assert len(dealt) == total
    ids = [(u.task, u.part) for shard in dealt for u in shard]
    assert sorted(ids) == sorted((u.task, u.part) for u in units)


def test_every_shard_computes_the_same_split_whatever_the_order():
    units = synthetic(60, seed=1)
    again = list(units)
    random.Random(2).shuffle(again)
    assert assign(units, 4, {}) == assign(again, 4, {})


def test_equal_times_are_dealt_by_id_and_shard_number():
    units = [Unit(f"{name}:test", 5.0) for name in "dcba"]
    dealt = assign(units, 2, {})
    assert [[u.task for u in shard] for shard in dealt] == [
        ["a:test", "c:test"],
        ["b:test", "d:test"],
    ]


@pytest.mark.parametrize("seed", range(5))
def test_shards_end_within_one_unit_of_an_even_share(seed):
    units = synthetic(50, seed)
    for total in (2, 3, 4, 8):
        loads = [load(shard, {}) for shard in assign(units, total, {})]
        even = sum(u.seconds for u in units) / total
        assert max(loads) <= even + max(u.seconds for u in units)
        assert max(loads) <= 1.15 * even, "many small units balance closely"


def test_a_test_goes_where_its_build_runs_and_the_build_counts_once():
    build = Unit("py:build", 4.0)
    test = Unit("py:test", 6.0, needs=("py:build",))
    other = Unit("go:test", 9.0)
    dealt = assign([build, test, other], 2, {"py:build": 4.0})
    assert dealt == ((other,), (test, build))
    assert [load(shard, {"py:build": 4.0}) for shard in dealt] == [9.0, 10.0]


def test_a_shard_that_needs_a_build_dealt_elsewhere_counts_its_time():
    parts = split(Unit("py:test", 10.0, needs=("py:build",)), ("a", "b"))
    dealt = assign([*parts, Unit("py:build", 3.0)], 2, {"py:build": 3.0})
    assert sorted(load(shard, {"py:build": 3.0}) for shard in dealt) == [8.0, 8.0]


def test_only_a_step_longer_than_an_even_share_is_dominant_and_split():
    assert dominant(40.0, 100.0, 3) and not dominant(30.0, 100.0, 3)
    assert not dominant(100.0, 100.0, 1), "one shard never splits"
    whole = Unit("go:test", 9.0, needs=("x:build",))
    assert split(whole, ("./a",)) == (whole,)
    assert split(whole, ("./a", "./b", "./c")) == tuple(
        Unit("go:test", 3.0, part, ("x:build",)) for part in ("./a", "./b", "./c")
    )


def go_lister(packages: dict[str, list[str]]):
    """A probe that answers `go list` as a module holding `packages` would (absolute dirs)."""

    def probe(command: Command) -> ProcessResult:
        assert command.argv[:4] == ("go", "list", "-e", "-find")
        found = packages[command.cwd.name]
        return ProcessResult(command, 0, "".join(f"{command.cwd}/{p}\n" for p in found))

    return probe


def test_a_dominant_go_test_step_is_split_into_packages_across_shards():
    tasks = make_plan((GOBIG, GOSMALL), (Step.TEST,))
    known = {"gobig:test": 90.0, "gosmall:test": 10.0}
    probe = go_lister({"gobig": ["alpha", "beta", "gamma", "."]})
    shares = [
        shard_plan.share_of(tasks, Shard(k, 3), known, probe=probe) for k in (1, 2, 3)
    ]
    parts = [t.part for share in shares for t in share.runs if t.id == "gobig:test"]
    assert sorted(p for part in parts for p in part) == [
        ".",
        "./alpha",
        "./beta",
        "./gamma",
    ]
    assert len(parts) == 3, "every shard runs part of the big step"
    reported = [sorted(share.reports) for share in shares]
    assert sum(r.count("gosmall:test") for r in reported) == 1
    assert all("gobig:test" in r for r in reported)


def test_a_shard_holding_every_part_runs_the_step_whole():
    tasks = make_plan((GOBIG,), (Step.TEST,))
    probe = go_lister({"gobig": ["alpha", "beta"]})
    share = shard_plan.share_of(tasks, Shard(1, 1), {"gobig:test": 90.0}, probe=probe)
    assert share.runs == tasks and share.reports == {"gobig:test"}


def test_a_shard_runs_the_builds_its_tests_need_but_reports_only_its_share(tmp_path):
    root = write_tree(tmp_path, {f"py/tests/test_{n}.py": "" for n in "abc"})
    py = Project("py", "python", root / "py")
    tasks = make_plan((py, GOSMALL), tuple(Step))
    known = {"py:test": 100.0, "py:build": 2.0}
    shares = [shard_plan.share_of(tasks, Shard(k, 2), known) for k in (1, 2)]
    for share in shares:
        ran = {task.id for task in share.runs}
        assert "py:build" in ran, "each shard holding a part of py:test builds py"
        assert share.reports <= ran
    assert sum("py:build" in share.reports for share in shares) == 1
    assert shares[0].reports & shares[1].reports == {"py:test"}
    parts = [t.part for s in shares for t in s.runs if t.id == "py:test"]
    assert sorted(sum(parts, ())) == [
        "(rest)",
        "tests/test_a.py",
        "tests/test_b.py",
        "tests/test_c.py",
    ]


def test_a_broken_projects_step_is_never_split():
    tasks = make_plan((GOBIG,), (Step.TEST,))
    probe = go_lister({"gobig": ["alpha", "beta"]})
    share = shard_plan.share_of(tasks, Shard(1, 2), {}, {"gobig"}, probe)
    other = shard_plan.share_of(tasks, Shard(2, 2), {}, {"gobig"}, probe)
    assert [t.part for t in share.runs] == [()] and other.runs == ()


def test_durations_come_from_junit_suite_times_summed_over_parts(tmp_path):
    one = tmp_path / "one.xml"
    one.write_text(
        '<testsuites><testsuite name="a:test" time="2.5"/>'
        '<testsuite name="b:build" time="1"/></testsuites>'
    )
    two = tmp_path / "two.xml"
    two.write_text('<testsuite name="a:test" time="4"/>')
    missing = tmp_path / "not-yet.xml"
    assert history.junit_durations([one, two, missing]) == {
        "a:test": 6.5,
        "b:build": 1.0,
    }
    assert shard_plan.durations(tmp_path, [missing]) == {}


def test_a_durations_file_that_is_not_junit_is_a_usage_error(tmp_path):
    bad = tmp_path / "durations.json"
    bad.write_text("{}")
    with pytest.raises(TandemError, match="not JUnit XML"):
        history.junit_durations([bad])


def test_the_state_durations_serve_when_no_report_is_named(tmp_path):
    (tmp_path / history.FILE).write_text('{"a:test": 3}')
    assert shard_plan.durations(tmp_path, []) == {"a:test": 3.0}


def test_a_parts_time_is_never_recorded_as_its_whole_steps(tmp_path):
    from tandem.model import Outcome

    whole, part = Task(GOBIG, Step.TEST), Task(GOBIG, Step.TEST, part=("./a",))
    history.save_durations(tmp_path, {}, [Outcome(part, (), duration=1.0)])
    assert history.load_durations(tmp_path) == {}
    history.save_durations(tmp_path, {}, [Outcome(whole, (), duration=3.0)])
    assert history.load_durations(tmp_path) == {"gobig:test": 3.0}


PY_TREE = {
    "pyproject.toml": "",
    "conftest.py": "",
    "src/pkg/__init__.py": "",
    "tests/__init__.py": "",
    "tests/conftest.py": "",
    "tests/test_a.py": "",
    "tests/helpers.py": "",
    "tests/unit/test_b.py": "",
    "tests/unit/c_test.py": "",
    "tests/data/test_sample.txt": "",
    ".venv/lib/test_x.py": "",
    "build/test_y.py": "",
    "inner/pyproject.toml": "",
    "inner/test_z.py": "",
}


def test_pytest_parts_are_the_test_files_and_the_rest(tmp_path):
    root = write_tree(tmp_path, PY_TREE)
    project = Project("p", "python", root, nested=(root / "inner",))
    assert pytest_parts.parts(project) == (
        "(rest)",
        "tests/test_a.py",
        "tests/unit/c_test.py",
        "tests/unit/test_b.py",
    )


def test_a_pytest_part_ignores_everything_else_and_names_no_file(tmp_path):
    root = write_tree(tmp_path, PY_TREE)
    project = Project("p", "python", root, nested=(root / "inner",))
    args = pytest_parts.ignore_args(project, ("tests/unit/test_b.py",))
    ignored = {arg.removeprefix("--ignore=") for arg in args}
    assert all(arg.startswith("--ignore=") for arg in args)
    assert ignored == {
        ".venv",
        "build",
        "inner",
        "pyproject.toml",
        "src",
        "tests/data",
        "tests/helpers.py",
        "tests/test_a.py",
        "tests/unit/c_test.py",
    }, "conftest.py and __init__.py on the way stay: they shape the tests"


def test_the_rest_part_ignores_the_test_files_of_other_parts(tmp_path):
    root = write_tree(tmp_path, PY_TREE)
    project = Project("p", "python", root, nested=(root / "inner",))
    args = pytest_parts.ignore_args(project, ("(rest)", "tests/test_a.py"))
    assert args == ("--ignore=tests/unit/c_test.py", "--ignore=tests/unit/test_b.py")
    assert pytest_parts.ignore_args(project, ()) == ()


def test_a_project_whose_test_arguments_name_tests_is_not_split(tmp_path):
    root = write_tree(tmp_path, PY_TREE)
    named = {Step.TEST: ("-x", "tests/test_a.py::test_one")}
    assert pytest_parts.parts(Project("p", "python", root, args=named)) == ()
    keyword = {Step.TEST: ("-k", "money")}
    assert pytest_parts.parts(Project("p", "python", root, args=keyword)) != ()


@pytest.mark.parametrize("total", [1, 2, 3, 4, 5])
def test_the_shards_report_every_task_and_part_once(total):
    projects = [Project(f"go{n}", "go", Path(f"/r/go{n}")) for n in range(4)]
    tasks = make_plan(projects, tuple(Step))
    known = {"go0:test": 200.0, "go1:build": 8.0}
    probe = go_lister({"go0": ["a", "b", "c", "d", "e"]})
    shares = [
        shard_plan.share_of(tasks, Shard(k, total), known, probe=probe)
        for k in range(1, total + 1)
    ]
    reported = [
        (task.id, part)
        for share in shares
        for task in share.runs
        if task.id in share.reports
        for part in task.part or ("",)
    ]
    split = total > 1
    expected = [(t.id, "") for t in tasks if not (split and t.id == "go0:test")]
    expected += [("go0:test", f"./{p}") for p in "abcde"] if split else []
    assert sorted(reported) == sorted(expected)
