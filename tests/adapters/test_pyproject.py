"""What a Python project declares, read without running a tool (the fast lane)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from tandem.adapters import interpreters, pyproject
from tandem.adapters.tool_envs import poetry_requirement
from tests.conftest import write_tree


def test_test_groups_and_extras_by_name_else_because_they_bring_pytest() -> None:
    declared = {
        "project": {
            "optional-dependencies": {
                "all": ["pytest>=7", "hypothesis"],
                "docs": ["sphinx"],
                "testing": ["coverage"],
            }
        },
        "dependency-groups": {"lint": ["ruff"], "ci": ["pytest"], "dev": ["tox"]},
    }
    # Tables named for tests win; the others count only when there are none.
    assert pyproject.test_extras(declared) == ("testing",)
    assert pyproject.test_groups(declared) == ("dev",)
    del declared["project"]["optional-dependencies"]["testing"]
    del declared["dependency-groups"]["dev"]
    assert pyproject.test_extras(declared) == ("all",)
    assert pyproject.test_groups(declared) == ("ci",)


def test_pins_come_from_the_lock_first_then_exact_requirements(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "a/pyproject.toml": '[project]\nname = "a"\n[dependency-groups]\n'
            'dev = ["black==24.2.0", "ruff>=0.5"]\n',
            "b/pyproject.toml": '[project]\nname = "b"\n',
            "b/uv.lock": 'version = 1\n[[package]]\nname = "Ruff"\nversion = "0.6.9"\n',
            "c/pyproject.toml": '[project]\nname = "c"\n',
            "c/requirements-dev.txt": "ruff == 0.4.1  # lint\n-r other.txt\n",
        },
    )
    assert pyproject.pinned(root / "a", "black") == "24.2.0"
    assert pyproject.pinned(root / "a", "ruff") is None  # a range is no pin
    assert pyproject.pinned(root / "b", "ruff") == "0.6.9"
    assert pyproject.pinned(root / "c", "ruff") == "0.4.1"
    assert pyproject.pinned(root / "c", "black", ["black==23.1.0"]) == "23.1.0"


@pytest.mark.parametrize(
    ("files", "xdist"),
    [
        ({"pytest.ini": "[pytest]\naddopts = -n auto\n"}, True),
        ({"tox.ini": "[pytest]\naddopts = --numprocesses=4\n"}, True),
        ({"setup.cfg": "[tool:pytest]\naddopts = -ra --dist loadfile\n"}, True),
        ({"pyproject.toml": '[tool.pytest.ini_options]\naddopts = ["-n4"]\n'}, True),
        ({"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-ra -q"\n'}, False),
        # pytest reads pytest.ini first, even when it says nothing.
        ({"pytest.ini": "[pytest]\n", "tox.ini": "[pytest]\naddopts = -n 2\n"}, False),
        ({}, False),
    ],
)
def test_xdist_is_on_when_the_pytest_configuration_says_so(tmp_path, files, xdist):
    assert pyproject.configures_xdist(write_tree(tmp_path, files)) is xdist


@pytest.mark.parametrize(
    ("text", "formatter"),
    [
        ("[tool.black]\n", "black"),
        ('[tool.ruff.format]\nquote-style = "single"\n', "ruff"),
        ('[dependency-groups]\ndev = ["ruff"]\n', "ruff"),
        ('[dependency-groups]\ndev = ["ruff", "black"]\n', "black"),
        # ruff configured and black nowhere: ruff format, black's drop-in replacement.
        ("[tool.ruff]\nline-length = 100\n", "ruff"),
        ("[tool.isort]\n", "black"),
    ],
)
def test_the_formatter_is_the_one_the_project_shows_it_uses(tmp_path, text, formatter):
    path = write_tree(tmp_path, {"pyproject.toml": f'[project]\nname = "x"\n{text}'})
    assert pyproject.formatter(path) == formatter


def test_the_python_version_file_wins_over_requires_python(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {".python-version": "3.12\n", "app/x": ""})
    declared = {"project": {"requires-python": ">=3.9"}}
    assert interpreters.wanted(root / "app", declared, root) == interpreters.Wanted(
        "3.12", ".python-version"
    )
    assert interpreters.wanted(root / "app", declared) == interpreters.Wanted(
        ">=3.9", "requires-python"
    )


def test_the_interpreter_chosen_fits_the_request() -> None:
    found = [
        interpreters.Interpreter(Path(f"/py{v}"), Version(v))
        for v in ("3.9.18", "3.12.1", "3.13.0")
    ]
    choose = interpreters.choose
    assert choose(interpreters.Wanted("3.12", "x"), found).path == Path("/py3.12.1")
    assert choose(interpreters.Wanted(">=3.10,<3.13", "x"), found).version == Version(
        "3.12.1"
    )
    assert choose(interpreters.Wanted("3.9.18", "x"), found).path == Path("/py3.9.18")
    assert choose(interpreters.Wanted(">=3.14", "x"), found) is None
    message = interpreters.missing_message(interpreters.Wanted(">=3.14", "x"))
    assert "3.14" in message and "uv python install 3.14" in message


def test_tools_tables_hold_test_requirements_too(tmp_path: Path) -> None:
    text = """
        [project]
        name = "x"

        [tool.hatch.envs.hatch-test]
        extra-dependencies = ["hypothesis"]

        [tool.poetry.group.test.dependencies]
        pytest = "^8.1"
        freezegun = { version = "~1.4.2", extras = ["speed"] }
        local = { path = "../local" }

        [tool.poetry.dev-dependencies]
        python = "^3.9"
        coverage = "7.4.0"

        [tool.pdm.dev-dependencies]
        test = ["pytest-mock>=3"]
        """
    path = write_tree(tmp_path, {"pyproject.toml": text, "tox.ini": TOX})
    assert pyproject.test_requirements(path, pyproject.read_pyproject(path)) == (
        "hypothesis",
        "pytest>=8.1,<9",
        "freezegun[speed]>=1.4.2,<1.5",
        "coverage==7.4.0",
        "pytest-mock>=3",
    )


TOX = """
[testenv]
deps =
    pytest>=7  # the runner
    -r requirements.txt
    {env:EXTRA_DEP:}
    mock
    pytest6: pytest==6.2.5
    py312,cov: coverage
    !nomock: responses
