"""The whole pipeline through the command line, with the real go, gofmt, pytest, black and ruff."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from tandem.cli import main
from tests.conftest import go_module, write_tree

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "schemas" / "junit-10.xsd")

GO_GREEN = {
    "go.mod": go_module("gogreen"),
    "calc/calc.go": "package calc\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n",
    "calc/calc_test.go": """
        package calc

        import "testing"

        func TestAdd(t *testing.T) {
        \tfor _, name := range []string{"one", "two words"} {
        \t\tt.Run(name, func(t *testing.T) {
        \t\t\tif Add(1, 2) != 3 {
        \t\t\t\tt.Fatal("bad sum")
        \t\t\t}
        \t\t})
        \t}
        }

        func TestLater(t *testing.T) { t.Skip("not yet") }
        """,
}
PY_GREEN = {
    "pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "pygreen"
        version = "0.1.0"

        [project.optional-dependencies]
        test = ["pytest==9.2.0", "pytest-xdist==3.8.0"]
        """,
    "src/pygreen/__init__.py": '"""Greetings."""\n\n\ndef greet(name):\n    return f"hi {name}"\n',
    "tests/test_greet.py": """
        import pytest

        from pygreen import greet


        @pytest.mark.parametrize("name", ["ann", "bob"])
        def test_greet(name):
            assert greet(name) == f"hi {name}"


        @pytest.mark.skip(reason="later")
        def test_later():
            pass
        """,
}


def project_files(name: str, files: dict[str, str]) -> dict[str, str]:
    return {f"projects/{name}/{path}": text for path, text in files.items()}


