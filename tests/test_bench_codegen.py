"""The code-generation benchmark, run small: every contender green on the same monorepo."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import codegen


def test_the_benchmark_times_every_contender_on_up_to_date_generated_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--go", "1", "--python", "1", "--tests", "1", "--test-ms", "5"]
    assert codegen.main([*argv, "--runs", "1", "--workdir", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    for contender in (
        "`tandem generate --no-cache`",
        "`make -j2`",
        "`tandem generate`",
    ):
        assert contender in table
    assert "FAILED" not in table and "the generate tasks took" in table
    repo = tmp_path / "repo/projects"
    assert list(repo.glob("go-*/gen/*/v1/*.pb.go")) and list(
        repo.glob("py-*/gen/*/v1/*_pb2.pyi")
    )
