"""A hand-made run over the demo projects: a red test, an error, a flaky pass, cached tasks, a
two-slot task and a finding, with the second-resolution start times Tandem records.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tandem.model import (
    CACHED,
    Attempt,
    Outcome,
    Project,
    Step,
    Task,
    TestCase,
    Verdict,
)
from tandem.report.summary import is_flaky
from tests.report.conftest import STARTED

LANGUAGES = {"catalog": "go", "gokit": "go", "orders": "go"}
LANGUAGES.update({"contract-tests": "python", "pricing": "python"})
ELAPSED = 7.9


def task(project: str, step: Step) -> Task:
    """`project:step` of a demo project."""
    path = Path("/repo/projects") / project
    return Task(Project(project, LANGUAGES[project], path), step)


def ran(
    project: str,
    step: Step,
    at: float,
    seconds: float,
    *cases: TestCase,
    slots: int = 1,
):
    """An outcome that held `slots` CPU slots from `at` seconds into the run."""
    started = STARTED + timedelta(seconds=int(at))  # Tandem keeps starts to the second
    return Outcome(task(project, step), cases, started, seconds, (), slots)


def cached(project: str, step: Step, seconds: float, *cases: TestCase) -> Outcome:
    """An outcome replayed from the cache: it held no slot."""
    mark = ((CACHED, "3f9a1c"),)
    return Outcome(task(project, step), cases, STARTED, seconds, mark, 0)


def passing(classname: str, count: int, skipped: int = 0) -> tuple[TestCase, ...]:
    """`count` green tests of one package or module, the last `skipped` of them skipped."""
    cases = [TestCase(classname, f"Test{n:02d}", 0.01) for n in range(count)]
    for n in range(count - skipped, count):
        cases[n] = TestCase(
            classname, f"Test{n:02d}", verdict=Verdict.SKIPPED, message="not on CI"
        )
    return tuple(cases)


NODE = "tests/test_rules.py::TestDiscounts::test_bulk_discount_rounds_half_even"
RED = TestCase(
    "pricing/tests.test_rules.TestDiscounts",
    "test_bulk_discount_rounds_half_even",
    0.04,
    Verdict.FAILURE,
    "pytest",
    "AssertionError: assert Decimal('9.99') == Decimal('9.98')",
    "    def test_bulk_discount_rounds_half_even():\n"
    ">       assert bulk_discount(Decimal('10.49'), 5) == Decimal('9.98')\n"
    "E       AssertionError: assert Decimal('9.99') == Decimal('9.98')\n\n"
    "tests/test_rules.py:48: AssertionError\n",
    stdout="rules loaded: 12\n",
    properties=(
        ("rerun", f".tandem/envs/pricing/bin/pytest projects/pricing/{NODE}"),
        ("rerun.tandem", f"tandem test -p pricing -- {NODE}"),
    ),
)
BROKEN = TestCase(
    "orders/internal/store",
    "[build failed]",
    0.0,
    Verdict.ERROR,
    "go.build",
    "build failed",
    "internal/store/pg_test.go:41:17: undefined: fakeTx\n",
)
FLAKY = TestCase(
    "contract-tests/tests.test_orders.TestOrderContract",
    "test_cancel_after_ship_is_refused",
    1.2,
    type="pytest",
    attempts=(
        Attempt(Verdict.FAILURE, "TimeoutError: server did not answer in 1s", ""),
    ),
)
FINDING = TestCase(
    "pricing/pricing",
    "ruff F841: pricing/rules.py:88",
    verdict=Verdict.FAILURE,
    type="vet.ruff",
    message="F841 Local variable `ceiling` is assigned to but never used",
    text="pricing/rules.py:88:5: F841 Local variable `ceiling` is assigned to but never used\n",
)


def sample_run() -> list[Outcome]:
    """The run, in the order its tasks finished."""
    return [
        *(
            cached(p, s, 0.2)
            for p in ("catalog", "gokit")
            for s in (Step.BUILD, Step.FMT)
        ),
        ran("orders", Step.BUILD, 0.0, 0.4),
        ran("orders", Step.FMT, 0.0, 0.3),
        ran("orders", Step.VET, 0.4, 0.5),
        ran("contract-tests", Step.BUILD, 0.0, 1.8),
        ran("pricing", Step.BUILD, 0.0, 1.9),
        ran("orders", Step.TEST, 0.9, 0.8, BROKEN, *passing("orders/internal/api", 18)),
        ran("pricing", Step.FMT, 1.9, 0.6),
        ran("pricing", Step.VET, 1.9, 0.9, FINDING),
        ran("contract-tests", Step.FMT, 1.8, 0.6),
        ran("contract-tests", Step.VET, 2.4, 0.3),
        cached("catalog", Step.VET, 0.2),
        cached("catalog", Step.TEST, 0.3, *passing("catalog/internal/api", 62, 2)),
        cached("gokit", Step.VET, 0.2),
        cached("gokit", Step.TEST, 0.2, *passing("gokit/money", 126)),
        ran(
            "pricing",
            Step.TEST,
            2.8,
            3.8,
            RED,
            *passing("pricing/tests.test_money", 83, 3),
        ),
        ran(
            "contract-tests",
            Step.TEST,
            2.7,
            5.2,
            FLAKY,
            *passing("contract-tests/tests.test_catalog", 63),
            slots=2,
        ),
    ]


def flaky_count(outcomes: list[Outcome]) -> int:
    """How many tests passed only on a retry."""
    return sum(is_flaky(case) for outcome in outcomes for case in outcome.cases)
