"""Discovery: languages by marker file, dependencies between projects, and clear errors."""

from __future__ import annotations

import pytest

from tandem.config import load_config
from tandem.discover import discover
from tandem.model import TandemError
from tests.conftest import go_module, py_project, write_tree


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
    assert result.warnings == ()  # looking everywhere, a plain directory is no news


def test_a_directory_a_pattern_names_that_is_no_project_is_a_warning(monorepo):
    root = monorepo(
        {
            "pyproject.toml": '[tool.tandem]\ninclude = ["projects/*", "libs/**"]\n',
            "projects/catalog/go.mod": go_module("catalog"),
            "projects/notes/README.md": "not a project\n",
            "projects/.cache/go.mod": go_module("cached"),
            "libs/docs/README.md": "a ** pattern expects no project everywhere\n",
        }
    )
    result = found(root)
    assert [p.name for p in result.projects] == ["catalog"]
    (warning,) = result.warnings
    assert warning == (
        "projects/notes: no go.mod, setup.py or pyproject.toml describing a project; "
        "passed over"
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


def test_projects_are_found_anywhere_and_tool_dirs_are_not_entered(monorepo):
    root = monorepo(
        {
            "pyproject.toml": "[tool.black]\nline-length = 100\n",  # settings only
            "services/api/go.mod": go_module("api"),
            "services/api/vendor/x/go.mod": go_module("x"),
            "services/api/testdata/fixture/go.mod": go_module("fixture"),
            "services/api/plugins/auth/go.mod": go_module("auth"),  # nested
            "libs/py/core/pyproject.toml": py_project("core"),
            "libs/py/legacy/setup.py": "from setuptools import setup\nsetup()\n",
            "libs/py/poetic/pyproject.toml": '[tool.poetry]\nname = "poetic"\n',
            "libs/py/configs/pyproject.toml": "[tool.ruff]\nline-length = 99\n",
            "web/node_modules/pkg/pyproject.toml": py_project("pkg"),
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/site/pyproject.toml": py_project("inside-a-venv"),
            ".venv/lib/pyproject.toml": py_project("hidden"),
            "build/lib/setup.py": "",
            "dist/out/go.mod": go_module("out"),
            "third_party/dep/go.mod": go_module("dep"),
            "core.egg-info/setup.py": "",
            "libs/__pycache__/x/setup.py": "",
            ".tandem/dist/api/go.mod": go_module("copy"),
        }
    )
    result = found(root)
    assert {p.name: p.path.relative_to(root).as_posix() for p in result.projects} == {
        "api": "services/api",
        "auth": "services/api/plugins/auth",
        "core": "libs/py/core",
        "legacy": "libs/py/legacy",
        "poetic": "libs/py/poetic",
    }
    assert result.warnings == ()


def test_the_root_itself_can_be_a_project(monorepo):
    root = monorepo(
        {
            "pyproject.toml": py_project("tool", "\n[tool.tandem]\ntimeout = 60\n"),
            "helper/go.mod": go_module("helper"),
        }
    )
    assert [(p.name, p.path) for p in found(root).projects] == [
        ("helper", root / "helper"),
        ("repo", root),
    ]


def test_projects_sharing_a_directory_name_are_named_by_their_paths(monorepo):
    root = monorepo(
        {
            "pyproject.toml": """
                [tool.tandem.projects."py/api"]
                needs = ["go/api"]
                timeout = 7
                """,
            "go/api/go.mod": go_module("api"),
            "py/api/pyproject.toml": py_project("api"),
            "py/web/pyproject.toml": py_project("web"),
        }
    )
    projects = {p.name: p for p in found(root).projects}
    assert sorted(projects) == ["go/api", "py/api", "web"]
    assert projects["py/api"].needs == ("go/api",)
    assert projects["py/api"].timeout == 7.0


def test_exclude_patterns_and_the_configured_output_and_state_are_skipped(monorepo):
    root = monorepo(
        {
            "pyproject.toml": """
                [tool.tandem]
                exclude = ["legacy", "services/*/examples/**"]
                output = "out/bin"
                state = "var/tandem"
                """,
            "legacy/old/go.mod": go_module("old"),
            "services/api/go.mod": go_module("api"),
            "services/api/examples/demo/go.mod": go_module("demo"),
            "out/bin/api/go.mod": go_module("copy"),
            "var/tandem/venvs/x/pyproject.toml": py_project("x"),
            "out/tool/go.mod": go_module("tool"),
        }
    )
    assert [p.name for p in found(root).projects] == ["api", "tool"]


def test_a_setup_py_beside_go_mod_is_a_configuration_error(monorepo):
    root = monorepo({"odd/go.mod": go_module("odd"), "odd/setup.py": ""})
    with pytest.raises(TandemError, match="odd has both go.mod and setup.py"):
        found(root)


def test_a_tool_only_pyproject_beside_go_mod_leaves_a_go_module(monorepo):
    root = monorepo(
        {"svc/go.mod": go_module("svc"), "svc/pyproject.toml": "[tool.ruff]\n"}
    )
    assert [(p.name, p.language) for p in found(root).projects] == [("svc", "go")]


def test_python_settings_reach_the_project(monorepo):
    root = monorepo(
        {
            "pyproject.toml": """
                [tool.tandem.projects.py]
                xdist = false
                test-requires = ["hypothesis==6.100.0"]
                formatter = "ruff"
                """,
            "py/pyproject.toml": py_project("py"),
        }
    )
    (project,) = found(root).projects
    assert (project.xdist, project.formatter) == (False, "ruff")
    assert project.test_requires == ("hypothesis==6.100.0",)


def test_go_work_modules_need_the_listed_modules_they_require(monorepo):
    root = monorepo(
        {
            "go.work": "go 1.22\n\nuse (\n\t./a\n\t./b\n)\nuse ./c\n",
            "a/go.mod": go_module("a"),
            "b/go.mod": go_module("b", "\nrequire example.com/a v0.0.0\n"),
            "c/go.mod": go_module(
                "c", "\nrequire (\n\texample.com/b v0.0.0\n\texample.com/x v1.0.0\n)\n"
            ),
            "d/go.mod": go_module("d", "\nrequire example.com/a v0.0.0\n"),  # unlisted
        }
    )
    needs = {p.name: p.needs for p in found(root).projects}
    assert needs == {"a": (), "b": ("a",), "c": ("b",), "d": ()}


def test_500_projects_are_found_past_vendored_modules_and_virtualenvs(tmp_path):
    files = {}
    for i in range(250):
        files[f"go/svc{i}/go.mod"] = go_module(f"svc{i}")
        files[f"go/svc{i}/internal/pkg/x.go"] = "package pkg\n"
        files[f"go/svc{i}/vendor/dep/go.mod"] = go_module(f"dep{i}")
        files[f"py/lib{i}/pyproject.toml"] = py_project(f"lib{i}")
        files[f"py/lib{i}/src/lib{i}/__init__.py"] = ""
        files[f"py/lib{i}/.venv/pyvenv.cfg"] = ""
    root = write_tree(tmp_path, files)
    # How fast this is, is measured by the benchmarks, not asserted here.
    assert len(found(root).projects) == 500


def test_uv_workspace_members_a_project_takes_become_needs(monorepo):
    root = monorepo(
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
            "packages/core/pyproject.toml": py_project("core"),
            "packages/web/pyproject.toml": py_project(
                "web",
                'dependencies = ["core"]\n\n[tool.uv.sources]\ncore = { workspace = true }\n',
            ),
        }
    )
    needs = {p.name: p.needs for p in found(root).projects}
    assert needs == {"core": (), "web": ("core",)}


def test_a_project_knows_the_projects_nested_inside_it(monorepo):
    root = monorepo(
        {
            "svc/pyproject.toml": py_project("svc"),
            "svc/plugins/extra/pyproject.toml": py_project("extra"),
            "svc/tools/gen/go.mod": go_module("gen"),
        }
    )
    projects = {p.name: p for p in found(root).projects}
    assert projects["svc"].nested == (
        root / "svc/plugins/extra",
        root / "svc/tools/gen",
    )
    assert projects["extra"].nested == ()
