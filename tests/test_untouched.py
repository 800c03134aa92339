"""A check never changes the source tree: `git status` of every project is the same after it."""

from __future__ import annotations

from pathlib import Path

from tandem.cli import main
from tests.adapters.test_python_env import C_EXTENSION, git
from tests.conftest import go_module, write_tree

SETUPTOOLS = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "plain"
        version = "0.1.0"

        [dependency-groups]
        tests = ["pytest==9.2.0"]

        [tool.ruff]
        fix = true
        """,
    "plain/__init__.py": '"""A flat-layout package."""\n\n\ndef add(a, b):\n    return a + b\n',
    "tests/test_plain.py": "from plain import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}
GO = {
    "go.mod": go_module("tool"),
    "tool.go": "package tool\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n",
    "tool_test.go": 'package tool\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("add")\n\t}\n}\n',
}


def test_check_leaves_every_project_as_git_has_it(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_tree(root, {f"services/plain/{k}": v for k, v in SETUPTOOLS.items()})
    write_tree(root, {f"services/speed/{k}": v for k, v in C_EXTENSION.items()})
    write_tree(root, {f"services/tool/{k}": v for k, v in GO.items()})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "fixture")
    assert (
        main(["--root", str(root), "check", "--junit", str(tmp_path / "junit.xml")])
        == 0
    )
    # Tandem's own state and output live in .tandem/, which a team ignores like .venv/.
    status = git(root, "status", "--porcelain", "--untracked-files=all", "services")
    assert status == ""
    assert list((root / ".tandem" / "dist" / "plain").glob("plain-0.1.0-*.whl"))
