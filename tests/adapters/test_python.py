"""The Python adapter running the real uv, pip, black, ruff and pytest on tiny projects."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

import pytest

from tandem.adapters import build_env, python, venv
from tandem.model import Command, ProcessResult, Step, Verdict
from tandem.run import run_commands_sync
from tests.pyfixtures import (
    PYTEST,
    XDIST,
    context,
    package,
    project,
    pyproject,
    run_step,
    write_tree,
)

TESTS = {"tests/test_add.py": """
        from shared import add


        def test_add():
            assert add(1, 2) == 3


        def test_zero():
            assert add(0, 0) == 0
        """}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root of a built project `shared` with pytest and pytest-xdist in its environment."""
    root = tmp_path_factory.mktemp("shared")
    path = write_tree(root / "shared", {**package("shared", (PYTEST, XDIST)), **TESTS})
    run = run_step(project(path), Step.BUILD, context(root, "build"))
    assert [c.verdict for c in run.cases] == [Verdict.PASSED], run.results[-1].output
    return root


def scenario(
    shared: Path, tmp_path: Path, files: dict[str, str], test: tuple[str, ...] = ()
):
    """A directory of test files run with the shared environment (environments go by name)."""
    path = write_tree(
        tmp_path / "scenario", {"pyproject.toml": pyproject("scenario", test)}
    )
    return project(write_tree(path, files), name="shared")


def step_names(run) -> list[tuple[str, str, Verdict]]:
    """(classname, name, verdict) of every case."""
    return [(case.classname, case.name, case.verdict) for case in run.cases]


def test_green_project_passes_every_step(shared: Path) -> None:
    proj = project(shared / "shared")
    build = run_step(proj, Step.BUILD, context(shared, "green-build"))
    # The environment is fresh: the sources are mirrored, built into a wheel once, which is
    # installed and put into the build output.
    purposes = [c.purpose for c in build.commands[1:]]
    assert purposes == [venv.WHEEL, venv.INSTALL, venv.OUTPUT]
    assert step_names(build) == [("shared", "[wheel]", Verdict.PASSED)]
    assert list((shared / "dist").glob("shared-0.1.0-*.whl"))
    assert step_names(run_step(proj, Step.FMT, context(shared, "green-fmt"))) == [
        ("shared", "[black]", Verdict.PASSED)
    ]
    assert step_names(run_step(proj, Step.VET, context(shared, "green-vet"))) == [
        ("shared", "[ruff]", Verdict.PASSED)
    ]
    assert step_names(run_step(proj, Step.TEST, context(shared, "green-test"))) == [
        ("shared/tests.test_add", "test_add", Verdict.PASSED),
        ("shared/tests.test_add", "test_zero", Verdict.PASSED),
    ]


def test_environment_is_built_once_and_rebuilt_when_pyproject_changes(
    tmp_path: Path,
) -> None:
    path = write_tree(tmp_path / "solo", package("solo"))
    ctx = context(tmp_path, "first")
    first = run_step(project(path), Step.BUILD, ctx)
    # The project's environment, then its build environment inside it (the backend asked for
    # nothing more), then the stamp.
    made = [c.argv[1] for c in first.commands[1:-3]]
    assert made == ["venv", "pip", "venv", "pip", "-c", "pip", "-c"]
    assert step_names(first) == [("solo", "[wheel]", Verdict.PASSED)]
    stamp = first.commands[-4].stamp
    assert stamp is not None and stamp.read_text().endswith(first.commands[-4].argv[-1])
    assert len(python.commands(project(path), Step.BUILD, ctx)) == 4
    # A build environment removed by hand is remade, with the environment it lives in.
    shutil.rmtree(build_env.location(venv.venv_dir(project(path), ctx), 0))
    remade = python.commands(project(path), Step.BUILD, ctx)
    assert [c.argv[1] for c in remade[1:-3]] == made
    (path / "pyproject.toml").write_text(
        pyproject("solo", extra='description = "changed"\n')
    )
    again = python.commands(project(path), Step.BUILD, ctx)
    assert [c.argv[1] for c in again[1:-3]] == made
    assert again[-4].argv[-1] != first.commands[-4].argv[-1]


