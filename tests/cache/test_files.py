"""The file scan: which files count as source, their digests, and the index that keeps them fresh."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from tandem.cache import files
from tandem.cache.files import INDEX, Tree, scan
from tests.conftest import write_tree

OLD = 100  # seconds: files this old are past the index's racily clean window


def age(root: Path, seconds: float = OLD) -> None:
    """Move the mtime of everything under `root` (itself included) into the past."""
    then = time.time() - seconds
    for folder, dirs, names in os.walk(root):
        for name in (*dirs, *names):
            os.utime(os.path.join(folder, name), (then, then), follow_symlinks=False)
    os.utime(root, (then, then))


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files each scan reads, in order."""
    read: list[str] = []
    real = files._file_digest

    def counting(path: str, st: os.stat_result) -> str:
        read.append(path)
        return real(path, st)

    monkeypatch.setattr(files, "_file_digest", counting)
    return read


def listed(root: Path, state: Path, skipped=()) -> tuple[str, ...]:
    return scan(root, skipped, state).paths


def set_written(state: Path, written: int) -> None:
    """Pretend the index was written at `written` (ns)."""
    index = state / INDEX
    data = json.loads(index.read_text())
    data["written"] = written
    index.write_text(json.dumps(data))


# The listing and the tree.


def test_files_are_listed_by_root_relative_slash_paths_with_their_digests(
    tmp_path, state
):
    root = write_tree(tmp_path / "r", {"a/b/c.py": "x = 1\n", "top.txt": "hi\n"})
    tree = scan(root, (), state)
    assert tree.paths == ("a/b/c.py", "top.txt")
    assert tree.digests == {"a/b/c.py": sha("x = 1\n"), "top.txt": sha("hi\n")}


def test_under_lists_a_subtree_and_beside_only_its_own_files():
    paths = ("a/b/y.py", "a/x.py", "ab/z.py", "top.txt")
    tree = Tree(paths, {p: f"d-{p}" for p in paths})
    assert [p for p, _ in tree.under("a")] == ["a/b/y.py", "a/x.py"]  # not ab/
    assert [p for p, _ in tree.beside("a")] == ["a/x.py"]
    assert [p for p, _ in tree.under("")] == list(paths)
    assert [p for p, _ in tree.beside("")] == ["top.txt"]
    assert dict(tree.under("a/x.py")) == {} and dict(tree.under("zz")) == {}


def test_the_digest_of_files_covers_their_paths_and_contents():
    tree = Tree((), {})
    files_ = [("a/x.py", "d1"), ("a/y.py", "d2")]
    assert tree.digest(files_) == tree.digest(list(files_))
    assert tree.digest([("a/z.py", "d1"), ("a/y.py", "d2")]) != tree.digest(files_)
    assert tree.digest([("a/x.py", "d3"), ("a/y.py", "d2")]) != tree.digest(files_)
    assert tree.digest([("a/x.py", "d1")]) != tree.digest(files_)


def test_renaming_a_file_changes_the_digest_of_its_directory(tmp_path, state):
    root = write_tree(tmp_path / "r", {"p/a.py": "same\n"})
    before = scan(root, (), state)
    (root / "p/a.py").rename(root / "p/b.py")
    after = scan(root, (), state)
    assert after.paths == ("p/b.py",)
    assert after.digests["p/b.py"] == before.digests["p/a.py"]
    assert after.digest(after.under("p")) != before.digest(before.under("p"))


def test_the_executable_bit_changes_a_files_digest(tmp_path, state):
    root = write_tree(tmp_path / "r", {"run.sh": "echo hi\n"})
    plain = scan(root, (), state).digests["run.sh"]
    (root / "run.sh").chmod(0o755)
    executable = scan(root, (), state).digests["run.sh"]
    assert plain == sha("echo hi\n") and executable == plain + "x"


# What is skipped.


def test_tool_caches_environments_and_build_leftovers_are_skipped(tmp_path, state):
    root = write_tree(
        tmp_path / "r",
        {
            "src/m.py": "",
            ".git/config": "",
            "src/__pycache__/m.cpython-311.pyc": "",
            "web/node_modules/left-pad/index.js": "",
            ".venv/bin/activate": "",
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/site.py": "",
            "src/pkg.egg-info/PKG-INFO": "",
            "src/stray.pyc": "",
            ".pytest_cache/v/cache": "",
            ".mypy_cache/x.json": "",
        },
    )
    assert listed(root, state) == ("src/m.py",)


