"""The benchmark generator writes real, clean projects, and its contenders cover them all."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from benchmarks import contenders, measure, runner
from benchmarks.generate import Generated, Spec, generate, plan
from tandem.model import Command, ProcessResult
from tandem.run import run_commands_sync

BIN = Path(sys.executable).parent
TESTS = 3


@pytest.fixture(scope="module", params=["cpu", "wait"])
def generated(request, tmp_path_factory) -> tuple[Path, tuple[Generated, ...]]:
    """Two Go modules (the second importing the first) and one Python project."""
    root = tmp_path_factory.mktemp(f"bench-{request.param}")
    spec = Spec(go=2, python=1, tests=TESTS, cost=request.param, test_ms=5.0, deps=1.0)
    return root, generate(root, spec)


def run(argv: tuple[str, ...], cwd: Path, **env: str) -> ProcessResult:
    (result,) = run_commands_sync([Command(argv, cwd, env)], timeout=120)
    return result


def of(projects: tuple[Generated, ...], language: str) -> list[Generated]:
    return [p for p in projects if p.language == language]


def test_same_seed_same_files_other_seed_other_projects(tmp_path: Path) -> None:
    def tree(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): p.read_text()
            for p in root.rglob("*")
            if p.is_file()
        }

    spec = Spec(go=2, python=2, tests=2, deps=0.5, seed=7)
    generate(tmp_path / "a", spec)
    generate(tmp_path / "b", spec)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert plan(spec) != plan(Spec(go=2, python=2, tests=2, deps=0.5, seed=8))
    assert (
        len({p.units for p in plan(Spec(go=2, python=2, equal=True, cost="wait"))}) == 1
    )


def test_go_is_gofmt_and_vet_clean_with_a_replace_directive(generated) -> None:
    root, projects = generated
    first, second = of(projects, "go")
    assert second.needs == (first.name,)
    assert (
        f"=> ../{first.name}"
        in (root / "projects" / second.name / "go.mod").read_text()
    )
    assert run(("gofmt", "-l", "projects"), root).stdout == ""
    for p in (first, second):
        result = run(("go", "vet", "./..."), root / "projects" / p.name)
        assert result.returncode == 0, result.output


def test_python_is_black_and_ruff_clean(generated) -> None:
    root, projects = generated
    (project,) = of(projects, "python")
    path = root / "projects" / project.name
    black = run((str(BIN / "black"), "--check", "."), path)
    assert black.returncode == 0, black.output
    ruff = run((str(BIN / "ruff"), "check", "--no-cache", "."), path)
    assert ruff.returncode == 0, ruff.output


def test_go_tests_pass(generated) -> None:
    root, projects = generated
    for p in of(projects, "go"):
        result = run(
            ("go", "test", "-json", "-count=1", "./..."), root / "projects" / p.name
        )
        events = [json.loads(line) for line in result.stdout.splitlines()]
        passed = {e["Test"] for e in events if e.get("Test") and e["Action"] == "pass"}
        assert result.returncode == 0, result.output
        assert passed == {f"TestItem{i:03d}" for i in range(1, TESTS + 1)}


def test_pytest_passes(generated, tmp_path: Path) -> None:
    root, projects = generated
    (project,) = of(projects, "python")
    report = tmp_path / "pytest.xml"
    argv = (
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
    )
    result = run(argv, root / "projects" / project.name, PYTHONPATH="src")
    assert result.returncode == 0, result.output
    assert runner.count_tests(report) == TESTS


def test_makefile_has_every_target_and_make_accepts_it(generated) -> None:
    root, projects = generated
    contender = contenders.make(root, projects, jobs=2)
    text = (root / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", text, re.MULTILINE)) - {"check"}
    expected = {f"{s}-{p.name}" for p in projects for s in contenders.STEPS}
    assert targets == expected
    assert set(re.search(r"^check: (.*)$", text, re.MULTILINE)[1].split()) == expected
    assert run(("make", "-n", "-f", "Makefile", "check"), root).returncode == 0
    assert contender.commands[0].argv[:2] == ("make", "-j2")


def test_noxfile_has_every_session(generated) -> None:
    root, projects = generated
    contenders.nox(root, projects, jobs=2)
    listed = run((str(BIN / "nox"), "-f", "noxfile.py", "-l", "--json"), root)
    assert listed.returncode == 0, listed.output
    names = {session["session"] for session in json.loads(listed.stdout)}
    assert names == {f"{s}-{p.name}" for p in projects for s in contenders.STEPS}


def test_a_run_measures_cpu_and_fails_when_a_quiet_command_prints(
    tmp_path: Path,
) -> None:
    burn = (sys.executable, "-c", "sum(i * i for i in range(3_000_000))")
    talk = (sys.executable, "-c", "print('unformatted.go')")
    spin = measure.Invocation(burn, tmp_path, project="svc")
    loud = measure.Invocation(talk, tmp_path, project="svc", quiet=True)
    log = tmp_path / "log"
    good = measure.run(measure.Contender("burn", (spin,)), {}, log)
    bad = measure.run(measure.Contender("talk", (spin, loud, spin)), {}, log)
    assert good.ok and good.cpu > 0.05 and good.rss_kib > 1000
    assert good.per_project["svc"] == pytest.approx(good.wall, rel=0.2)
    assert not bad.ok and "with output" in bad.note
    assert "unformatted.go" in log.read_text()
