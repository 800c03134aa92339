"""`[tool.tandem]`: defaults, both shapes of `projects`, and one-line errors for mistakes."""

from __future__ import annotations

import pytest

from tandem.config import DEFAULT_PATTERNS, load_config, parse_config
from tandem.model import Step, TandemError


def test_defaults_without_a_pyproject(tmp_path):
    config = load_config(tmp_path)
    assert config.patterns == DEFAULT_PATTERNS
    assert config.timeout == 900.0 and config.jobs is None and not config.overrides


def test_projects_as_a_list_of_patterns():
    config = parse_config(
        {"projects": ["services/*", "libs/*"], "timeout": 60, "jobs": 3}
    )
    assert config.patterns == ("services/*", "libs/*")
    assert (config.timeout, config.jobs) == (60.0, 3)


def test_projects_as_a_table_holds_patterns_and_overrides():
    config = parse_config(
        {
            "projects": {
                "include": ["svc/*"],
                "orders": {"needs": ["gokit"], "timeout": 30, "skip": ["vet"]},
                "catalog": {"args": {"test": ["-race", "-count=1"]}},
            }
        }
    )
    assert config.patterns == ("svc/*",)
    orders = config.overrides["orders"]
    assert orders.needs == ("gokit",) and orders.timeout == 30.0
    assert orders.skip == frozenset({Step.VET})
    assert config.overrides["catalog"].args == {Step.TEST: ("-race", "-count=1")}


def test_a_table_without_include_keeps_the_default_patterns():
    config = parse_config({"projects": {"orders": {"needs": []}}})
    assert config.patterns == DEFAULT_PATTERNS and "orders" in config.overrides


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"colour": True}, "unknown key 'colour'"),
        ({"projects": {"x": {"neds": []}}}, "unknown key 'neds'"),
        ({"projects": {"x": {"skip": ["lint"]}}}, "unknown step 'lint'"),
        ({"projects": {"x": {"args": {"test": "-race"}}}}, "must be a list of strings"),
        ({"projects": "projects/*"}, "must be a list of strings"),
        ({"timeout": -1}, "positive number of seconds"),
        ({"jobs": 0}, "whole number of at least 1"),
        ({"projects": {"x": 3}}, "must be a table of settings"),
    ],
)
def test_mistakes_name_the_problem(table, message):
    with pytest.raises(TandemError, match=message):
        parse_config(table)


def test_invalid_toml_is_a_configuration_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.tandem\n")
    with pytest.raises(TandemError, match="not valid TOML"):
        load_config(tmp_path)