def test_the_paths_given_are_skipped_and_nothing_else(tmp_path):
    root = write_tree(
        tmp_path / "r",
        {
            "p/a.py": "",
            ".tandem/durations.json": "",
            "reports/junit.xml": "",
            "reports/notes.md": "",
        },
    )
    state = root / ".tandem" / "cache"
    skipped = (root / ".tandem", root / "reports" / "junit.xml")
    assert listed(root, state, skipped) == ("p/a.py", "reports/notes.md")
    assert (state / INDEX).is_file()  # the index itself never shows either
    assert listed(root, state, skipped) == ("p/a.py", "reports/notes.md")


def test_a_symlinked_directory_is_not_followed(tmp_path, state):
    outside = write_tree(tmp_path / "outside", {"secret.py": ""})
    root = write_tree(tmp_path / "r", {"p/a.py": ""})
    (root / "p" / "linked").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert listed(root, state) == ("p/a.py",)


# Ignore files.


def test_the_roots_gitignore_honours_globs_negation_and_directory_patterns(
    tmp_path, state
):
    root = write_tree(
        tmp_path / "r",
        {
            ".gitignore": "*.log\n!keep.log\nbuild/\n",
            "a.log": "",
            "keep.log": "",
            "p/debug.log": "",
            "p/build/out.bin": "",
            "q/build": "a file, not a directory\n",
            "p/main.go": "",
        },
    )
    assert listed(root, state) == (".gitignore", "keep.log", "p/main.go", "q/build")


def test_a_nested_gitignore_matches_paths_relative_to_its_own_directory(
    tmp_path, state
):
    root = write_tree(
        tmp_path / "r",
        {
            "p/.gitignore": "/gen.py\nout/\n",
            "p/gen.py": "",
            "p/deeper/gen.py": "",
            "p/out/x": "",
            "gen.py": "",
            "out/y": "",
        },
    )
    assert listed(root, state) == (
        "gen.py",
        "out/y",
        "p/.gitignore",
        "p/deeper/gen.py",
    )


def test_a_deeper_gitignore_can_take_back_what_a_higher_one_ignores(tmp_path, state):
    # As git does: the deeper file decides, so `p/keep.log` is source and in the key.
    root = write_tree(
        tmp_path / "r",
        {
            ".gitignore": "*.log\n",
            "p/.gitignore": "!keep.log\n",
            "p/keep.log": "",
            "p/other.log": "",
            "keep.log": "",
        },
    )
    assert listed(root, state) == (".gitignore", "p/.gitignore", "p/keep.log")


def test_ignore_files_above_the_root_and_the_repositorys_exclude_count(tmp_path, state):
    repo = write_tree(
        tmp_path / "repo",
        {
            ".git/info/exclude": "excluded.txt\n",
            ".gitignore": "*.tmp\nsvc/api/secret.txt\n",
            "svc/.gitignore": "generated/\n",
            "svc/api/main.py": "",
            "svc/api/scratch.tmp": "",
            "svc/api/secret.txt": "",
            "svc/api/excluded.txt": "",
            "svc/api/generated/x.py": "",
            "svc/api/sub/secret.txt": "",  # the pattern holds a slash: anchored
        },
    )
    assert listed(repo / "svc" / "api", state) == ("main.py", "sub/secret.txt")


def test_a_deeper_gitignore_takes_back_what_one_above_the_root_ignores(tmp_path, state):
    repo = write_tree(
        tmp_path / "repo",
        {
            ".git/HEAD": "",
            ".gitignore": "*.lock\n",
            "svc/.gitignore": "!uv.lock\n",
            "svc/uv.lock": "",
            "svc/poetry.lock": "",
        },
    )
    assert listed(repo / "svc", state) == (".gitignore", "uv.lock")


# The index.


