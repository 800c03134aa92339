"""The incremental benchmark's pure parts: Turborepo's files, the edit, the summaries, the table."""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

from benchmarks import contenders, incremental
from benchmarks.generate import Generated
from benchmarks.incremental import Row
from benchmarks.measure import Invocation

BASE = Generated("go-base001", "go", 1.0, 10)
MID = Generated("go-mid002", "go", 1.0, 10, ("go-base001",))
TOP = Generated("go-top003", "go", 1.0, 10, ("go-mid002",))
LONE = Generated("go-lone004", "go", 1.0, 10)
PY = Generated("py-shop005", "python", 1.0, 10)
PROJECTS = (BASE, MID, TOP, LONE, PY)


def tasks() -> dict[str, dict]:
    return json.loads(incremental.turbo_json(PROJECTS))["tasks"]


def test_turbo_json_waits_for_builds_as_tandem_does() -> None:
    found = tasks()
    assert {"build", "fmt", "vet", "test"} <= set(found)
    assert found["build"]["dependsOn"] == ["^build"]
    assert found["build"]["outputs"] == ["dist/**"]
    assert found["test"]["dependsOn"] == ["^build"]  # Go tests: needed builds only
    assert found["py-shop005#test"]["dependsOn"] == ["build", "^build"]
    assert "dependsOn" not in found["fmt"] and "dependsOn" not in found["vet"]


def test_go_vet_hashes_every_module_it_imports_even_indirectly() -> None:
    found = tasks()
    inputs = found["go-top003#vet"]["inputs"]
    assert inputs[0] == "$TURBO_DEFAULT$"
    assert "$TURBO_ROOT$/projects/go-base001/**/*.go" in inputs  # through go-mid002
    assert "$TURBO_ROOT$/projects/go-mid002/go.mod" in inputs
    assert not any("go-lone004" in i for i in inputs)
    assert "go-lone004#vet" not in found and "go-base001#vet" not in found


def test_package_json_runs_the_contenders_commands_and_declares_needs(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    go = json.loads(incremental.package_json(MID, tmp_path / MID.name, venv))
    assert go["name"] == MID.name and go["dependencies"] == {"go-base001": "*"}
    assert set(go["scripts"]) == set(contenders.STEPS)
    assert go["scripts"]["build"] == "env CGO_ENABLED=0 go build -o dist/ ./..."
    assert go["scripts"]["vet"] == "go vet ./..."
    py = json.loads(incremental.package_json(PY, tmp_path / PY.name, venv))
    assert "dependencies" not in py
    assert py["scripts"]["test"].startswith(f"{venv}/bin/python -m pytest")
    build = py["scripts"]["build"]
    assert build.index("uv venv") < build.index("uv pip install") < build.index("build")
    assert build.endswith("--out-dir dist .") and f"{venv}/.ready" in build


@pytest.mark.parametrize(
    ("argv", "code"),
    [(("true",), 0), (("printf", "main.go"), 1), (("false",), 1)],
)
def test_a_quiet_script_fails_on_output_and_on_its_exit_status(
    argv: tuple[str, ...], code: int, tmp_path: Path
) -> None:
    line = incremental.shell_line(Invocation(argv, tmp_path, quiet=True))
    done = subprocess.run(("sh", "-c", line), check=False, capture_output=True)
    assert done.returncode == code


def test_root_package_json_names_npm_and_the_workspaces() -> None:
    doc = json.loads(incremental.root_package_json("11.19.1"))
    assert doc["packageManager"] == "npm@11.19.1"
    assert doc["workspaces"] == ["projects/*"] and doc["private"] is True


def test_the_change_goes_to_the_module_most_others_need(tmp_path: Path) -> None:
    change = incremental.change_target(tmp_path, PROJECTS)
    assert change is not None and change.project == "go-base001"
    assert change.dependents == ("go-mid002", "go-top003")
    assert change.path == tmp_path / "projects/go-base001/api/api.go"
    assert incremental.change_target(tmp_path, (PY,)) is None
    alone = incremental.change_target(tmp_path, (LONE, PY))
    assert alone is not None and alone.dependents == ()


def test_an_edit_adds_a_constant_and_is_undone_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "api.go"
    original = 'package api\n\nconst Name = "base"\n'
    path.write_text(original)
    os.utime(path, ns=(1_000_000_000, 2_000_000_000))
    with incremental.edited(path, "turbo"):
        text = path.read_text()
        assert text.startswith(original) and text.endswith('benchEdit = "turbo"\n')
        assert "\n\n// benchEdit" in text  # a blank line before it: gofmt leaves it be
    assert path.read_text() == original
    assert path.stat().st_mtime_ns == 2_000_000_000


def test_counts_from_the_summaries() -> None:
    now = "report: r.xml\n15 tests in 12 tasks, 4.22s: passed 15\ntandem: 15 passed\n"
    assert incremental.tandem_counts(now) == "ran 12, replayed 0"
    later = "replayed 9 of 12 tasks from the cache\n\n15 tests in 12 tasks, 0.05s\n"
    assert incremental.tandem_counts(later) == "ran 3, replayed 9"
    assert incremental.tandem_counts("") == ""
    turbo = " Tasks:    12 successful, 12 total\nCached:    5 cached, 12 total\n"
    assert incremental.turbo_counts(turbo) == "ran 7, replayed 5"
    assert incremental.turbo_counts("no summary") == ""


def rows() -> list[Row]:
    return [
        Row("tandem check", (0.2, 0.1, 0.3), 4.0, "ran 0", 16, target=True),
        Row("turbo run", (0.05, 0.07), 2.0),
        Row("turbo broken", note="warm-up failed: turbo exited 1"),
        Row("tandem list", (0.4,), best_known=False),
        Row("tandem check, 200", (0.1, 0.2), projects=200, target=True),
    ]


def cells(lines: list[str], name: str) -> list[str]:
    line = next(line for line in lines if line.startswith(f"| {name} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_the_table_gives_ratios_to_tandem_and_dashes_when_missing() -> None:
    lines = incremental.table(rows())
    assert lines[0].startswith("| contender | no-op median s | no-op best s |")
    assert cells(lines, "tandem check") == [
        "tandem check", "0.200", "0.100", "4.00", "1.00", "1.00", "ran 0",
    ]  # fmt: skip
    assert cells(lines, "turbo run")[1:6] == ["0.060", "0.050", "2.00", "0.30", "0.50"]
    assert cells(lines, "turbo broken")[1:6] == ["—"] * 5
    assert cells(lines, "tandem list")[1:3] == ["0.400", "—"]
    assert cells(lines, "tandem check, 200")[4:6] == ["—", "—"]  # another size


def test_targets_are_judged_at_their_own_size() -> None:
    found = incremental.target_lines(rows())
    assert (
        found[0].endswith("0.200 s median, **not met**") and "16 projects" in found[0]
    )
    assert found[1].endswith("0.150 s median, met") and "200 projects" in found[1]
    assert "not measured here (`--scale 1000`)" in found[2] and "4000 tasks" in found[2]
    assert math.isnan(Row("x").median) and math.isnan(
        Row("x", (1.0,), best_known=False).best
    )


def test_the_document_holds_header_table_and_targets() -> None:
    text = incremental.document(["- date: today"], rows())
    assert text.startswith("# Incremental re-runs")
    assert "- date: today" in text and "| turbo run |" in text
    assert text.index("| contender |") < text.index("- target:")
