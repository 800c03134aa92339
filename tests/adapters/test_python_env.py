"""Python projects checked as their own tools would: locks, test groups, requirements files,
their Python, compiled extensions rebuilt, pinned tools, and a source tree left untouched.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tandem.adapters import build_env, interpreters, python, venv
from tandem.model import LANGUAGE_STEPS, Command, Step, Verdict
from tandem.run import run_commands_sync
from tests.pyfixtures import context, package, project, pyproject, run_step, write_tree

TEST_ADD = {"tests/test_add.py": """
    from {name} import add


    def test_add():
        assert add(1, 2) == 3
    """}


def suite_for(name: str) -> dict[str, str]:
    """A test file that imports the package `name`."""
    return {k: v.replace("{name}", name) for k, v in TEST_ADD.items()}


def in_env(proj, ctx, code: str) -> str:
    """What `code` prints inside the project's environment."""
    exe = str(venv.venv_python(venv.venv_dir(proj, ctx)))
    result = run_commands_sync([Command((exe, "-c", code), ctx.root)])[0]
    assert result.returncode == 0, result.output
    return result.stdout.strip()


def built(proj, ctx):
    """Build the project for real and insist that it passed."""
    run = run_step(proj, Step.BUILD, ctx)
    assert [c.verdict for c in run.cases] == [Verdict.PASSED], run.results[-1].output
    return run


def test_uv_lock_pins_the_versions_of_the_test_group(tmp_path: Path) -> None:
    groups = '\n[dependency-groups]\ntests = ["pytest>=8,<9"]\n'
    path = write_tree(
        tmp_path / "locked", {**package("locked", extra=groups), **suite_for("locked")}
    )
    subprocess.run([venv.UV, "lock", "--quiet"], cwd=path, check=True, env=venv_env())
    locked = python.pyproject.locked_versions(path / "uv.lock")["pytest"]
    assert locked.startswith("8.")
    proj, ctx = project(path), context(tmp_path, "lock")
    run = built(proj, ctx)
    assert run.commands[1].argv[1:3] == ("sync", "--locked")
    assert in_env(proj, ctx, "import pytest; print(pytest.__version__)") == locked
    tested = run_step(proj, Step.TEST, context(tmp_path, "lock-test"))
    assert [(c.name, c.verdict) for c in tested.cases] == [("test_add", Verdict.PASSED)]


def venv_env() -> dict[str, str]:
    """The environment for running uv by hand in a test."""
    return {**os.environ, **venv.UV_ENV}


# A group for a Python no one has: uv leaves its requirements out, unresolved.
UV_GROUP_PYTHON = """
[dependency-groups]
test = ["pytest==9.2.0"]
dev = [{ include-group = "test" }, "tandem-no-such-distribution==1"]

[tool.uv.dependency-groups]
dev = { requires-python = ">=3.99" }
"""


@pytest.mark.parametrize(
    "where",
    [
        {"pyproject.toml": pyproject("req")},
        {
            "pyproject.toml": pyproject(
                "req", extra='\n[dependency-groups]\ndev = ["pytest==9.2.0"]\n'
            )
        },
        {
            "pyproject.toml": pyproject("req"),
            "requirements-test.txt": "pytest==9.2.0  # tests\n",
        },
        {
            "pyproject.toml": pyproject("req"),
            "tests/requirements.txt": "-r ../requirements.txt\npytest==9.2.0\n",
            "requirements.txt": "\n",
        },
        {
            "pyproject.toml": pyproject("req"),
            "tox.ini": "[testenv]\ndeps =\n    pytest8: pytest>=8\n    pytest==9.2.0\n",
        },
        {
            "pyproject.toml": pyproject("req"),
            "hatch.toml": '[envs.default]\ndependencies = ["pytest==9.2.0"]\n',
        },
        {"pyproject.toml": pyproject("req", extra=UV_GROUP_PYTHON)},
    ],
    ids=[
        "none",
        "dev-group",
        "requirements-test",
        "tests-requirements",
        "tox-factors",
        "hatch-toml",
        "uv-group-python",
    ],
)
def test_test_requirements_are_found_where_projects_keep_them(
    tmp_path: Path, where
) -> None:
    files = {
        **where,
        "src/req/__init__.py": "def add(a, b):\n    return a + b\n",
        **suite_for("req"),
    }
    proj, ctx = project(write_tree(tmp_path / "req", files)), context(tmp_path, "b")
    built(proj, ctx)
    version = in_env(proj, ctx, "import pytest; print(pytest.__version__)")
    added = dict(python.properties(proj, Step.TEST, ctx)).get("tandem.added")
    if len(where) == 1 and "dependency-groups" not in where["pyproject.toml"]:
        assert added == "pytest (the project declares none)"
    else:
        assert (version, added) == ("9.2.0", None)
    tested = run_step(proj, Step.TEST, context(tmp_path, "t"))
    assert [(c.name, c.verdict) for c in tested.cases] == [("test_add", Verdict.PASSED)]