def tandem(root: Path, *argv: str, env: dict[str, str] | None = None, **kwargs):
    """Run `python -m tandem` as a user would; returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "tandem", "--root", str(root), *argv],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=300,
        **kwargs,
    )


def suites(report: Path) -> dict[str, ET.Element]:
    SCHEMA.validate(str(report))
    return {s.get("name"): s for s in ET.parse(report).getroot()}


def cases(suite: ET.Element) -> dict[str, str]:
    """name -> verdict for each test case of a suite."""
    verdicts = {}
    for case in suite.iter("testcase"):
        result = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        verdicts[case.get("name")] = result[0] if result else "passed"
    return verdicts


@pytest.fixture(scope="module")
def green(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    root = write_tree(
        tmp_path_factory.mktemp("green"),
        {**project_files("gogreen", GO_GREEN), **project_files("pygreen", PY_GREEN)},
    )
    return root, tandem(root, "check")


def test_all_green_exits_0_with_every_step_of_every_project_in_the_report(green):
    root, run = green
    assert run.returncode == 0, run.stdout + run.stderr
    found = suites(root / "reports" / "junit.xml")
    assert set(found) == {
        f"{p}:{s}"
        for p in ("gogreen", "pygreen")
        for s in ("build", "fmt", "vet", "test")
    }
    for name, suite in found.items():
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert (props["project"], props["step"]) == tuple(name.split(":"))
        assert props["language"] in ("go", "python")
    assert (root / "reports" / "summary.md").is_file()
    assert (
        run.stdout.strip().splitlines()[-1] == "tandem: 11 passed, 0 failed, 2 skipped"
    )


def test_report_counts_equal_the_tools_own_counts(green):
    root, _ = green
    found = suites(root / "reports" / "junit.xml")
    go_events = subprocess.run(
        ["go", "test", "-json", "./..."],
        check=False,
        cwd=root / "projects/gogreen",
        capture_output=True,
        text=True,
    ).stdout
    actions = [json.loads(line) for line in go_events.splitlines()]
    go_counts = {
        a: sum(1 for e in actions if e.get("Test") and e["Action"] == a)
        for a in ("pass", "skip")
    }
    go_report = cases(found["gogreen:test"])
    assert list(go_report.values()).count("passed") == go_counts["pass"] == 3
    assert list(go_report.values()).count("skipped") == go_counts["skip"] == 1
    venv_python = root / ".tandem/venvs/pygreen/bin/python"
    pytest_run = subprocess.run(
        [str(venv_python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        check=False,
        cwd=root / "projects/pygreen",
        capture_output=True,
        text=True,
    )
    assert "2 passed, 1 skipped" in pytest_run.stdout
    py_report = cases(found["pygreen:test"])
    assert sorted(py_report.values()) == ["passed", "passed", "skipped"]


def test_the_durations_are_kept_for_the_next_run(green):
    root, _ = green
    durations = json.loads((root / ".tandem" / "durations.json").read_text())
    assert set(durations) >= {"gogreen:test", "pygreen:build", "pygreen:test"}


def test_list_json_gives_name_language_path_and_needs(green, capsys):
    root, _ = green
    assert main(["--root", str(root), "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {"name": "gogreen", "language": "go", "path": "projects/gogreen", "needs": []},
        {
            "name": "pygreen",
            "language": "python",
            "path": "projects/pygreen",
            "needs": [],
        },
    ]


def test_list_from_a_subdirectory_finds_the_root_itself():
    repo = Path(__file__).resolve().parent.parent
    run = subprocess.run(
        [sys.executable, "-m", "tandem", "list", "--json"],
        cwd=repo / "projects" / "catalog",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    names = [row["name"] for row in json.loads(run.stdout)]
    assert names == sorted(p.name for p in (repo / "projects").iterdir() if p.is_dir())
    assert "catalog" in names and len(names) >= 5


PROBE = {
    "go.mod": go_module("probe"),
    "cmd/probe/main.go": "package main\n\nfunc main() {}\n",
    "probe_test.go": """
        package probe

        import (
        \t"os"
        \t"path/filepath"
        \t"testing"
        )

        func TestSeesTheOutputRoot(t *testing.T) {
        \tseen := filepath.Join(os.Getenv("TANDEM_ROOT"), "seen-dist")
        \tif err := os.WriteFile(seen, []byte(os.Getenv("TANDEM_DIST")), 0o644); err != nil {
        \t\tt.Fatal(err)
        \t}
        }
        """,
}


def test_output_and_state_directories_come_from_the_config(monorepo):
    root = monorepo(
        {
            "pyproject.toml": '[tool.tandem]\noutput = "out/bin"\nstate = "var/tandem"\n',
            **{f"services/probe/{path}": text for path, text in PROBE.items()},
        }
    )
    run = subprocess.run(
        [sys.executable, "-m", "tandem", "check", "-j", "2"],
        cwd=root / "services" / "probe" / "cmd",
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        # The test writes a file: go test's own cache must not stand in for running it (a
        # path from an earlier session of pytest can come round again).
        env={**os.environ, "GOFLAGS": "-count=1"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (root / "out/bin/probe/probe").is_file()
    assert (root / "seen-dist").read_text() == str(root.resolve() / "out/bin")
    assert (root / "var/tandem/durations.json").is_file()
    assert not (root / "dist").exists() and not (root / ".tandem").exists()


def test_red_findings_exit_1_and_each_is_its_own_case(monorepo):
    broken = {
        **GO_GREEN,
        "calc/calc.go": 'package calc\n\nfunc Add(a, b int) int {\n  return a - b\n  panic("unreachable")\n}\n',
    }
    py = {**PY_GREEN, "src/pygreen/extra.py": "import os\nx=1\n"}
    root = monorepo({**project_files("gored", broken), **project_files("pyred", py)})
    run = tandem(root, "check")
    assert run.returncode == 1, run.stdout + run.stderr
    found = suites(root / "reports" / "junit.xml")
    assert cases(found["gored:fmt"]) == {"gofmt: calc/calc.go": "failure"}
    assert any(n.startswith("vet: calc/calc.go:5") for n in cases(found["gored:vet"]))
    assert "failure" in cases(found["gored:test"]).values()
    assert cases(found["pyred:fmt"]) == {"black: src/pygreen/extra.py": "failure"}
    assert any(
        n.startswith("ruff: src/pygreen/extra.py:1:8 F401")
        for n in cases(found["pyred:vet"])
    )
    assert set(cases(found["pyred:test"]).values()) == {
        "passed",
        "skipped",
    }  # fmt and vet stop nothing
    closing = run.stdout.strip().splitlines()[-1]
    assert (
        closing.startswith("tandem: ")
        and "failed" in closing
        and "gored:fmt" in run.stdout
    )


@pytest.mark.parametrize(
    ("files", "argv", "message"),
    [
        (
            {"projects/a/go.mod": go_module("a")},
            ["test", "-p", "nosuch"],
            "tandem: no project named 'nosuch' (known: a)",
        ),
        ({"README.md": "empty\n"}, ["check"], "tandem: no projects found under"),
        (
            {"pyproject.toml": "[tool.tandem]\njbos = 2\n"},
            ["list"],
            "unknown key 'jbos'",
        ),
    ],
)
def test_usage_and_config_mistakes_exit_2_with_one_line(monorepo, files, argv, message):
    run = tandem(monorepo(files), *argv)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and message in run.stderr


def test_a_missing_toolchain_is_an_error_case_and_the_other_language_still_runs(
    monorepo,
):
    root = monorepo(
        {**project_files("gogreen", GO_GREEN), **project_files("pygreen", PY_GREEN)}
    )
    path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    run = tandem(root, "check", env={"PATH": path})
    assert run.returncode == 1
    found = suites(root / "reports" / "junit.xml")
    go_build = found["gogreen:build"].find("testcase/error")
    assert go_build.get(
        "type"
    ) == "tandem.missing-tool" and "go.dev/dl" in go_build.get("message")
    assert "error" not in cases(found["pygreen:test"]).values()
    assert "passed" in cases(found["pygreen:test"]).values()


HANG = {
    "go.mod": go_module("gohang"),
    "hang/hang.go": "package hang\n",
    "hang/hang_test.go": """
        package hang

        import (
        \t"os"
        \t"testing"
        \t"time"
        )

        func TestHang(t *testing.T) {
        \tif path := os.Getenv("HANG_PIDFILE"); path != "" {
        \t\t_ = os.WriteFile(path, []byte(os.Getenv("HANG_MARK")), 0o644)
        \t}
        \ttime.Sleep(time.Minute)
        }

        func TestQuick(t *testing.T) {}
        """,
}


def test_a_test_that_hangs_past_the_timeout_is_an_error_blamed_on_it(monorepo):
    root = monorepo(project_files("gohang", HANG))
    # Compile first, so that on a cold Go cache the timeout still measures the test, not the build.
    subprocess.run(
        ["go", "test", "-run", "^$", "./..."], cwd=root / "projects/gohang", check=True
    )
    start = time.monotonic()
    run = tandem(root, "test", "--timeout", "6")
    assert run.returncode == 1 and time.monotonic() - start < 45
    found = suites(root / "reports" / "junit.xml")
    assert cases(found["gohang:test"])["TestHang"] == "error"
    assert "timed out" in ET.tostring(found["gohang:test"], encoding="unicode")


def test_an_interrupt_exits_130_reports_what_ran_and_leaves_no_process(
    monorepo, tmp_path
):
    root = monorepo(project_files("gohang", HANG))
    pidfile = tmp_path / "started"
    mark = f"tandem-interrupt-{os.getpid()}-{time.time_ns()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tandem", "--root", str(root), "test"],
        env={**os.environ, "HANG_PIDFILE": str(pidfile), "HANG_MARK": mark},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pidfile.exists(), "the test never started"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    found = suites(root / "reports" / "junit.xml")
    error = found["gohang:test"].find("testcase/error")
    assert error.get("type") == "tandem.interrupted"
    assert not processes_marked(mark)


def processes_marked(mark: str) -> list[int]:
    """Live processes whose environment carries `mark`."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            pass  # gone already, or not ours to read
    return found


