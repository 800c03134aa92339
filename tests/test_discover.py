"""Discovery: languages by marker file, dependencies between projects, and clear errors."""

from __future__ import annotations

import pytest

from tandem.config import load_config
from tandem.discover import discover
from tandem.model import TandemError
from tests.conftest import go_module, py_project


def found(root):
    return discover(root, load_config(root))


def test_go_modules_and_python_projects_are_found_by_marker(monorepo):
    root = monorepo(
        {
            "projects/catalog/go.mod": go_module("catalog"),
            "projects/pricing/pyproject.toml": py_project("pricing"),
            "projects/notes/README.md": "not a project\n",
        }
    )
    result = found(root)
    assert [(p.name, p.language) for p in result.projects] == [
        ("catalog", "go"),
        ("pricing", "python"),
    ]
    assert all(p.path.is_absolute() for p in result.projects)
    assert result.warnings == (
        "projects/notes: neither go.mod nor pyproject.toml; passed over",
    )


def test_a_directory_with_both_markers_is_a_configuration_error(monorepo):
    root = monorepo(
        {
            "projects/odd/go.mod": go_module("odd"),
            "projects/odd/pyproject.toml": py_project("odd"),
        }
    )
    with pytest.raises(
        TandemError, match="projects/odd has both go.mod and pyproject.toml"
    ):
        found(root)


def test_dependencies_come_from_replace_path_sources_and_config(monorepo):
    root = monorepo(
        {
            "pyproject.toml": """
                [tool.tandem.projects]
                include = ["projects/*"]
                contract = { needs = ["orders"] }
                """,
            "projects/gokit/go.mod": go_module("gokit"),
            "projects/orders/go.mod": go_module(
                "orders",
                "\nrequire example.com/gokit v0.0.0\n\nreplace example.com/gokit => ../gokit\n",
            ),
            "projects/pricing/pyproject.toml": py_project("pricing"),
            "projects/contract/pyproject.toml": py_project(
                "contract",
                'dependencies = ["pricing"]\n\n[tool.uv.sources]\npricing = { path = "../pricing" }\n',
            ),
        }
    )
    needs = {p.name: p.needs for p in found(root).projects}
    assert needs == {
        "contract": ("orders", "pricing"),
        "gokit": (),
        "orders": ("gokit",),
        "pricing": (),
    }


def test_a_cycle_is_a_configuration_error_naming_it(monorepo):
    root = monorepo(
        {
            "pyproject.toml": """
                [tool.tandem.projects]
                a = { needs = ["b"] }
                b = { needs = ["a"] }
                """,
            "projects/a/go.mod": go_module("a"),
            "projects/b/go.mod": go_module("b"),
        }
    )
    with pytest.raises(TandemError, match=r"cycle: (a -> b -> a|b -> a -> b)"):
        found(root)


def test_config_naming_an_unknown_project_is_an_error(monorepo):
    root = monorepo(
        {
            "pyproject.toml": "[tool.tandem.projects]\nghost = { timeout = 5 }\n",
            "projects/a/go.mod": go_module("a"),
        }
    )
    with pytest.raises(TandemError, match=r"names no project 'ghost' \(known: a\)"):
        found(root)


def test_overrides_reach_the_project(monorepo):
    root = monorepo(
        {
            "pyproject.toml": """
                [tool.tandem.projects.a]
                timeout = 12
                skip = ["vet"]
                args = { test = ["-race"] }
                """,
            "projects/a/go.mod": go_module("a"),
        }
    )
    (project,) = found(root).projects
    assert project.timeout == 12.0 and [s.value for s in project.skip] == ["vet"]
    assert [(s.value, a) for s, a in project.args.items()] == [("test", ("-race",))]