def other_python() -> interpreters.Interpreter:
    """An installed interpreter of another minor version than Tandem's own."""
    mine = sys.version_info[:2]
    others = [
        i
        for i in interpreters.installed()
        if i.version.release[:2] != mine and i.version.release[:2] >= (3, 9)
    ]
    assert others, "this machine needs a second Python 3.9+ (pyenv or uv) for this test"
    return max(others, key=lambda i: i.version)


def test_python_version_file_chooses_the_interpreter(tmp_path: Path) -> None:
    other = other_python()
    minor = ".".join(map(str, other.version.release[:2]))
    files = {
        **package("pinned"),
        ".python-version": f"{minor}\n",
        **suite_for("pinned"),
    }
    proj, ctx = project(write_tree(tmp_path / "pinned", files)), context(tmp_path, "b")
    built(proj, ctx)
    assert (
        in_env(proj, ctx, "import sys; print('%d.%d' % sys.version_info[:2])") == minor
    )
    assert dict(python.properties(proj, Step.TEST, ctx))["python.version"].startswith(
        f"Python {minor}."
    )


def test_no_installed_python_fits_is_one_clear_error_case(tmp_path: Path) -> None:
    files = {**package("future", extra='requires-python = ">=3.99"\n')}
    proj = project(write_tree(tmp_path / "future", files))
    run = run_step_refused(proj, context(tmp_path, "b"))
    assert (run.name, run.verdict, run.type) == (
        "[python]",
        Verdict.ERROR,
        "python.interpreter",
    )
    assert ">=3.99 (requires-python)" in run.message and "install" in run.message


def run_step_refused(proj, ctx):
    """The one case a refused build step becomes."""
    with pytest.raises(python.base.Refusal) as refused:
        python.commands(proj, Step.BUILD, ctx)
    return python.base.error_case(
        proj, refused.value.tool, refused.value.kind, refused.value.message
    )


C_EXTENSION = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "speed"
        version = "0.1.0"

        [project.optional-dependencies]
        test = ["pytest==9.2.0"]

        [tool.setuptools]
        ext-modules = [{ name = "speed._speed", sources = ["src/speed/_speed.c"] }]
        """,
    "src/speed/__init__.py": 'from speed._speed import answer\n\n__all__ = ["answer"]\n',
    "src/speed/_speed.c": """
        #include <Python.h>
        static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
        static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
        static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
        PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }
        """,
    "tests/test_speed.py": """
        from speed import answer


        def test_answer():
            assert answer() == 42
        """,
}


def git(path: Path, *args: str) -> str:
    """Run git in `path` and return its output."""
    command = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args]
    return subprocess.run(
        command, cwd=path, check=True, capture_output=True, text=True
    ).stdout


def test_an_edited_c_file_is_rebuilt_and_the_tree_stays_clean(tmp_path: Path) -> None:
    path = write_tree(tmp_path / "speed", C_EXTENSION)
    git(path, "init", "-q")
    git(path, "add", ".")
    git(path, "commit", "-qm", "fixture")
    proj = project(path)
    steps = [
        (s, run_step(proj, s, context(tmp_path, f"1-{s.value}")))
        for s in LANGUAGE_STEPS
    ]
    assert all(
        c.verdict is Verdict.PASSED for _, run in steps for c in run.cases
    ), steps
    source = path / "src/speed/_speed.c"
    source.write_text(source.read_text().replace("42", "41"))
    built(proj, context(tmp_path, "2-build"))
    tested = run_step(proj, Step.TEST, context(tmp_path, "2-test"))
    assert [(c.name, c.verdict) for c in tested.cases] == [
        ("test_answer", Verdict.FAILURE)
    ]
    assert git(path, "status", "--porcelain") == " M src/speed/_speed.c\n"


IN_TREE_BACKEND = {
    "pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "asking"
        backend-path = ["_build"]

        [project]
        name = "asker"
        version = "0.1.0"

        [tool.hatch.build.targets.wheel]
        packages = ["src/asker"]
        """,
    # The backend asks for iniconfig besides hatchling, and cannot build without it.
    "_build/asking.py": """
        from hatchling.build import *  # noqa: F403


        def get_requires_for_build_wheel(config_settings=None):
            return ["iniconfig"]


        def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
            import iniconfig  # noqa: F401
            from hatchling.build import build_wheel as build

            return build(wheel_directory, config_settings, metadata_directory)
        """,
    "src/asker/__init__.py": "ANSWER = 42\n",
}