def test_local_path_requirements_are_installed_from_their_sources_as_they_are(
    tmp_path: Path,
) -> None:
    lib = write_tree(tmp_path / "lib", package("lib"))
    sources = '\n[tool.uv.sources]\nlib = { path = "../lib" }\n'
    app = write_tree(
        tmp_path / "app", package("app", extra=f'dependencies = ["lib"]\n{sources}')
    )
    assert python.local_requirements(app) == (lib,)
    ctx = context(tmp_path, "app")
    build = run_step(project(app), Step.BUILD, ctx)
    assert step_names(build) == [("app", "[wheel]", Verdict.PASSED)], build.results[
        -1
    ].output
    python_exe = str(venv.venv_python(venv.venv_dir(project(app), ctx)))
    probe = Command((python_exe, "-c", "import lib; print(lib.add(2, 3))"), tmp_path)
    assert run_commands_sync([probe])[0].stdout == "5\n"
    # Not editable, yet never stale: the next build installs the library as it is now.
    (lib / "src/lib/__init__.py").write_text("def add(a, b):\n    return a * b\n")
    run_step(project(app), Step.BUILD, context(tmp_path, "again"))
    assert run_commands_sync([probe])[0].stdout == "6\n"


def test_local_requirements_from_file_urls(tmp_path: Path) -> None:
    for name in ("one", "two", "three"):
        (tmp_path / name).mkdir()
    (tmp_path / "archive.whl").write_text("")
    deps = [
        f"one @ file://{tmp_path / 'one'}",
        "two @ file:../two",
        "archive @ file:../archive.whl",
        "remote @ https://example.invalid/remote.tar.gz",
        "plain>=1",
    ]
    extra = f"dependencies = {deps!r}\n".replace("'", '"')
    groups = '\n[dependency-groups]\ntest = ["three @ file:../three"]\n'
    app = write_tree(
        tmp_path / "app", {"pyproject.toml": pyproject("app", extra=extra + groups)}
    )
    assert python.local_requirements(app) == (
        tmp_path / "one",
        tmp_path / "three",
        tmp_path / "two",
    )


def test_environment_failure_is_a_venv_error(tmp_path: Path) -> None:
    sources = '\n[tool.uv.sources]\nghost = { path = "../ghost" }\n'
    path = write_tree(
        tmp_path / "bad", package("bad", extra=f'dependencies = ["ghost"]\n{sources}')
    )
    run = run_step(project(path), Step.BUILD, context(tmp_path, "bad"))
    (case,) = run.cases
    assert (case.classname, case.name, case.verdict) == ("bad", "[venv]", Verdict.ERROR)
    assert case.type == "python.build"
    assert case.message.startswith("could not create the environment")
    assert "ghost" in case.text


def ran(argv: tuple[str, ...], purpose: str = "") -> Command:
    """The command behind a result made up for judging."""
    return Command(argv, Path("."), purpose=purpose)


def test_wheel_failure_is_a_wheel_error(tmp_path: Path) -> None:
    proj = project(tmp_path)
    results = (
        ProcessResult(ran(("uv", "pip", "install", "."), venv.INSTALL), 0),
        ProcessResult(
            ran(("uv", "build", "--wheel"), venv.WHEEL),
            2,
            stderr="error: Failed to build `x`\n",
        ),
    )
    (case,) = python.judge(proj, Step.BUILD, results, context(tmp_path, "wheel"))
    assert (case.name, case.verdict, case.type) == (
        "[wheel]",
        Verdict.ERROR,
        "python.build",
    )
    assert case.message == "could not build the wheel: error: Failed to build `x`"


