"""go.work: parsing, which modules it governs, and real go runs inside and outside a workspace."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tandem.adapters import go, go_work
from tandem.cli import main
from tandem.model import LANGUAGE_STEPS, Status, Step
from tandem.workflow import Options, run
from tests.conftest import go_module, write_tree
from tests.gofixtures import context, go_project

LIB = {
    "lib/lib.go": "package lib\n\n// Double returns twice n.\nfunc Double(n int) int { return 2 * n }\n",
    "lib/lib_test.go": """
        package lib

        import "testing"

        func TestDouble(t *testing.T) {
        \tif Double(2) != 4 {
        \t\tt.Fatal("bad double")
        \t}
        }
        """,
}


def module(name: str, files: dict[str, str], extra: str = "") -> dict[str, str]:
    """The files of module `example.com/<name>` under directory `name`."""
    return {
        f"{name}/go.mod": go_module(name, extra),
        **{f"{name}/{path}": text for path, text in files.items()},
    }


def test_use_directives_in_single_and_block_form(tmp_path: Path) -> None:
    work = write_tree(
        tmp_path,
        {"go.work": """
                go 1.22

                use ./a // the first
                use (
                \t./b
                \t"./c d"
                \t../outside
                )
                user ./not-a-directive
                replace example.com/x => ./x
                """},
    )
    assert go_work.uses(work / "go.work") == (
        tmp_path / "a",
        tmp_path / "b",
        tmp_path / "c d",
        tmp_path.parent / "outside",
    )


def test_the_governing_go_work_is_the_nearest_at_or_above(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {"go.work": "use ./a\n", "a/go.mod": "", "b/go.mod": "", "b/c/go.work": ""},
    )
    assert go_work.governing(root / "a") == root / "go.work"
    assert go_work.governing(root / "b/c") == root / "b/c/go.work"
    assert go_work.governing(root / "b", stop=root / "b") is None
    assert not go_work.outside(root / "a") and go_work.outside(root / "b")


def test_requires_reads_single_and_block_requirements(tmp_path: Path) -> None:
    gomod = '\nrequire example.com/a v0.0.0\n\nrequire (\n\t"example.com/b" v1.0.0 // indirect\n)\n'
    root = write_tree(tmp_path, {"m/go.mod": go_module("m", gomod)})
    assert go_work.requires(root / "m") == {"example.com/a", "example.com/b"}
    assert go_work.module_path(root / "m") == "example.com/m"


@pytest.fixture
def no_gowork(monkeypatch):
    """The go command's own default: look for go.work above the module."""
    monkeypatch.delenv("GOWORK", raising=False)


@pytest.mark.tools
@pytest.mark.usefixtures("no_gowork")
def test_a_module_its_go_work_does_not_list_runs_with_gowork_off(
    tmp_path: Path, monkeypatch
) -> None:
    files = {"go.work": "go 1.22\n\nuse ./a\n", **module("a", LIB), **module("b", LIB)}
    root, ctx = write_tree(tmp_path / "repo", files), context(tmp_path)
    a, b = go_project(root / "a", "a"), go_project(root / "b", "b")
    for step in LANGUAGE_STEPS:
        (inside,) = go.commands(a, step, ctx)
        (outside,) = go.commands(b, step, ctx)
        assert "GOWORK" not in inside.env and outside.env["GOWORK"] == "off"
    monkeypatch.setenv("GOWORK", str(root / "go.work"))  # the user's choice wins
    assert "GOWORK" not in go.commands(b, Step.TEST, ctx)[0].env


def run_steps(root: Path) -> dict[str, tuple[Status, list[str]]]:
    """Build and test every project; task id -> (status, case names)."""
    result = run(root, Options(steps=(Step.BUILD, Step.TEST), jobs=2))
    return {o.task.id: (o.status, [c.name for c in o.cases]) for o in result.outcomes}


@pytest.mark.tools
@pytest.mark.usefixtures("no_gowork")
def test_modules_inside_and_outside_a_workspace_are_green(monorepo) -> None:
    root = monorepo(
        {"go.work": "go 1.22\n\nuse ./a\n", **module("a", LIB), **module("b", LIB)}
    )
    # The trap Tandem avoids: plain go refuses the module go.work does not list.
    plain = subprocess.run(
        ["go", "build", "./..."],
        cwd=root / "b",
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode != 0 and "go.work" in plain.stderr
    assert run_steps(root) == {
        "a:build": (Status.PASSED, ["[go build]"]),
        "a:test": (Status.PASSED, ["TestDouble"]),
        "b:build": (Status.PASSED, ["[go build]"]),
        "b:test": (Status.PASSED, ["TestDouble"]),
    }


APP = {
    "app/app.go": """
        package app

        import "example.com/a/lib"

        // Quadruple returns four times n.
        func Quadruple(n int) int { return lib.Double(lib.Double(n)) }
        """,
    "app/app_test.go": """
        package app

        import "testing"

        func TestQuadruple(t *testing.T) {
        \tif Quadruple(1) != 4 {
        \t\tt.Fatal("bad quadruple")
        \t}
        }
        """,
    "cmd/quad/main.go": """
        package main

        import (
        \t"fmt"

        \t"example.com/b/app"
        )

        func main() { fmt.Println(app.Quadruple(2)) }
        """,
}


@pytest.mark.tools
@pytest.mark.usefixtures("no_gowork")
def test_a_module_requiring_a_workspace_module_needs_it_and_builds_through_it(
    monorepo, capsys
) -> None:
    root = monorepo(
        {
            "go.work": "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n",
            **module("a", LIB),
            **module("b", APP, "\nrequire example.com/a v0.0.0\n"),
        }
    )
    assert main(["--root", str(root), "list", "--json"]) == 0
    needs = {row["name"]: row["needs"] for row in json.loads(capsys.readouterr().out)}
    assert needs == {"a": [], "b": ["a"]}
    ran = run_steps(root)
    assert ran["b:build"] == (Status.PASSED, ["[go build]"])
    assert ran["b:test"] == (Status.PASSED, ["TestQuadruple"])
    assert ran["a:test"] == (Status.PASSED, ["TestDouble"])
    assert (root / ".tandem/dist/b/quad").is_file()