def test_a_second_scan_of_an_old_unchanged_tree_reads_and_walks_nothing(
    tmp_path, state, reads, monkeypatch
):
    root = write_tree(tmp_path / "r", {"a/x.py": "1", "a/b/y.py": "2", "z.txt": "3"})
    age(root)
    first = scan(root, (), state)
    assert len(reads) == 3
    walks = []
    real_walk = files._walk
    monkeypatch.setattr(files, "_walk", lambda *a: walks.append(a) or real_walk(*a))
    index = (state / INDEX).stat().st_mtime_ns
    second = scan(root, (), state)
    assert len(reads) == 3 and walks == []
    assert second == first
    assert (state / INDEX).stat().st_mtime_ns == index  # nothing new to write


def test_a_file_edited_to_the_same_size_gets_a_new_digest(tmp_path, state, reads):
    root = write_tree(tmp_path / "r", {"a.py": "aaaa", "b.py": "keep"})
    age(root)
    before = scan(root, (), state)
    (root / "a.py").write_text("bbbb")
    later = time.time() - OLD / 2
    os.utime(root / "a.py", (later, later))  # a new mtime, still old enough
    reads.clear()
    after = scan(root, (), state)
    assert after.digests["a.py"] == sha("bbbb") != before.digests["a.py"]
    assert after.digests["b.py"] == before.digests["b.py"]
    assert reads == [str(root / "a.py")]


def test_new_and_deleted_files_are_seen(tmp_path, state):
    root = write_tree(tmp_path / "r", {"p/a.py": "", "p/q/b.py": "", "c.py": ""})
    age(root)
    assert listed(root, state) == ("c.py", "p/a.py", "p/q/b.py")
    (root / "p/q/new.py").write_text("")
    (root / "c.py").unlink()
    assert listed(root, state) == ("p/a.py", "p/q/b.py", "p/q/new.py")
    (root / "p/q/new.py").unlink()
    assert listed(root, state) == ("p/a.py", "p/q/b.py")


def test_a_new_directory_is_seen(tmp_path, state):
    root = write_tree(tmp_path / "r", {"p/a.py": ""})
    age(root)
    assert listed(root, state) == ("p/a.py",)
    write_tree(root, {"p/new/deep/b.py": ""})
    assert listed(root, state) == ("p/a.py", "p/new/deep/b.py")


def test_an_edited_gitignore_changes_the_listing(tmp_path, state):
    root = write_tree(
        tmp_path / "r", {".gitignore": "*.log\n", "p/a.log": "", "p/a.py": ""}
    )
    age(root)
    assert listed(root, state) == (".gitignore", "p/a.py")
    (root / ".gitignore").write_text("*.py\n")
    assert listed(root, state) == (".gitignore", "p/a.log")


def test_an_edited_gitignore_above_the_root_changes_the_listing(tmp_path, state):
    repo = write_tree(
        tmp_path / "repo", {".git/HEAD": "", ".gitignore": "*.log\n", "svc/a.log": ""}
    )
    age(repo)
    assert listed(repo / "svc", state) == ()
    (repo / ".gitignore").write_text("*.tmp\n")
    assert listed(repo / "svc", state) == ("a.log",)


def test_a_damaged_index_is_ignored_and_rebuilt(tmp_path, state, reads):
    root = write_tree(tmp_path / "r", {"a.py": "1", "b/c.py": "2"})
    age(root)
    first = scan(root, (), state)
    index = state / INDEX
    for damaged in (index.read_bytes()[:40], b"", b"[1, 2]", b'{"format": 1}'):
        index.write_bytes(damaged)
        reads.clear()
        assert scan(root, (), state) == first
        assert len(reads) == 2  # read again: nothing was trusted
        assert json.loads(index.read_text())["format"] == files.FORMAT


def test_an_index_of_another_format_is_not_used(tmp_path, state, reads):
    root = write_tree(tmp_path / "r", {"a.py": "1"})
    age(root)
    first = scan(root, (), state)
    data = json.loads((state / INDEX).read_text())
    data["format"] = files.FORMAT + 1
    (state / INDEX).write_text(json.dumps(data))
    reads.clear()
    assert scan(root, (), state) == first and len(reads) == 1


def test_an_index_made_with_other_skipped_paths_is_not_reused(tmp_path, state):
    root = write_tree(tmp_path / "r", {"p/a.py": "", "out/p/bin": ""})
    age(root)
    assert listed(root, state) == ("out/p/bin", "p/a.py")
    assert listed(root, state, [root / "out"]) == ("p/a.py",)
    assert listed(root, state) == ("out/p/bin", "p/a.py")