"""


def test_tox_deps_count_only_where_nothing_else_declares_test_requirements(tmp_path):
    path = write_tree(
        tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', "tox.ini": TOX}
    )
    declared = pyproject.read_pyproject(path)
    assert pyproject.test_requirements(path, declared) == (
        "pytest>=7",
        "mock",
        "responses",
    )
    (path / "requirements-test.txt").write_text("pytest\n")
    assert pyproject.test_requirements(path, declared) == ()


def test_poetry_constraints_become_pep_508() -> None:
    assert poetry_requirement("a", "^0.2.3") == "a>=0.2.3,<0.3"
    assert poetry_requirement("a", "^2") == "a>=2,<3"
    assert poetry_requirement("a", "~2") == "a>=2,<3"
    assert poetry_requirement("a", ">=1,<2") == "a>=1,<2"
    assert poetry_requirement("a", "*") == "a"
    assert poetry_requirement("a", {"git": "https://example.invalid/a.git"}) is None
    limited = {"version": "^1.5", "python": ">=3.8", "markers": "os_name == 'nt'"}
    assert poetry_requirement("a", limited) == (
        "a>=1.5,<2 ; python_full_version >= '3.8' and (os_name == 'nt')"
    )


def test_poetry_multiple_constraints_give_one_requirement_each(tmp_path):
    text = """
        [tool.poetry.group.dev.dependencies]
        mypy = [
            { version = "^1.0", python = "<3.8" },
            { version = "^1.5", python = "^3.8" },
        ]
        """
    path = write_tree(tmp_path, {"pyproject.toml": text})
    assert pyproject.test_requirements(path, pyproject.read_pyproject(path)) == (
        "mypy>=1.0,<2 ; python_full_version < '3.8'",
        "mypy>=1.5,<2 ; python_full_version < '4' and python_full_version >= '3.8'",
    )


PRE_COMMIT = """
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v5.0.0
    hooks:
      - id: trailing-whitespace
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: 'v0.6.9'  # the version CI uses
    hooks:
      - id: ruff
        args: [--fix]
      - id: ruff-format
"""


def test_pre_commit_hooks_name_the_formatter_and_pin_its_version(tmp_path):
    files = {
        "pyproject.toml": '[project]\nname = "x"\n[tool.black]\n',
        ".pre-commit-config.yaml": PRE_COMMIT,
    }
    path = write_tree(tmp_path, files)
    assert pyproject.formatter(path) == "ruff"
    assert pyproject.pinned(path, "ruff") == "0.6.9"
    assert pyproject.pinned(path, "black") is None
    black = PRE_COMMIT.replace(
        "astral-sh/ruff-pre-commit", "psf/black-pre-commit-mirror"
    )
    (path / ".pre-commit-config.yaml").write_text(black.replace("ruff-format", "black"))
    assert (pyproject.formatter(path), pyproject.pinned(path, "black")) == (
        "black",
        "0.6.9",
    )


def test_uv_limits_a_group_to_the_python_its_tool_table_names() -> None:
    declared = {
        "dependency-groups": {
            "test": ["pytest>=9"],
            "docs": ["sphinx>=9; sys_platform == 'linux'"],
            "dev": [{"include-group": "docs"}, {"include-group": "test"}, "ty"],
        },
        "tool": {"uv": {"dependency-groups": {"dev": {"requires-python": ">=3.15"}}}},
    }
    only = "python_full_version >= '3.15'"
    assert pyproject.group_requirements(declared, "test") == ("pytest>=9",)
    assert pyproject.group_requirements(declared, "dev") == (
        f"sphinx>=9 ; (sys_platform == 'linux') and ({only})",
        f"pytest>=9 ; {only}",
        f"ty ; {only}",
    )


def test_hatch_toml_holds_the_environments_in_place_of_the_pyproject(tmp_path):
    files = {
        "pyproject.toml": '[project]\nname = "x"\n[tool.hatch.envs.default]\n'
        'dependencies = ["nose"]\n',
        "hatch.toml": '[envs.default]\ndependencies = ["pytest", "pytest-mock"]\n'
        '[envs.lint]\ndependencies = ["black"]\n',
    }
    path = write_tree(tmp_path, files)
    declared = pyproject.read_pyproject(path)
    assert pyproject.test_requirements(path, declared) == ("pytest", "pytest-mock")


def test_a_static_name_is_the_one_a_wheel_is_installed_by(tmp_path: Path) -> None:
    write_tree(tmp_path / "a", {"pyproject.toml": '[project]\nname = "My_Lib"\n'})
    write_tree(tmp_path / "b", {"pyproject.toml": '[project]\ndynamic = ["name"]\n'})
    write_tree(tmp_path / "c", {"setup.py": "from setuptools import setup\nsetup()\n"})
    assert pyproject.static_name(tmp_path / "a") == "my-lib"
    assert (
        pyproject.static_name(tmp_path / "b")
        == pyproject.static_name(tmp_path / "c")
        == ""
    )
