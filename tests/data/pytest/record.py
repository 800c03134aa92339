"""Record real pytest --junitxml reports for the normaliser's golden tests.

    .venv/bin/python tests/data/pytest/record.py
    TANDEM_UPDATE_GOLDEN=1 .venv/bin/pytest tests/adapters/test_pytest_xml.py

Writes a fixture project into a temporary directory, builds its environment with the Python
adapter's own build commands (pinned pytest, pytest-xdist and pytest-rerunfailures), runs every
scenario with the adapter's own pytest command and stores, per scenario, the report
(`<scenario>.xml`) and what the process did (`<scenario>.run.json`). The temporary directory is
replaced by /tmp/sample so that recordings do not change from one machine to the next.
"""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from pathlib import Path

from tandem.adapters import python
from tandem.model import Context, Project, Step
from tandem.run import run_commands_sync

HERE = Path(__file__).resolve().parent
PLACEHOLDER = "/tmp/sample"
PINS = '"pytest==9.2.0", "pytest-xdist==3.8.0", "pytest-rerunfailures==16.7"'

FILES = {
    "pyproject.toml": f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "sample"
        version = "0.1.0"

        [project.optional-dependencies]
        test = [{PINS}]
        """,
    "src/sample/__init__.py": """
        def add(a, b):
            return a + b
        """,
    "tests/passing/test_math.py": """
        import pytest

        from sample import add


        def test_add():
            assert add(1, 2) == 3


        @pytest.mark.parametrize("path", ["a/b c", "plain", "tab\\tend"])
        def test_ids(path):
            assert path


        class TestGroup:
            def test_method(self):
                assert add(0, 0) == 0
        """,
    "tests/mixed/test_mixed.py": """
        import logging
        import sys

        import pytest


        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("teardown broke")


        @pytest.fixture
        def broken_setup():
            raise RuntimeError("setup broke")


        def test_passes():
            print("quiet when passing")
            assert 1 + 1 == 2


        def test_fails():
            print("checking the sum")
            logging.getLogger("sample").warning("about to fail")
            assert 1 + 1 == 3


        @pytest.mark.skip(reason="not on this platform")
        def test_skipped():
            pass


        def test_skips_inside():
            pytest.skip("needs a database")


        @pytest.mark.xfail(reason="known bug")
        def test_xfail():
            assert False


        @pytest.mark.xfail(reason="fixed upstream", strict=False)
        def test_xpass():
            pass


        @pytest.mark.xfail(reason="must fail", strict=True)
        def test_xpass_strict():
            pass


        @pytest.mark.parametrize("value", ["a/b c", "x y"])
        def test_param_fails(value):
            assert value == "z"


        class TestGroup:
            def test_method_fails(self):
                assert [1, 2] == [1, 3]


        def test_control_output(record_property):
            record_property("owner", "team-a")
            print("bell\\x07 nul\\x00 \\x1b[31mred\\x1b[0m done")
            sys.stderr.write("warn \\x1b[33myellow\\x1b[0m\\n")
            assert False, "see \\x1b[1mbold\\x1b[0m output"


        def test_fails_then_teardown_error(broken_teardown):
            assert 0, "body failed"


        def test_passes_then_teardown_error(broken_teardown):
            pass


        def test_setup_error(broken_setup):
            pass
        """,
    "tests/broken/test_broken.py": """
        import not_a_module_anywhere


        def test_never_runs():
            pass
        """,
    "tests/broken/test_fine.py": """
        def test_fine():
            pass
        """,
    "tests/empty/test_empty.py": """
        def helper():
            return 1
        """,
    "tests/flaky/test_flaky.py": """
        _calls = []


        def test_flaky():
            _calls.append(1)
            assert len(_calls) > 1, "first attempt fails"


        def test_always_fails():
            assert False, "every attempt fails"


        def test_steady():
            pass
        """,
}

SCENARIOS = {  # name: (pytest arguments, CPU slots)
    "passing": (("tests/passing",), 1),
    "mixed": (("tests/mixed",), 1),
    "mixed_xdist": (("tests/mixed",), 2),
    "collection_error": (("tests/broken",), 1),
    "collection_error_xdist": (("tests/broken",), 2),
    "no_tests": (("tests/empty",), 1),
    "reruns": (("tests/flaky", "--reruns", "2"), 1),
}


def write_project(root: Path) -> Path:
    """The fixture project under root/sample."""
    for relative, text in FILES.items():
        path = root / "sample" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root / "sample"


def context(root: Path, name: str, slots: int) -> Context:
    """A context whose state (and so the environment) is shared by every scenario."""
    workdir = root / "work" / name
    workdir.mkdir(parents=True, exist_ok=True)
    return Context(root, root / "dist", root / ".tandem", workdir, slots=slots)


def record(
    root: Path, project: Project, name: str, args: tuple[str, ...], slots: int
) -> None:
    """Run one scenario and store its report and process result beside this script."""
    ctx = context(root, name, slots)
    scenario = Project(project.name, "python", project.path, args={Step.TEST: args})
    (result,) = run_commands_sync(
        python.commands(scenario, Step.TEST, ctx), timeout=300
    )
    report = (ctx.workdir / python.REPORT).read_text(encoding="utf-8")
    run = {
        "argv": list(result.argv),
        "returncode": result.returncode,
        "stdout": result.stdout,
        "stderr": result.stderr,
    }
    write(HERE / f"{name}.xml", report.replace(str(root), PLACEHOLDER))
    text = json.dumps(run, indent=2, ensure_ascii=True) + "\n"
    write(HERE / f"{name}.run.json", text.replace(str(root), PLACEHOLDER))
    print(f"{name}: exit {result.returncode}")


def write(path: Path, text: str) -> None:
    """Write text with "\\n" line ends."""
    path.write_text(text, encoding="utf-8", newline="\n")


def main() -> int:
    """Build the fixture environment once, then record every scenario."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        project = Project("sample", "python", write_project(root))
        build = python.commands(project, Step.BUILD, context(root, "build", 1))
        results = run_commands_sync(build, timeout=600)
        if results[-1].returncode != 0:
            print(results[-1].output, file=sys.stderr)
            return 1
        for name, (args, slots) in SCENARIOS.items():
            record(root, project, name, args, slots)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
