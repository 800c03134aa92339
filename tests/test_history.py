"""Recorded durations and the critical-path priorities they give."""

from __future__ import annotations

from pathlib import Path

from tandem.history import (
    critical_path,
    load_cores,
    load_durations,
    save_cores,
    save_durations,
)
from tandem.model import Outcome, Project, Step, Task

A = Project("a", "go", Path("/r/a"))
B = Project("b", "go", Path("/r/b"))


def test_a_long_chain_outranks_a_long_single_task():
    tasks = [
        Task(A, Step.BUILD),
        Task(A, Step.TEST, ("a:build",)),
        Task(B, Step.TEST),
    ]
    priority = critical_path(tasks, {"a:build": 4.0, "a:test": 4.0, "b:test": 6.0})
    assert priority == {"a:build": 8.0, "a:test": 4.0, "b:test": 6.0}
    assert max(priority, key=priority.get) == "a:build"


def test_a_task_others_start_after_leads_their_chain():
    generate = Task(A, Step.GENERATE)
    tasks = [generate, Task(B, Step.TEST, after=(generate.id,))]
    priority = critical_path(tasks, {"a:generate": 1.0, "b:test": 5.0})
    assert priority == {"a:generate": 6.0, "b:test": 5.0}


def test_unknown_tasks_get_a_guess_by_step():
    priority = critical_path([Task(A, Step.FMT), Task(A, Step.TEST)], {})
    assert priority["a:test"] > priority["a:fmt"]


def test_durations_survive_a_round_trip_and_merge(tmp_path: Path):
    save_durations(
        tmp_path, {"old:test": 1.0}, [Outcome(Task(A, Step.TEST), (), duration=2.5)]
    )
    assert load_durations(tmp_path) == {"old:test": 1.0, "a:test": 2.5}


def test_cores_are_cpu_time_over_wall_time_and_unknown_cpu_teaches_nothing(
    tmp_path: Path,
):
    waited = Outcome(Task(A, Step.TEST), (), duration=4.0, cpu=1.0)
    unknown = Outcome(Task(B, Step.TEST), (), duration=2.0)
    assert save_cores(tmp_path, {"b:test": 0.9}, [waited, unknown]) == ""
    assert load_cores(tmp_path) == {"a:test": 0.25, "b:test": 0.9}


def test_a_corrupt_file_is_ignored(tmp_path: Path):
    (tmp_path / "durations.json").write_text("{not json")
    assert load_durations(tmp_path) == {}


def test_a_state_that_cannot_be_written_is_a_warning_not_an_error(tmp_path: Path):
    (tmp_path / "durations.json").mkdir()
    outcome = Outcome(Task(A, Step.TEST), (), duration=2.5)
    warning = save_durations(tmp_path, {}, [outcome])
    assert warning.startswith(f"durations not saved to {tmp_path / 'durations.json'}")
    assert [p.name for p in tmp_path.iterdir()] == [
        "durations.json"
    ]  # no temp file left
    assert save_durations(tmp_path / "fresh", {}, [outcome]) == ""


def test_impossible_durations_are_ignored(tmp_path: Path):
    (tmp_path / "durations.json").write_text(
        '{"a:test": NaN, "b:test": -1, "c:test": 2}'
    )
    assert load_durations(tmp_path) == {"c:test": 2.0}
