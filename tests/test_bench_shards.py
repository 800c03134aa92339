"""The shard benchmark's verdict: the slowest shard against the unsharded run over N."""

from __future__ import annotations

from benchmarks import shards
from benchmarks.measure import Sample


def test_the_slowest_shard_is_judged_against_a_quarter_of_the_whole(tmp_path):
    whole = Sample(wall=40.0, cpu=0.0, rss_kib=0)
    quarters = [Sample(wall, 0.0, 0) for wall in (10.0, 11.0, 11.4, 9.0)]
    table = shards._table(whole, quarters, 4, tmp_path / "a.xml", tmp_path / "b.xml")
    assert "| shard 3/4 | 11.40 | 1.14 |" in table
    assert (
        "slowest shard 11.40s = 1.14 x unsharded/4 (10.00s); target 1.15x: met" in table
    )
    slow = [*quarters[:3], Sample(12.0, 0.0, 0)]
    assert "target 1.15x: missed" in shards._table(
        whole, slow, 4, tmp_path / "a.xml", tmp_path / "b.xml"
    )
