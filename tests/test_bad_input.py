"""Bad input is one line and exit 2, never a traceback; a broken project spoils only itself."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import go_module, write_tree
from tests.test_cli import suites, tandem

GO = {
    "go.mod": go_module("good"),
    "good.go": "package good\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n",
    "good_test.go": 'package good\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n'
    '\tif Add(1, 2) != 3 {\n\t\tt.Fatal("add")\n\t}\n}\n',
}


def one_line_exit_2(run) -> str:
    """The single stderr line of a run that must have refused its input."""
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("tandem: ")
    return run.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timeout", "nan"], "--timeout: must be a positive number of seconds"),
        (["--timeout", "inf"], "not 'inf'"),
        (["--timeout", "0"], "not '0'"),
        (["--timeout", "-5"], "not '-5'"),
        (["--timeout", "soon"], "not 'soon'"),
        (["-j", "0"], "-j/--jobs: must be a whole number of at least 1"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_numbers_and_options_on_the_command_line(monorepo, argv, message):
    root = monorepo({"a/go.mod": go_module("a")})
    assert message in one_line_exit_2(tandem(root, "check", *argv))
    assert not (root / "reports").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'[tool.tandem]\ninclude = ["caf\xe9"]\n', "is not valid UTF-8"),
        (b"tool = 3\n", "tool must be a table, not 3"),
        (b"[tool]\ntandem = [1]\n", "[tool.tandem] must be a table, not [1]"),
        (b"[tool.tandem]\ntimeout = nan\n", "timeout must be a positive number"),
        (b"[tool.tandem]\ntimeout = inf\n", "not inf"),
        (b'[tool.tandem]\njobs = "2"\n', "jobs must be a whole number"),
        (b'[tool.tandem]\noutput = ["out"]\n', "output must be a root-relative path"),
        (b'[tool.tandem]\nstate = "/var/tandem"\n', "state: '/var/tandem' is absolute"),
        (b'[tool.tandem]\nexclude = "build"\n', "exclude must be a list of strings"),
        (b'[tool.tandem]\ninclude = [""]\n', "include: an empty string names nothing"),
        (b'[tool.tandem]\ninclude = ["/srv/*"]\n', "'/srv/*' is absolute"),
        (b"[tool.tandem]\nprojects = 3\n", "projects must be a list of strings"),
        (b'[tool.tandem]\nsecrets = "TOKEN"\n', "secrets must be a list of strings"),
        (b"[tool.tandem.projects]\na = 3\n", "projects.a must be a table of settings"),
        (b'[tool.tandem.projects.a]\nneeds = "b"\n', "needs must be a list of strings"),
        (b"[tool.tandem.projects.a]\ntimeout = -inf\n", "timeout must be a positive"),
        (b"[tool.tandem.projects.a]\nargs = 3\n", "args must be a table"),
        (b'[tool.tandem.projects.a]\nskip = "fmt"\n', "skip must be a list of strings"),
        (b"[tool.tandem.projects.a]\nxdist = 1\n", "xdist must be true or false"),
        (b"[tool.tandem.projects.a]\nformatter = 3\n", "must be 'black' or 'ruff'"),
    ],
)
def test_every_key_of_the_root_config_is_checked(monorepo, text, message):
    root = monorepo({"a/go.mod": go_module("a")})
    (root / "pyproject.toml").write_bytes(text)
    assert message in one_line_exit_2(tandem(root, "list"))


BROKEN = {
    **{f"good/{path}": text for path, text in GO.items()},
    "typo/pyproject.toml": 'project = "typo"\n\n[build-system]\nrequires = []\n',
    "groups/pyproject.toml": 'dependency-groups = 3\n\n[project]\nname = "groups"\n',
    "nottoml/pyproject.toml": "[project\nname = \n",
}


def test_a_project_with_a_broken_pyproject_is_an_error_case_and_the_rest_runs(
    monorepo,
):
    root = monorepo(BROKEN)
    (root / "latin1").mkdir()
    (root / "latin1/pyproject.toml").write_bytes(b'[project]\nname = "caf\xe9"\n')
    listed = tandem(root, "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert listed.stdout.split()[::3] == ["good", "groups", "latin1", "nottoml", "typo"]
    assert "typo: pyproject.toml: project must be a table" in listed.stderr
    run = tandem(root, "check")
    assert run.returncode == 1, run.stdout + run.stderr
    found = suites(root / "reports" / "junit.xml")
    green = {name for name, suite in found.items() if suite.find(".//error") is None}
    assert green == {"good:build", "good:fmt", "good:vet", "good:test"}
    problems = {
        "typo": "project must be a table, not 'typo'",
        "groups": "dependency-groups must be a table of lists",
        "nottoml": "is not valid TOML",
        "latin1": "is not valid UTF-8",
    }
    for project, problem in problems.items():
        error = found[f"{project}:build"].find("testcase/error")
        assert error.get("type") == "tandem.project"
        assert problem in error.get("message"), error.get("message")
    assert "tandem.crash" not in ET.tostring(
        ET.parse(root / "reports/junit.xml").getroot(), encoding="unicode"
    )


def test_list_survives_links_that_lead_outside_the_root_or_round_in_a_loop(tmp_path):
    outside = write_tree(tmp_path / "outside", {"b/go.mod": go_module("b")})
    root = write_tree(
        tmp_path / "repo",
        {
            "pyproject.toml": '[tool.tandem]\ninclude = ["projects/*"]\n',
            "projects/a/go.mod": go_module("a", "replace example.com/b => ../b\n"),
            "projects/p/pyproject.toml": '[project]\nname = "p"\nversion = "0"\n'
            'dependencies = ["x"]\n\n[tool.uv.sources]\nx = { path = "loop" }\n',
        },
    )
    (root / "projects/b").symlink_to(outside / "b")
    (root / "projects/p/loop").symlink_to("loop")
    run = tandem(root, "list")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    names = [line.split()[0] for line in run.stdout.splitlines()]
    assert names[:1] == ["a"] and "p" in names
    assert "p: cannot read what it builds against" in run.stderr


def test_a_read_only_source_tree_still_runs(monorepo):
    root = monorepo({"svc/" + k: v for k, v in GO.items()})
    before = snapshot(root / "svc")
    for path in (root / "svc").rglob("*"):
        path.chmod(path.stat().st_mode & ~0o222)
    (root / "svc").chmod(0o555)
    try:
        run = tandem(root, "check")
    finally:
        (root / "svc").chmod(0o755)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (root / "reports/junit.xml").is_file()
    assert snapshot(root / "svc") == before


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file under `folder` with its size and modification time."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }


def test_a_bad_remote_cache_setting_is_told_before_the_last_report_moves(monorepo):
    root = monorepo({"a/go.mod": go_module("a")})
    (root / "reports").mkdir()
    (root / "reports" / "junit.xml").write_text("<testsuites/>")
    bad = {"TANDEM_REMOTE_CACHE_URL": "ftp://cache.example"}
    assert "TANDEM_REMOTE_CACHE_URL" in one_line_exit_2(tandem(root, "check", env=bad))
    assert (root / "reports" / "junit.xml").read_text() == "<testsuites/>"
