"""The cache store: entries checked on every read, blobs, build marks, eviction, and writers
in several processes at once."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest

from tandem.cache.store import KEEP, Store

ENTRY = {"outcome": {"cases": [{"classname": "p", "name": "t"}]}, "n": 1.5, "ü": "✓"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cache")


def set_mtime(path: Path, seconds_ago: float) -> None:
    then = time.time() - seconds_ago
    os.utime(path, (then, then))


# Entries.


def test_an_entry_put_is_got_back_equal(store):
    store.put("k1", ENTRY)
    assert store.get("k1") == ENTRY
    store.put("k1", {"replaced": True})
    assert store.get("k1") == {"replaced": True}


def test_a_missing_key_has_no_entry(store):
    assert store.get("nothing") is None
    store.put("k1", ENTRY)
    assert store.get("k2") is None


def test_a_truncated_entry_is_never_trusted(store):
    store.put("k1", ENTRY)
    path = store.entries / "k1"
    whole = path.read_bytes()
    for size in (len(whole) - 1, len(whole) // 2, 10, 0):
        path.write_bytes(whole[:size])
        assert store.get("k1") is None


def test_an_entry_with_one_byte_flipped_is_never_trusted(store):
    store.put("k1", {"verdict": "passed"})
    path = store.entries / "k1"
    whole = path.read_bytes()
    at = whole.index(b"passed")
    path.write_bytes(whole[:at] + b"f" + whole[at + 1 :])  # still valid JSON
    assert store.get("k1") is None
    path.write_bytes(whole)
    assert store.get("k1") == {"verdict": "passed"}


def test_an_entry_from_another_format_is_never_trusted(store):
    body = b'{"a":1}'
    digest = hashlib.sha256(body).hexdigest().encode()
    store.entries.mkdir(parents=True)
    (store.entries / "k1").write_bytes(b"tandem-cache 2 " + digest + b"\n" + body)
    assert store.get("k1") is None
    (store.entries / "k1").write_bytes(b"tandem-cache 1 " + digest + b"\n" + body)
    assert store.get("k1") == {"a": 1}


def test_a_hit_touches_its_entry(store):
    store.put("k1", ENTRY)
    path = store.entries / "k1"
    set_mtime(path, 3600)
    old = path.stat().st_mtime
    assert store.get("k1") == ENTRY
    assert path.stat().st_mtime > old + 3000


def test_a_miss_touches_nothing(store):
    store.put("k1", {"a": 1})
    path = store.entries / "k1"
    path.write_bytes(path.read_bytes()[:-1])
    set_mtime(path, 3600)
    old = path.stat().st_mtime
    assert store.get("k1") is None
    assert path.stat().st_mtime == old


# Eviction.


def filled(store: Store, names: list[str]) -> dict[str, Path]:
    """An entry or a blob per name, each 1000-odd bytes, the first used longest ago."""
    paths = {}
    for i, name in enumerate(names):
        if name.startswith("blob"):
            source = store.directory.parent / name
            source.write_bytes(name.encode() * 200)
            paths[name] = store.blobs / store.put_blob(source)
        else:
            store.put(name, {"pad": name * 200})
            paths[name] = store.entries / name
        set_mtime(paths[name], 1000 - i)
    return paths


def test_eviction_removes_output_copies_first_then_the_least_recently_used_entries(
    store,
):
    names = ["e1", "blob1", "e2", "e3", "blob2", "e4"]
    paths = filled(store, names)
    size = {name: path.stat().st_size for name, path in paths.items()}
    entries = sum(size[name] for name in ("e1", "e2", "e3", "e4"))
    store.limit = int(entries / KEEP) + 1  # every entry fits once the copies are gone
    store.evict()
    assert {name for name, path in paths.items() if path.exists()} == {
        "e1",
        "e2",
        "e3",
        "e4",
    }
    # Past that, the entries used longest ago go.
    store.limit = int((size["e3"] + size["e4"]) / KEEP) + 1
    store.evict()
    assert {name for name, path in paths.items() if path.exists()} == {"e3", "e4"}
    assert store.get("e4") == {"pad": "e4" * 200}


def test_a_recent_hit_saves_an_old_entry_from_eviction(store):
    paths = filled(store, ["e1", "e2", "e3", "e4"])
    assert store.get("e1") is not None  # used now: the most recent
    store.limit = int((paths["e1"].stat().st_size * 2 + 10) / KEEP)
    store.evict()
    assert {name for name, path in paths.items() if path.exists()} == {"e1", "e4"}


def test_a_cache_within_its_limit_loses_nothing_and_one_past_it_is_trimmed(store):
    paths = filled(store, ["e1", "blob1", "e2"])
    total = sum(path.stat().st_size for path in paths.values())
    store.limit = total  # full, not past: nothing goes, though above its 90% share
    store.evict()
    assert all(path.exists() for path in paths.values())
    store.limit = total - 1  # one byte over: trimmed to 90%, the copy first
    store.evict()
    left = sum(path.stat().st_size for path in paths.values() if path.exists())
    assert paths["e1"].exists() and paths["e2"].exists()
    assert not paths["blob1"].exists()
    assert left <= store.limit * KEEP


def test_eviction_of_an_empty_cache_is_harmless(store):
    store.limit = 0
    store.evict()
    assert not store.directory.exists()


# Blobs.


def test_a_blob_restores_its_bytes_and_mode(store, tmp_path):
    source = tmp_path / "bin" / "svc"
    source.parent.mkdir()
    source.write_bytes(b"\x7fELF\x00binary\xff" * 100)
    digest = store.put_blob(source)
    assert digest == hashlib.sha256(source.read_bytes()).hexdigest()
    target = tmp_path / "out" / "deep" / "svc"
    assert store.restore_blob(digest, target, 0o755)
    assert target.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert store.restore_blob(digest, target, 0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_the_same_bytes_are_kept_once(store, tmp_path):
    (tmp_path / "a").write_bytes(b"same")
    (tmp_path / "b").write_bytes(b"same")
    assert store.put_blob(tmp_path / "a") == store.put_blob(tmp_path / "b")
    assert len(list(store.blobs.iterdir())) == 1


def test_a_damaged_blob_is_refused_and_its_target_left_alone(store, tmp_path):
    source = tmp_path / "wheel.whl"
    source.write_bytes(b"PK" + bytes(range(256)))
    digest = store.put_blob(source)
    blob = store.blobs / digest
    blob.write_bytes(b"PK" + bytes(range(255)) + b"\x00")  # same size, one byte off
    fresh = tmp_path / "dist" / "wheel.whl"
    assert not store.restore_blob(digest, fresh, 0o644)
    assert not fresh.exists()
    there = tmp_path / "there.whl"
    there.write_bytes(b"what the build left")
    assert not store.restore_blob(digest, there, 0o644)
    assert there.read_bytes() == b"what the build left"
    blob.unlink()
    assert not store.restore_blob(digest, fresh, 0o644)
    assert not fresh.exists()


# Marks.


def test_a_mark_says_which_build_the_outputs_hold(store):
    assert store.marked("svc") == ""
    store.mark("svc", "key1")
    store.mark("group/svc", "key2")
    assert store.marked("svc") == "key1" and store.marked("group/svc") == "key2"
    store.mark("svc", "key3")
    assert store.marked("svc") == "key3"
    store.unmark("group/svc")
    assert store.marked("group/svc") == "" and store.marked("svc") == "key3"
    store.unmark("group/svc")  # twice: harmless
    assert [p.name for p in store.built.iterdir()] == ["svc"]


# Several processes at once.

KEYS = ("k0", "k1", "k2")
ROUNDS = 60


def big_entry(writer: int, round_: int) -> dict:
    """A large entry that says who wrote it, and is whole only when its padding is."""
    return {"writer": writer, "round": round_, "pad": f"{writer}:{round_}:" * 40_000}


def whole(entry: object) -> bool:
    if not isinstance(entry, dict) or set(entry) != {"writer", "round", "pad"}:
        return False
    return entry == big_entry(entry["writer"], entry["round"])


def hammer(directory: str, writer: int, queue) -> None:
    """Write every key over and over, reading them between writes; report what was read."""
    store, seen, bad = Store(Path(directory)), 0, []
    for round_ in range(ROUNDS):
        for key in KEYS:
            store.put(key, big_entry(writer, round_))
            entry = store.get(KEYS[(round_ + writer) % len(KEYS)])
            seen += 1
            if not whole(entry):
                bad.append(repr(entry)[:80])
    queue.put((seen, bad))


def test_processes_writing_and_reading_the_same_keys_never_see_part_of_an_entry(store):
    for key in KEYS:  # every key has an entry before the race starts
        store.put(key, big_entry(0, -1))
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    writers = [
        context.Process(target=hammer, args=(str(store.directory), w, queue))
        for w in (1, 2)
    ]
    for process in writers:
        process.start()
    seen, bad, writers_seen = 0, [], {0}
    while any(process.is_alive() for process in writers):
        for key in KEYS:
            entry = store.get(key)
            seen += 1
            if whole(entry):
                writers_seen.add(entry["writer"])
            else:
                bad.append(repr(entry)[:80])
    results = [queue.get(timeout=60) for _ in writers]
    for process in writers:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert bad == [] and all(not their_bad for _, their_bad in results)
    assert all(their_seen == ROUNDS * len(KEYS) for their_seen, _ in results)
    assert writers_seen & {1, 2}  # read while they wrote
    assert {1, 2} <= writers_seen | {e["writer"] for e in map(store.get, KEYS)}
    assert not [
        p for p in store.entries.iterdir() if p.name not in KEYS
    ]  # no temp left


def test_putting_bytes_already_kept_mends_a_damaged_copy_and_touches_it(
    store, tmp_path
):
    source = tmp_path / "svc"
    source.write_bytes(b"binary" * 100)
    digest = store.put_blob(source)
    blob = store.blobs / digest
    blob.write_bytes(b"B" + blob.read_bytes()[1:])
    set_mtime(blob, 3600)
    assert store.put_blob(source) == digest
    assert blob.read_bytes() == source.read_bytes()
    assert blob.stat().st_mtime > time.time() - 600  # used again: evicted last
