"""Planning: which tasks run, and which builds each waits for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.model import Project, Step, TandemError
from tandem.plan import make_plan, with_selection, with_test_args

GOKIT = Project("gokit", "go", Path("/r/gokit"))
ORDERS = Project("orders", "go", Path("/r/orders"), needs=("gokit",))
PRICING = Project("pricing", "python", Path("/r/pricing"))
CONTRACT = Project(
    "contract", "python", Path("/r/contract"), needs=("orders", "pricing")
)
ALL = (CONTRACT, GOKIT, ORDERS, PRICING)


def plan(*args, **kwargs) -> dict[str, tuple[str, ...]]:
    return {task.id: task.needs for task in make_plan(*args, **kwargs)}


def test_check_plans_every_step_of_every_project():
    tasks = plan(ALL, tuple(Step))
    assert len(tasks) == 16
    assert tasks["gokit:test"] == ()  # go test reports build breaks per package itself
    assert tasks["pricing:test"] == (
        "pricing:build",
    )  # pytest needs the environment build makes
    assert tasks["orders:build"] == ("gokit:build",)
    assert tasks["contract:test"] == ("contract:build", "orders:build", "pricing:build")
    assert tasks["orders:fmt"] == () and tasks["orders:vet"] == ()


def test_one_project_brings_the_builds_it_needs_and_nothing_else():
    tasks = plan(ALL, (Step.TEST,), ["contract"])
    assert set(tasks) == {
        "contract:test",
        "contract:build",
        "orders:build",
        "pricing:build",
        "gokit:build",
    }


def test_plan_order_is_by_project_then_step():
    ids = [t.id for t in make_plan((PRICING, GOKIT), (Step.TEST, Step.FMT))]
    assert ids == [
        "gokit:fmt",
        "gokit:test",
        "pricing:build",
        "pricing:fmt",
        "pricing:test",
    ]


def test_steps_skipped_in_config_are_left_out_and_not_waited_for():
    quiet = Project(
        "pricing", "python", Path("/r/pricing"), skip=frozenset({Step.BUILD})
    )
    tasks = plan((quiet,), tuple(Step))
    assert set(tasks) == {"pricing:fmt", "pricing:vet", "pricing:test"}
    assert tasks["pricing:test"] == ()


def test_an_unknown_project_is_a_usage_error_listing_the_known_ones():
    with pytest.raises(
        TandemError, match=r"no project named 'nosuch' \(known: contract, gokit"
    ):
        make_plan(ALL, tuple(Step), ["nosuch"])


def test_projects_are_named_exactly_or_by_glob():
    assert set(plan(ALL, (Step.FMT,), ["g*", "pricing"])) == {
        "gokit:fmt",
        "pricing:fmt",
    }
    with pytest.raises(TandemError, match="no project named 'z\\*'"):
        make_plan(ALL, (Step.FMT,), ["z*"])


def test_arguments_after_the_separator_follow_each_projects_own_test_arguments():
    own = Project("own", "go", Path("/r/own"), args={Step.TEST: ("-race",)})
    given = with_test_args((own, GOKIT), ("-run", "TestX"))
    assert [p.args[Step.TEST] for p in given] == [
        ("-race", "-run", "TestX"),
        ("-run", "TestX"),
    ]
    assert with_test_args((own,), ()) == (own,)


def test_a_selection_reaches_each_languages_test_tool_in_its_own_words():
    go = Project("svc", "go", Path("/r/svc"), args={Step.TEST: ("-v",)})
    py = Project("app", "python", Path("/r/app"))
    chosen = with_selection([go, py], "Money.x")
    assert chosen[0].args[Step.TEST] == ("-v", "-run", "(?i)Money\\.x")
    assert chosen[1].args[Step.TEST] == ("-k", "Money.x")
    assert with_selection([go], None) == (go,)
