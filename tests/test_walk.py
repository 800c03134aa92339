"""Root-relative glob patterns and the rules that prune the walk."""

from __future__ import annotations

import pytest

from tandem.walk import Rules, matches, split, walk
from tests.conftest import write_tree


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("projects/*", "projects/api", True),
        ("projects/*", "projects/api/sub", False),
        ("projects/*", "projects", False),
        ("services/**", "services", True),
        ("services/**", "services/a/b/c", True),
        ("**/api", "go/x/api", True),
        ("**/api", "api", True),
        ("go/**/cmd", "go/cmd", True),
        ("go/**/cmd", "go/a/b", False),
        ("lib?/[ab]*", "lib1/alpha", True),
        ("lib?/[ab]*", "lib12/alpha", False),
        ("./projects/*/", "projects/api", True),
        (".", "", True),
    ],
)
def test_patterns_match_name_by_name(pattern, path, expected):
    assert matches(split(pattern), split(path)) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("projects/*", "projects", True),
        ("projects/*", "libs", False),
        ("projects/*", "projects/api/deep", False),
        ("**/api", "any/where", True),
        ("go/*/svc", "go/team", True),
    ],
)
def test_partial_matches_say_whether_to_look_below(pattern, path, expected):
    assert matches(split(pattern), split(path), partial=True) is expected


def test_rules_prune_ignored_names_unless_a_pattern_spells_them_out():
    rules = Rules.of(["projects/*", "tools/build/*"], ["projects/old"], [".tandem"])
    assert rules.enters(("projects",)) and rules.enters(("tools", "build"))
    assert not rules.enters(("projects", "old"))
    assert not rules.enters(("projects", "node_modules"))
    assert not rules.enters(("docs",))  # no pattern can match below it
    assert not Rules().enters((".tandem",)) and not Rules().enters(("x.egg-info",))
    assert rules.named(("projects", "api")) and not Rules.of(["a/**"], [], []).named(
        ("a", "b")
    )


def test_the_walk_yields_candidates_with_their_files_and_skips_virtualenvs(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "a/go.mod": "module a\n",
            "a/sub/x.go": "package sub\n",
            "venv/pyvenv.cfg": "",
            "venv/lib/pyproject.toml": "",
        },
    )
    seen = dict(walk(root, Rules()))
    assert set(seen) == {(), ("a",), ("a", "sub")}
    assert seen[("a",)] == frozenset({"go.mod"})
    assert list(walk(root, Rules.of([], ["."], []))) == []


def test_fixture_projects_inside_a_projects_tests_are_not_projects(tmp_path):
    for fixture in ("app/tests/data/sample", "app/fixtures/other", "tests/integration"):
        (tmp_path / fixture).mkdir(parents=True)
        (tmp_path / fixture / "setup.py").write_text("")
    (tmp_path / "app" / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    found = {parts for parts, files in walk(tmp_path, Rules()) if "setup.py" in files}
    # tests/ at the root is no project's: a project found there is the repository's own.
    assert found == {("tests", "integration")}