def test_fmt_fix_rewrites_files_and_the_next_check_is_clean(monorepo):
    messy = {
        **GO_GREEN,
        "calc/calc.go": "package calc\n\nfunc Add(a, b int) int {\n  return a + b\n}\n",
    }
    root = monorepo(project_files("gomessy", messy))
    assert tandem(root, "fmt").returncode == 1
    assert tandem(root, "fmt", "--fix").returncode == 0
    assert "\treturn a + b" in (root / "projects/gomessy/calc/calc.go").read_text()
    assert tandem(root, "fmt").returncode == 0


def test_merge_joins_reports_and_refuses_what_is_not_junit(green, tmp_path, capsys):
    root, _ = green
    report = root / "reports" / "junit.xml"
    merged = tmp_path / "merged.xml"
    assert main(["merge", "-o", str(merged), str(report), str(report)]) == 0
    assert len(suites(merged)) == len(suites(report))
    (tmp_path / "page.html").write_text("<html></html>")
    assert main(["merge", "-o", str(merged), str(tmp_path / "page.html")]) == 2
    assert "not JUnit XML" in capsys.readouterr().err


def test_version_and_help_say_what_tandem_is_and_how_it_exits(capsys):
    with pytest.raises(SystemExit) as shown:
        main(["--version"])
    assert shown.value.code == 0
    assert re.fullmatch(r"tandem \d+\.\d+\.\d+\n", capsys.readouterr().out)
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "130  interrupted" in text and "3    Tandem itself failed" in text
    with pytest.raises(SystemExit):
        main(["vet", "--help"])
    assert "go vet; ruff check" in capsys.readouterr().out


