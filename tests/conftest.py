"""Shared fixtures: small monorepos written file by file into a temporary directory."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

Files = Mapping[str, str]


def write_tree(root: Path, files: Files) -> Path:
    """Write `{relative path: text}` under root (text dedented) and return root."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


# Modules whose tests run real tools (go, uv, pytest, black, ruff, Tandem itself): the slow lane.
# Everything else is the fast lane of pure logic: `pytest -m "not tools"`.
TOOL_MODULES = frozenset(
    {
        "test_bench_codegen",
        "test_benchmarks",
        "test_bad_input",
        "test_cache_runs",
        "test_capture",
        "test_cli",
        "test_engine",
        "test_frontends",
        "test_generate",
        "test_go",
        "test_go_reruns",
        "test_lifetime",
        "test_noop_runs",
        "test_projects",
        "test_python",
        "test_python_env",
        "test_python_reruns",
        "test_python_stopped",
        "test_remote_cache",
        "test_report_safety",
        "test_run",
        "test_shards",
        "test_untouched",
        "test_versions",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of a real-tool module `tools`."""
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in TOOL_MODULES:
            item.add_marker(pytest.mark.tools)


@pytest.fixture
def monorepo(tmp_path: Path) -> Callable[[Files], Path]:
    """A function that writes a monorepo under tmp_path and returns its root."""
    return lambda files: write_tree(tmp_path / "repo", files)


def go_module(name: str, extra: str = "") -> str:
    """A go.mod for module `example.com/<name>`."""
    return f"module example.com/{name}\n\ngo 1.22\n{extra}"


def py_project(name: str, extra: str = "") -> str:
    """A minimal pyproject.toml for project `name`."""
    return f'[project]\nname = "{name}"\nversion = "0.1.0"\n{extra}'
