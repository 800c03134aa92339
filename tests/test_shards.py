"""`--shard K/N` end to end: three shards of a small monorepo, each step that dominates split
below its project, merged back into exactly the unsharded run's report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import go_module, write_tree
from tests.test_cli import SCHEMA, tandem

GO_TEST = 'package {0}\n\nimport "testing"\n\nfunc Test{1}(t *testing.T) {{ {2} }}\n'
REPO = {
    "projects/gobig/go.mod": go_module("gobig"),
    "projects/gobig/alpha/alpha.go": "package alpha\n\n// A is one.\nfunc A() int { return 1 }\n",
    "projects/gobig/alpha/alpha_test.go": GO_TEST.format("alpha", "A", ""),
    "projects/gobig/beta/beta_test.go": GO_TEST.format("beta", "B", 't.Skip("later")'),
    "projects/gobig/gamma/gamma_test.go": GO_TEST.format("gamma", "G", 't.Fatal("no")'),
    "projects/gobig/quiet/quiet.go": "package quiet\n\n// Q has no tests.\nfunc Q() {}\n",
    "projects/gobig/later/later_test.go": "//go:build later\n\n"
    + GO_TEST.format("later", "L", ""),
    "projects/pyduo/pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "pyduo"
        version = "0.1.0"

        [project.optional-dependencies]
        test = ["pytest==9.2.0"]
        """,
    "projects/pyduo/src/pyduo/__init__.py": '"""Duo."""\n\n\ndef double(x):\n    return 2 * x\n',
    "projects/pyduo/tests/test_one.py": """
        from pyduo import double


        def test_double():
            assert double(2) == 4


        def test_wrong():
            assert double(2) == 5
        """,
    "projects/pyduo/tests/test_two.py": """
        import pytest


        @pytest.mark.parametrize("x", [1, 2])
        def test_param(x):
            assert x
        """,
    "projects/gosmall/go.mod": go_module("gosmall"),
    "projects/gosmall/small.go": "package small\n\n// S is small.\nfunc S() int { return 0 }\n",
    "projects/gosmall/small_test.go": GO_TEST.format("small", "S", ""),
}
# As a merged report from an earlier run would say: both test steps dominate three shards.
DURATIONS = """<testsuites>
  <testsuite name="gobig:test" time="90"/>
  <testsuite name="pyduo:test" time="90"/>
  <testsuite name="pyduo:build" time="4"/>
</testsuites>
"""
Case = tuple[str, str, str, str]  # suite, classname, name, verdict


def cases(report: Path) -> list[Case]:
    """Every case of a report, validated against the Jenkins schema."""
    SCHEMA.validate(str(report))
    found = []
    for suite in ET.parse(report).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            tags = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
            verdict = tags[0] if tags else "passed"
            found.append(
                (suite.get("name"), case.get("classname"), case.get("name"), verdict)
            )
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """The unsharded run, the three shards and their merge: each report by its name."""
    root = write_tree(tmp_path_factory.mktemp("shards"), REPO)
    (root / "timings.xml").write_text(DURATIONS, encoding="utf-8")
    reports = {
        name: root / "reports" / f"{name}.xml" for name in ("all", "1", "2", "3")
    }
    done = tandem(root, "check", "--no-cache", "--junit", str(reports["all"]))
    assert done.returncode == 1, done.stdout + done.stderr
    for k in "123":
        shard = ("--shard", f"{k}/3", "--durations-from", str(root / "timings.xml"))
        done = tandem(root, "check", "--no-cache", *shard, "--junit", str(reports[k]))
        assert done.returncode in (0, 1), done.stdout + done.stderr
    merged = root / "reports" / "merged.xml"
    done = tandem(root, "merge", "-o", str(merged), *(str(reports[k]) for k in "123"))
    assert done.returncode == 0, done.stderr
    return {**reports, "merged": merged, "root": root}


def test_merging_the_shards_gives_the_unsharded_report(runs):
    unsharded, merged = cases(runs["all"]), cases(runs["merged"])
    assert sorted(merged) == sorted(unsharded)
    assert not any(" #" in name for _, _, name, _ in merged), "no renamed duplicates"
    assert ("gobig:test", "gobig/gamma", "TestG", "failure") in merged
    assert ("pyduo:test", "pyduo/tests.test_one", "test_wrong", "failure") in merged


def test_the_shards_reports_are_disjoint_and_hold_every_case(runs):
    shards = [set(cases(runs[k])) for k in "123"]
    for one in range(3):
        for other in range(one + 1, 3):
            assert not shards[one] & shards[other]
    tests = set(cases(runs["all"]))
    assert tests <= set().union(*shards)


def test_each_dominant_step_runs_in_parts_on_several_shards(runs):
    holders = {
        step: [k for k in "123" if any(c[0] == step for c in cases(runs[k]))]
        for step in ("gobig:test", "pyduo:test")
    }
    assert len(holders["gobig:test"]) >= 2 and len(holders["pyduo:test"]) >= 2
    builds = [k for k in "123" if any(c[0] == "pyduo:build" for c in cases(runs[k]))]
    assert len(builds) == 1, "a build that several shards run is reported by one"


def test_list_shows_a_shards_share_and_gitlabs_variables_choose_it(runs):
    root, timings = runs["root"], str(runs["root"] / "timings.xml")
    shown = tandem(root, "list", "--shard", "2/3", "--durations-from", timings)
    assert shown.returncode == 0, shown.stderr
    env = {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3"}
    from_env = tandem(root, "list", "--durations-from", timings, env=env)
    assert from_env.stdout == shown.stdout
    assert "shard 2/3 (from CI_NODE_INDEX/CI_NODE_TOTAL)" in from_env.stderr
    assert "part: " in shown.stdout and shown.stdout.rstrip().endswith("s")


def test_a_bad_shard_is_a_usage_error_in_one_line(runs):
    done = tandem(runs["root"], "check", "--shard", "3/2")
    assert done.returncode == 2
    assert done.stderr == "tandem: --shard 3/2: K must be between 1 and N\n"
