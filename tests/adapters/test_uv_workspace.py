"""uv workspaces read from pyproject.toml files: roots, members and the members a project uses."""

from __future__ import annotations

from pathlib import Path

from tandem.adapters.uv_workspace import (
    members,
    normalise,
    workspace_requirements,
    workspace_root,
)
from tests.conftest import py_project, write_tree

WORKSPACE = {
    "pyproject.toml": py_project(
        "Root_App",
        '\n[tool.uv.workspace]\nmembers = ["packages/*", "tools/cli"]\n'
        'exclude = ["packages/scratch"]\n',
    ),
    "packages/core/pyproject.toml": py_project("Core.Lib"),
    "packages/web/pyproject.toml": py_project(
        "web",
        'dependencies = ["core-lib", "requests"]\n\n'
        "[tool.uv.sources]\n"
        "core_lib = { workspace = true }\n"
        'requests = { git = "https://example.com/requests" }\n',
    ),
    "packages/scratch/pyproject.toml": py_project("scratch"),
    "packages/notes/README.md": "no pyproject: not a member\n",
    "tools/cli/pyproject.toml": py_project(
        "cli",
        "\n[tool.uv.sources]\nweb = { workspace = true }\nroot-app = { workspace = true }\n",
    ),
    "tools/other/pyproject.toml": py_project("other"),
}


def test_members_are_named_by_normalised_distribution_name(tmp_path: Path) -> None:
    root = write_tree(tmp_path, WORKSPACE)
    assert members(root) == {
        "root-app": root,
        "core-lib": root / "packages/core",
        "web": root / "packages/web",
        "cli": root / "tools/cli",
    }
    assert normalise("Core.Lib__x") == "core-lib-x"


def test_the_root_is_the_nearest_workspace_that_has_the_project(tmp_path: Path) -> None:
    root = write_tree(tmp_path, WORKSPACE)
    assert workspace_root(root / "packages/web") == root
    assert workspace_root(root) == root
    assert workspace_root(root / "packages/scratch") is None  # excluded
    assert workspace_root(root / "tools/other") is None  # matched by no glob
    assert workspace_root(root / "packages/web", stop=root / "packages") is None


def test_a_nested_workspace_root_is_its_own_root(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            **WORKSPACE,
            "packages/web/pyproject.toml": py_project(
                "web", '\n[tool.uv.workspace]\nmembers = ["plugins/*"]\n'
            ),
            "packages/web/plugins/p/pyproject.toml": py_project("p"),
        },
    )
    assert workspace_root(root / "packages/web/plugins/p") == root / "packages/web"
    assert workspace_root(root / "packages/web") == root / "packages/web"


def test_workspace_requirements_are_the_members_named_with_workspace_true(
    tmp_path: Path,
) -> None:
    root = write_tree(tmp_path, WORKSPACE)
    assert workspace_requirements(root / "packages/web") == (root / "packages/core",)
    assert workspace_requirements(root / "tools/cli") == (root, root / "packages/web")
    assert workspace_requirements(root / "packages/core") == ()


def test_outside_a_workspace_there_are_none(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "a/pyproject.toml": py_project(
                "a", "\n[tool.uv.sources]\nb = { workspace = true }\n"
            ),
            "b/pyproject.toml": py_project("b"),
            "broken/pyproject.toml": "[tool.uv.workspace\n",
        },
    )
    assert workspace_root(root / "a") is None
    assert workspace_requirements(root / "a") == ()
    assert workspace_requirements(root / "broken") == ()
    assert workspace_requirements(root / "missing") == ()