def test_wheels_build_in_a_kept_environment_with_what_the_backend_asks_for(
    tmp_path: Path,
) -> None:
    proj = project(write_tree(tmp_path / "asker", IN_TREE_BACKEND))
    ctx = context(tmp_path, "first")
    first = built(proj, ctx)
    kept = interpreters.venv_python(build_env.location(venv.venv_dir(proj, ctx), 0))
    wheel = next(c for c in first.commands if c.purpose == venv.WHEEL)
    assert wheel.argv[wheel.argv.index("--python") + 1] == str(kept)
    assert "--no-build-isolation" in wheel.argv
    assert in_env(proj, ctx, "import asker; print(asker.ANSWER)") == "42"
    # The next build makes no environment: it builds in the kept one at once.
    again = built(proj, context(tmp_path, "again"))
    purposes = [c.purpose for c in again.commands[1:]]
    assert purposes == [venv.WHEEL, venv.INSTALL, venv.OUTPUT]


def test_ruff_fix_in_the_config_is_reported_and_the_file_is_unchanged(
    tmp_path: Path,
) -> None:
    files = {
        **package("fixer", extra="\n[tool.ruff]\nfix = true\n"),
        "src/fixer/mod.py": "import os\n",
    }
    proj = project(write_tree(tmp_path / "fixer", files))
    run = run_step(proj, Step.VET, context(tmp_path, "v"))
    assert [(c.name, c.verdict) for c in run.cases] == [
        ("ruff: src/fixer/mod.py:1:8 F401", Verdict.FAILURE)
    ]
    assert (proj.path / "src/fixer/mod.py").read_text() == "import os\n"
    assert not (proj.path / ".ruff_cache").exists()


def test_a_project_formatted_with_ruff_is_checked_by_ruff_format(
    tmp_path: Path,
) -> None:
    config = '\n[tool.ruff.format]\nquote-style = "single"\n'
    files = {
        **package("quotes", extra=config),
        "src/quotes/mod.py": "x = 'single'\ny = \"double\"\n",
    }
    proj = project(write_tree(tmp_path / "quotes", files))
    run = run_step(proj, Step.FMT, context(tmp_path, "f"))
    assert "format" in run.commands[0].argv
    (case,) = run.cases
    assert (case.name, case.verdict, case.type) == (
        "ruff format: src/quotes/mod.py",
        Verdict.FAILURE,
        "fmt.ruff",
    )
    assert "+y = 'double'" in case.text and case.line == 1


def test_a_pinned_ruff_checks_the_project_at_that_version(tmp_path: Path) -> None:
    groups = '\n[dependency-groups]\ndev = ["ruff==0.6.9"]\n'
    files = {**package("old", extra=groups), "src/old/mod.py": "import os\n"}
    proj, ctx = project(write_tree(tmp_path / "old", files)), context(tmp_path, "v")
    run = run_step(proj, Step.VET, ctx)
    assert "ruff==0.6.9" in run.commands[0].argv
    assert [c.name for c in run.cases] == ["ruff: src/old/mod.py:1:8 F401"]
    assert python.properties(proj, Step.VET, ctx) == (
        ("ruff.version", "ruff 0.6.9 (pinned by the project)"),
    )
    assert python.formatter(proj) == "ruff"