def test_failing_and_skipped_tests(shared: Path, tmp_path: Path) -> None:
    files = {"tests/test_mixed.py": """
            import pytest


            def test_fails():
                assert 1 == 2


            @pytest.mark.skip(reason="later")
            def test_skipped():
                pass
            """}
    run = run_step(
        scenario(shared, tmp_path, files), Step.TEST, context(shared, tmp_path.name)
    )
    assert run.results[-1].returncode == 1
    cases = run.by_name()
    assert (cases["test_fails"].verdict, cases["test_fails"].line) == (
        Verdict.FAILURE,
        4,
    )
    assert cases["test_fails"].classname == "shared/tests.test_mixed"
    assert cases["test_skipped"].verdict is Verdict.SKIPPED
    assert cases["test_skipped"].message == "later"


def test_pytest_keeps_bytecode_in_the_state_where_python_is_told_to_write_none(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # as many CI images set it
    proj = scenario(shared, tmp_path, TESTS)
    run = run_step(proj, Step.TEST, context(shared, tmp_path.name))
    assert run.results[-1].returncode == 0, run.results[-1].output
    # pytest's rewritten test module, under a prefix that mirrors the project's path
    kept = shared / ".tandem" / "pycache" / proj.path.relative_to("/") / "tests"
    assert [p.name.split(".")[0] for p in kept.glob("*.pyc")] == ["test_add"]
    assert not list(proj.path.rglob("__pycache__"))


def test_no_tests_is_a_skipped_pytest_case(shared: Path, tmp_path: Path) -> None:
    files = {"tests/test_nothing.py": "def helper():\n    return 1\n"}
    run = run_step(
        scenario(shared, tmp_path, files), Step.TEST, context(shared, tmp_path.name)
    )
    assert run.results[-1].returncode == 5
    assert step_names(run) == [("shared", "[pytest]", Verdict.SKIPPED)]


def test_collection_error_is_an_error_case(shared: Path, tmp_path: Path) -> None:
    files = {
        "tests/test_broken.py": "import missing_module_xyz\n\n\ndef test_x():\n    pass\n"
    }
    run = run_step(
        scenario(shared, tmp_path, files), Step.TEST, context(shared, tmp_path.name)
    )
    assert run.results[-1].returncode == 2
    (case,) = run.cases
    assert (case.classname, case.name) == ("shared/(collection)", "tests.test_broken")
    assert (case.verdict, case.type) == (Verdict.ERROR, "pytest.collection")


def test_unformatted_file_is_a_black_failure(tmp_path: Path) -> None:
    files = {**package("fmt"), "src/fmt/ugly.py": 'x = {  "a":1 }\n'}
    proj = project(write_tree(tmp_path / "fmt", files))
    run = run_step(proj, Step.FMT, context(tmp_path, "check"))
    # the quick look, then the diffs
    assert [r.returncode for r in run.results] == [1, 1]
    (case,) = run.cases
    assert (case.classname, case.name) == ("fmt/src/fmt", "black: src/fmt/ugly.py")
    assert (case.verdict, case.type, case.file, case.line) == (
        Verdict.FAILURE,
        "fmt.black",
        "src/fmt/ugly.py",
        1,
    )
    assert '+x = {"a": 1}' in case.text
    fixed = run_step(proj, Step.FMT, context(tmp_path, "fix", fix=True))
    assert step_names(fixed) == [("fmt", "[black]", Verdict.PASSED)]
    assert (proj.path / "src/fmt/ugly.py").read_text() == 'x = {"a": 1}\n'


def test_a_formatted_project_takes_one_quick_look_that_black_caches_in_the_state(
    tmp_path: Path,
) -> None:
    proj = project(write_tree(tmp_path / "tidy", package("tidy")))
    ctx = context(tmp_path, "tidy")
    for _ in range(2):
        run = run_step(proj, Step.FMT, ctx)
        assert step_names(run) == [("tidy", "[black]", Verdict.PASSED)]
        (quick,) = run.results  # no run with diffs: nothing to show
        assert "--diff" not in quick.argv
    assert list((ctx.state / "black-cache" / "tidy").rglob("cache.*"))


def test_unparsable_file_is_a_black_error(tmp_path: Path) -> None:
    files = {**package("bad"), "broken.py": "def f(:\n    pass\n"}
    run = run_step(
        project(write_tree(tmp_path / "bad", files)), Step.FMT, context(tmp_path, "b")
    )
    assert run.results[-1].returncode == 123
    (case,) = run.cases
    assert (case.classname, case.name, case.verdict) == (
        "bad",
        "[black]",
        Verdict.ERROR,
    )
    assert case.message.startswith("error: cannot parse")
    assert "broken.py" in case.text


def test_ruff_finding_is_a_vet_failure(tmp_path: Path) -> None:
    files = {**package("lint"), "src/lint/mod.py": "import os\n"}
    run = run_step(
        project(write_tree(tmp_path / "lint", files)), Step.VET, context(tmp_path, "v")
    )
    (case,) = run.cases
    assert (case.classname, case.name) == (
        "lint/src/lint",
        "ruff: src/lint/mod.py:1:8 F401",
    )
    assert (case.verdict, case.type, case.file, case.line) == (
        Verdict.FAILURE,
        "vet.ruff",
        "src/lint/mod.py",
        1,
    )
    assert case.message == "`os` imported but unused"
    # ruff's own binary, without an interpreter started to find it
    assert run.commands[0].argv[:2] == (str(venv.RUFF), "check")


def test_ruff_configuration_error_is_a_vet_error(tmp_path: Path) -> None:
    files = package("conf", extra='\n[tool.ruff.lint]\nselect = ["NOPE1"]\n')
    run = run_step(
        project(write_tree(tmp_path / "conf", files)), Step.VET, context(tmp_path, "c")
    )
    assert run.results[-1].returncode == 2
    (case,) = run.cases
    assert (case.name, case.verdict, case.type) == ("[ruff]", Verdict.ERROR, "vet.ruff")
    assert "NOPE1" in case.text


def test_missing_environment_python_is_a_missing_tool_error(tmp_path: Path) -> None:
    proj = project(write_tree(tmp_path / "nope", package("nope")))
    run = run_step(proj, Step.TEST, context(tmp_path, "t"))
    (case,) = run.cases
    assert (case.name, case.verdict, case.type) == (
        "[pytest]",
        Verdict.ERROR,
        "tandem.missing-tool",
    )


def test_versions_name_python_black_and_ruff(tmp_path: Path) -> None:
    commands = python.versions(tmp_path)
    assert {"python.version", "black.version", "ruff.version"} <= set(commands)
    results = run_commands_sync(list(commands.values()))
    assert all(result.returncode == 0 for result in results)
    assert results[0].stdout.startswith(f"Python {sys.version_info.major}.")


def test_extra_arguments_from_the_config_reach_every_tool(tmp_path):
    args = {
        Step.FMT: ("--line-length", "100"),
        Step.VET: ("--select", "E"),
        Step.BUILD: ("-v",),
    }
    proj = dataclasses.replace(project(tmp_path / "p"), args=args)
    ctx = context(tmp_path, "args")
    quick, fmt = python.commands(proj, Step.FMT, ctx)
    (vet,) = python.commands(proj, Step.VET, ctx)
    wheel = python.commands(proj, Step.BUILD, ctx)[-1]
    assert quick.argv[-3:] == fmt.argv[-3:] == ("--line-length", "100", ".")
    assert vet.argv[-3:] == ("--select", "E", ".")
    assert wheel.argv[-2] == "-v" and wheel.argv[-1].endswith(str(proj.path))


def test_a_formatter_crashing_with_exit_1_is_one_error_case(tmp_path: Path) -> None:
    crashed = ProcessResult(
        ran(("black", "--check", ".")),
        1,
        stderr="Traceback (most recent call last):\nImportError: broken black\n",
    )
    ctx = context(tmp_path, "crash")
    (case,) = python.judge(project(tmp_path), Step.FMT, (crashed,), ctx)
    assert (case.name, case.verdict, case.type) == (
        "[black]",
        Verdict.ERROR,
        "fmt.black",
    )
    assert case.message == "ImportError: broken black" and "Traceback" in case.text
