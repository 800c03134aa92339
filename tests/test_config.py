"""`[tool.tandem]`: defaults, every shape of the patterns, and one-line errors for mistakes."""

from __future__ import annotations

import pytest

from tandem.config import find_root, load_config, parse_config
from tandem.model import Step, TandemError


def test_defaults_without_a_pyproject(tmp_path):
    config = load_config(tmp_path)
    assert (config.include, config.exclude) == ((), ())  # anywhere under the root
    assert (config.output, config.state) == (".tandem/dist", ".tandem")
    assert config.timeout == 900.0 and config.jobs is None and not config.overrides


def test_projects_as_a_list_of_patterns():
    config = parse_config(
        {"projects": ["services/*", "libs/*"], "timeout": 60, "jobs": 3}
    )
    assert config.include == ("services/*", "libs/*")
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
    assert config.include == ("svc/*",)
    orders = config.overrides["orders"]
    assert orders.needs == ("gokit",) and orders.timeout == 30.0
    assert orders.skip == frozenset({Step.VET})
    assert config.overrides["catalog"].args == {Step.TEST: ("-race", "-count=1")}


def test_a_table_without_include_looks_everywhere():
    config = parse_config({"projects": {"orders": {"needs": []}}})
    assert config.include == () and "orders" in config.overrides


def test_top_level_include_and_exclude_combine_with_project_tables():
    config = parse_config(
        {
            "include": ["services/**", "tools/gen"],
            "exclude": ["services/legacy"],
            "projects": {"api": {"timeout": 5}, "go/api": {"skip": ["fmt"]}},
        }
    )
    assert config.include == ("services/**", "tools/gen")
    assert config.exclude == ("services/legacy",)
    assert config.overrides["api"].timeout == 5.0
    assert config.overrides["go/api"].skip == frozenset({Step.FMT})


def test_output_and_state_are_root_relative_directories():
    config = parse_config({"output": "./build-out/", "state": "var/tandem"})
    assert (config.output, config.state) == ("build-out", "var/tandem")


def test_python_settings_per_project():
    table = {"xdist": False, "test-requires": ["hypothesis>=6"], "formatter": "ruff"}
    override = parse_config({"projects": {"py": table}}).overrides["py"]
    assert override.xdist is False and override.formatter == "ruff"
    assert override.test_requires == ("hypothesis>=6",)
    unset = parse_config({"projects": {"py": {}}}).overrides["py"]
    assert (unset.xdist, unset.test_requires, unset.formatter) == (None, (), None)


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
        (
            {"include": ["a/*"], "projects": ["b/*"]},
            r"patterns are set twice \(include and projects\)",
        ),
        (
            {"include": ["a/*"], "projects": {"include": ["b/*"]}},
            r"set twice \(include and projects.include\)",
        ),
        ({"include": ["/abs/*"]}, "'/abs/\\*' is absolute"),
        ({"exclude": [""]}, "exclude: an empty string names nothing"),
        ({"include": ["a/../b"]}, "leaves the root with '..'"),
        ({"projects": ["../up/*"]}, "projects: '../up/\\*' leaves the root"),
        ({"exclude": "build"}, "exclude must be a list of strings"),
        ({"output": "/tmp/out"}, "output: '/tmp/out' is absolute"),
        ({"state": "."}, "state must name a directory under the root"),
        ({"output": 3}, "output must be a root-relative path"),
        ({"projects": {"x": {"xdist": "yes"}}}, "xdist must be true or false"),
        ({"projects": {"x": {"formatter": "yapf"}}}, "'black' or 'ruff', not 'yapf'"),
        ({"projects": {"x": {"test-requires": "hypothesis"}}}, "list of strings"),
        ({"timeout": float("nan")}, "positive number of seconds, not nan"),
        ({"timeout": float("inf")}, "positive number of seconds, not inf"),
        ({"projects": {"x": {"timeout": float("inf")}}}, "not inf"),
        ({"secrets": "API_KEY"}, "secrets must be a list of strings"),
        ({"secrets": ["A=b"]}, "'A=b' is no environment variable name"),
        ({"secrets": [" "]}, "' ' is no environment variable name"),
    ],
)
def test_mistakes_name_the_problem(table, message):
    with pytest.raises(TandemError, match=message):
        parse_config(table)


def test_secrets_name_environment_variables():
    assert parse_config({"secrets": ["MY_VAR", "deploy_pw"]}).secrets == (
        "MY_VAR",
        "deploy_pw",
    )
    assert parse_config({}).secrets == ()


def test_a_tandem_table_of_the_wrong_type_is_an_error():
    with pytest.raises(TandemError, match=r"\[tool.tandem\] must be a table, not 3"):
        parse_config(3)


def test_invalid_utf8_is_a_configuration_error(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.tandem]\n# caf\xe9\n")
    with pytest.raises(TandemError, match=r"not valid UTF-8 \(byte 19\)"):
        load_config(tmp_path)
    assert find_root(tmp_path) == tmp_path  # still the root, so the mistake is said


def test_invalid_toml_is_a_configuration_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.tandem\n")
    with pytest.raises(TandemError, match="not valid TOML"):
        load_config(tmp_path)


def test_mistakes_are_one_line():
    with pytest.raises(TandemError) as raised:
        parse_config({"include": ["a"], "projects": ["b"]})
    assert "\n" not in str(raised.value)


def test_the_root_is_the_nearest_directory_configuring_tandem(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "mono/projects/api/pkg").mkdir(parents=True)
    (tmp_path / "mono/pyproject.toml").write_text("[tool.tandem]\ntimeout = 5\n")
    (tmp_path / "mono/projects/api/pyproject.toml").write_text(
        '[project]\nname = "api"\n\n[tool.ruff]\nline-length = 99\n'
    )
    assert find_root(tmp_path / "mono/projects/api/pkg") == (tmp_path / "mono")
    assert find_root(tmp_path / "mono") == tmp_path / "mono"


def test_the_root_is_the_git_top_without_a_tandem_table(tmp_path):
    (tmp_path / "sub/deep").mkdir(parents=True)
    (tmp_path / ".git").write_text("gitdir: elsewhere\n")  # a worktree or submodule
    (tmp_path / "sub/pyproject.toml").write_text("[tool.black]\n")
    assert find_root(tmp_path / "sub/deep") == tmp_path


def test_the_root_is_the_start_without_either(tmp_path):
    start = tmp_path / "alone"
    start.mkdir()
    assert find_root(start) in (start, *start.parents)
    if not any((p / ".git").exists() for p in start.parents):
        assert find_root(start) == start


def test_an_invalid_pyproject_naming_tandem_is_still_the_root(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.tandem\n")
    assert find_root(tmp_path / "sub") == tmp_path
    with pytest.raises(TandemError, match="not valid TOML"):
        load_config(find_root(tmp_path / "sub"))
