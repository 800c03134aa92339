"""The remote benchmark's judgement: its table, the target, and what counts as a replay."""

from __future__ import annotations

from pathlib import Path

from benchmarks import remote
from benchmarks.measure import Sample


def test_the_table_gives_medians_the_transfer_and_the_verdict(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "a").write_bytes(b"x" * 2_000_000)
    pairs = [
        (Sample(w, 0, 0, note="ran 0, replayed 64"), Sample(l, 0, 0))
        for w, l in [(1.0, 0.2), (1.4, 0.3), (1.2, 0.25)]
    ]
    text = remote._table(pairs, tmp_path / "storage")
    assert (
        "| fresh clone, remote cache | 1.20 | 1.00, 1.40, 1.20 | ran 0, replayed 64 |"
        in text
    )
    assert "transfer (remote - local): 0.95 s" in text
    assert "local 0.25 s, met" in text and "2.0 MB" in text
    slow = [(Sample(1.0, 0, 0), Sample(0.7, 0, 0))]
    assert "**not met**" in remote._table(slow, tmp_path / "storage")


def test_a_run_that_ran_a_task_is_no_replay(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("replayed 63 of 64 tasks from the cache\n")
    assert not remote._replayed(Sample(0.5, 0, 0), log).ok
    log.write_text("replayed 64 of 64 tasks from the cache\n")
    assert remote._replayed(Sample(0.5, 0, 0), log).ok