def test_arguments_after_the_separator_reach_the_test_tool(monorepo, tmp_path):
    root = monorepo(
        {**project_files("gogreen", GO_GREEN), **project_files("pygreen", PY_GREEN)}
    )
    junit = tmp_path / "go.xml"
    argv = ["--root", str(root), "test", "-p", "go*", "--junit", str(junit)]
    assert main([*argv, "--", "-run", "TestLater"]) == 0
    names = {c.get("name") for c in ET.parse(junit).getroot().iter("testcase")}
    assert names == {"TestLater"}
    junit = tmp_path / "py.xml"
    argv = ["--root", str(root), "test", "-p", "py*", "--junit", str(junit)]
    assert main([*argv, "--", "-k", "bob"]) == 0
    tests = [c.get("name") for c in ET.parse(junit).getroot().iter("testcase")]
    assert [name for name in tests if name.startswith("test")] == ["test_greet[bob]"]


def test_one_name_selects_tests_in_every_language(monorepo, tmp_path):
    root = monorepo(
        {**project_files("gogreen", GO_GREEN), **project_files("pygreen", PY_GREEN)}
    )
    junit = tmp_path / "both.xml"
    argv = ["--root", str(root), "test", "-k", "LATER", "--junit", str(junit)]
    assert main(argv) == 0
    cases = ET.parse(junit).getroot().iter("testcase")
    tests = {c.get("name") for c in cases if not c.get("name").startswith("[")}
    # Go's TestLater and pytest's test_later, whatever the case; not TestAdd, not test_greet.
    assert tests == {"TestLater", "test_later"}


def test_on_gitlab_the_task_lines_fold_and_the_summary_stays_in_sight(
    monorepo, monkeypatch, capsys
):
    root = monorepo(project_files("gogreen", GO_GREEN))
    monkeypatch.setenv("GITLAB_CI", "true")
    assert main(["--root", str(root), "fmt"]) == 0
    out = capsys.readouterr().out
    start, task = out.index("section_start:"), out.index("PASS  gogreen:fmt")
    end, report = out.index("section_end:"), out.index("report: ")
    assert start < task < end < report


def test_each_red_test_says_the_commands_that_rerun_it_alone(monorepo, capsys):
    go_red = {
        **GO_GREEN,
        "calc/calc_test.go": GO_GREEN["calc/calc_test.go"].replace(
            "Add(1, 2) != 3", "Add(1, 2) != 4"
        ),
    }
    py_red = {
        **PY_GREEN,
        "tests/test_greet.py": PY_GREEN["tests/test_greet.py"].replace(
            'f"hi {name}"', '"nope"'
        ),
    }
    root = monorepo(
        {**project_files("gored", go_red), **project_files("pyred", py_red)}
    )
    assert main(["--root", str(root), "test"]) == 1
    out = capsys.readouterr().out
    go = "rerun: go -C projects/gored test ./calc -run '^TestAdd$/^two_words$'"
    py = "rerun: .tandem/venvs/pyred/bin/pytest 'projects/pyred/tests/test_greet.py::test_greet[bob]'"
    assert go in out and py in out
    assert "or: tandem test -p gored -- -run '^TestAdd$/^two_words$'" in out
    # The commands work as printed, from the root, and run just that test.
    ran = [
        subprocess.run(
            shlex.split(line.removeprefix("rerun: ")),
            check=False,
            cwd=root,
            capture_output=True,
            text=True,
        )
        for line in (go, py)
    ]
    assert [run.returncode for run in ran] == [1, 1]
    assert "--- FAIL: TestAdd/two_words" in ran[0].stdout
    assert "TestAdd/one" not in ran[0].stdout
    assert "1 failed in" in ran[1].stdout and "passed" not in ran[1].stdout


def test_on_github_actions_failures_are_annotations_and_the_summary_lands(
    monorepo, tmp_path, monkeypatch, capsys
):
    go_red = {
        **GO_GREEN,
        "calc/calc.go": "package calc\n\n// Add adds.\nfunc Add(a, b int) int { return a - b }\n",
    }
    root = monorepo(project_files("gored", go_red))
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    assert main(["--root", str(root), "test"]) == 1
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("::")]
    # TestAdd and its two subtests; a subtest's annotation points at its failing line.
    assert lines[0] == "::error title=gored%3Atest gored/calc/TestAdd::Failed"
    assert lines[1] == (
        "::error title=gored%3Atest gored/calc/TestAdd/one,"
        "file=projects/gored/calc/calc_test.go,line=9::calc_test.go:9: bad sum"
    )
    assert len(lines) == 3 and "TestAdd/two_words" in lines[2]
    summary = step_summary.read_text()
    assert summary.startswith("earlier step\n## ❌") and "gored:test" in summary
