"""What a Python project declares, read without running a tool (the fast lane)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from tandem.adapters import interpreters, pyproject
from tests.conftest import write_tree


def test_test_groups_and_extras_by_name_or_because_they_bring_pytest() -> None:
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
    assert pyproject.test_extras(declared) == ("testing", "all")
    assert pyproject.test_groups(declared) == ("dev", "ci")


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
        ("[tool.ruff]\nline-length = 100\n", "black"),
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