def test_a_racily_clean_file_is_read_again(tmp_path, state, reads):
    root = write_tree(tmp_path / "r", {"a.py": "1", "b.py": "2"})
    age(root)
    b_mtime = (root / "b.py").stat().st_mtime_ns
    scan(root, (), state)
    # The index says it was written within a coarse clock tick of b.py's last change.
    set_written(state, b_mtime + 1_000_000_000)
    reads.clear()
    scan(root, (), state)
    assert sorted(reads) == [str(root / "a.py"), str(root / "b.py")]  # a.py is as old
    set_written(state, b_mtime + files.RACY_NS + 1_000_000_000)
    reads.clear()
    scan(root, (), state)
    assert reads == []


def test_a_file_changed_just_after_a_scan_is_read_again(tmp_path, state, reads):
    root = write_tree(tmp_path / "r", {"old.py": "1"})
    age(root)
    scan(root, (), state)
    (root / "fresh.py").write_text("new")
    soon = time.time() + 30  # however slow this machine, within the index's window
    os.utime(root / "fresh.py", (soon, soon))
    reads.clear()
    assert scan(root, (), state).digests["fresh.py"] == sha("new")
    assert reads == [str(root / "fresh.py")]
    reads.clear()
    scan(root, (), state)  # fresh.py is still within the window of the index's write
    assert reads == [str(root / "fresh.py")]


def test_the_repositorys_exclude_file_is_weaker_than_every_gitignore(tmp_path, state):
    repo = write_tree(
        tmp_path / "repo",
        {
            ".git/info/exclude": "*.bak\n!debug.log\n",
            ".gitignore": "*.log\n!keep.bak\n",
            "debug.log": "",
            "keep.bak": "",
            "old.bak": "",
        },
    )
    assert listed(repo, state) == (".gitignore", "keep.bak")


def test_a_directory_changed_within_a_clock_tick_of_the_scan_is_walked_again(
    tmp_path, state
):
    root = write_tree(tmp_path / "r", {"p/a.py": ""})
    age(root)
    scan(root, (), state)
    # A file added in the same coarse tick as the directory's last change leaves its mtime.
    mtime = (root / "p").stat().st_mtime_ns
    (root / "p/b.py").write_text("")
    os.utime(root / "p", ns=(mtime, mtime))
    set_written(state, mtime + 1_000_000_000)  # the scan ran within that tick too
    assert listed(root, state) == ("p/a.py", "p/b.py")


def test_a_tools_digest_is_its_content_wherever_and_whenever_installed(tmp_path):
    first, second = tmp_path / "a" / "go", tmp_path / "b" / "bin" / "go"
    for path, mtime in ((first, 1_000_000_000), (second, 2_000_000_000)):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\x7fELF go1.26")
        os.utime(path, ns=(mtime, mtime))
    contents = files.Contents(tmp_path / "state")
    assert contents.digest(first) == contents.digest(second)
    second.write_bytes(b"\x7fELF go1.27")
    assert contents.digest(first) != contents.digest(second)
    assert contents.digest(tmp_path / "nowhere") == "missing"


def test_a_tool_is_read_again_only_when_its_stat_changes(tmp_path, monkeypatch):
    tool = tmp_path / "uv"
    tool.write_bytes(b"uv 0.13.8")
    contents = files.Contents(tmp_path / "state")
    first = contents.digest(tool)
    contents.save()
    reads = []
    real = files._file_digest
    monkeypatch.setattr(files, "_file_digest", lambda *a: reads.append(a) or real(*a))
    again = files.Contents(tmp_path / "state")
    assert again.digest(tool) == first and reads == []
    tool.write_bytes(b"uv 0.13.9!")
    assert again.digest(tool) != first and len(reads) == 1


def test_an_ignore_line_pathspec_refuses_is_dropped_as_git_drops_it(tmp_path, state):
    root = write_tree(
        tmp_path / "r",
        {".gitignore": "!\nfoo\\\\\n*.log\n", "a.log": "", "keep.py": ""},
    )
    assert listed(root, state) == (".gitignore", "keep.py")