def test_xdist_is_the_projects_choice_never_the_budgets(tmp_path: Path) -> None:
    xdist = '"pytest-xdist==3.8.0"'
    declared = write_tree(
        tmp_path / "a", {"pyproject.toml": pyproject("a", ('"pytest==9.2.0"', xdist))}
    )
    configured = write_tree(
        tmp_path / "b",
        {
            "pyproject.toml": pyproject("b", ('"pytest==9.2.0"', xdist), extra="")
            + '\n[tool.pytest.ini_options]\naddopts = "-n auto --dist loadfile"\n'
        },
    )
    one, two = context(tmp_path, "one"), context(tmp_path, "two", slots=2)
    for ctx in (one, two):
        assert "-n" not in python.commands(project(declared), Step.TEST, ctx)[0].argv
    assert python.commands(project(configured), Step.TEST, one)[0].argv[-2:] == (
        "-n",
        "1",
    )
    assert python.commands(project(configured), Step.TEST, two)[0].argv[-2:] == (
        "-n",
        "2",
    )
    chosen = dataclasses.replace(project(declared), xdist=True)
    assert python.commands(chosen, Step.TEST, one)[0].argv[-2:] == ("-n", "1")


def test_a_uv_workspace_member_gets_its_sibling_and_the_workspace_lock(
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path / "ws",
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["libs/*", "apps/*"]\n',
            **{f"libs/core/{k}": v for k, v in package("core").items()},
            **{
                f"apps/app/{k}": v
                for k, v in package(
                    "app",
                    extra='dependencies = ["core"]\n\n[dependency-groups]\n'
                    'test = ["pytest==9.2.0"]\n\n[tool.uv.sources]\n'
                    "core = { workspace = true }\n",
                ).items()
            },
            "apps/app/tests/test_app.py": "from core import add\n\n\n"
            "def test_core():\n    assert add(2, 2) == 4\n",
        },
    )
    subprocess.run([venv.UV, "lock", "--quiet"], cwd=root, check=True, env=venv_env())
    app, core = root / "apps/app", root / "libs/core"
    assert python.local_requirements(app) == (core,)
    proj, ctx = project(app), context(tmp_path, "b")
    run = built(proj, ctx)
    assert run.commands[1].argv[1:3] == ("sync", "--locked")
    assert ("--package", "app") == run.commands[1].argv[5:7]
    tested = run_step(proj, Step.TEST, context(tmp_path, "t"))
    assert [(c.name, c.verdict) for c in tested.cases] == [
        ("test_core", Verdict.PASSED)
    ]


@pytest.mark.parametrize("tool", ["black", "ruff"])
def test_fmt_and_vet_leave_nested_projects_and_vendored_code_alone(
    tmp_path: Path, tool
) -> None:
    black = '\n[tool.black]\nextend-exclude = "^/generated/"\n'
    black += '\n[tool.ruff]\nextend-exclude = ["generated"]\n'
    files = {
        **package("outer", extra=black),
        "generated/gen.py": "import os\nx=1\n",
        "inner/pyproject.toml": pyproject("inner"),
        "inner/mod.py": "import os\nx=1\n",
        "src/outer/vendor/copied.py": "import os\nx=1\n",
        "third_party/lib.py": "import os\nx=1\n",
    }
    path = write_tree(tmp_path / "outer", files)
    outer = dataclasses.replace(project(path), nested=(path / "inner",), formatter=tool)
    for step in (Step.FMT, Step.VET):
        run = run_step(outer, step, context(tmp_path, f"{tool}-{step.value}"))
        assert [c.verdict for c in run.cases] == [Verdict.PASSED], run.results[0]
    inner = dataclasses.replace(project(path / "inner"), formatter=tool)
    fmt = run_step(inner, Step.FMT, context(tmp_path, f"{tool}-inner"))
    assert [c.file for c in fmt.cases] == ["mod.py"]


def test_a_git_versioned_project_builds_outside_its_work_tree(tmp_path: Path) -> None:
    files = {
        **package("tagged"),
        "pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
        'build-backend = "hatchling.build"\n\n[project]\nname = "tagged"\n'
        'dynamic = ["version"]\n\n[tool.hatch.version]\nsource = "vcs"\n',
    }
    path = write_tree(tmp_path / "repo" / "tagged", files)
    git(path.parent, "init", "-q")
    git(path.parent, "add", ".")
    git(path.parent, "commit", "-qm", "fixture")
    git(path.parent, "tag", "v1.4.0")
    proj, ctx = project(path), context(tmp_path, "b")
    built(proj, ctx)
    version = "import importlib.metadata as m; print(m.version('tagged'))"
    assert in_env(proj, ctx, version) == "1.4.0+tandem"
    assert git(path.parent, "status", "--porcelain") == ""
