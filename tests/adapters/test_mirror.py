"""The source mirror: what a sync copies, keeps, reproduces and removes (real files)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tandem.adapters import mirror, venv
from tests.conftest import write_tree as tree


def listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


def test_a_sync_copies_what_changed_and_removes_what_went(tmp_path):
    source, target = tmp_path / "src", tmp_path / "mirror"
    tree(source, {"pyproject.toml": "[project]\n", "pkg/a.py": "a = 1\n"})
    assert mirror.sync(str(source), str(target)) == 2
    assert mirror.sync(str(source), str(target)) == 0  # nothing changed: nothing copied
    (source / "pkg" / "a.py").write_text("a = 22\n")
    (source / "pyproject.toml").unlink()
    assert mirror.sync(str(source), str(target)) == 1
    assert listing(target) == {"pkg/a.py"}
    assert (target / "pkg" / "a.py").read_text() == "a = 22\n"
    copied, original = (target / "pkg/a.py").stat(), (source / "pkg/a.py").stat()
    assert copied.st_mtime_ns == original.st_mtime_ns


def test_outputs_caches_and_environments_are_neither_copied_nor_pruned(tmp_path):
    source, target = tmp_path / "src", tmp_path / "mirror"
    tree(
        source, {"a.py": "", "__pycache__/a.pyc": "", "env/pyvenv.cfg": "", "env/x": ""}
    )
    tree(target, {"build/lib/a.py": "", "pkg.egg-info/PKG-INFO": "", "stale.py": ""})
    mirror.sync(str(source), str(target))
    assert listing(target) == {"a.py", "build/lib/a.py", "pkg.egg-info/PKG-INFO"}


def test_symlinks_are_reproduced_and_follow_the_source(tmp_path):
    source, target = tmp_path / "src", tmp_path / "mirror"
    tree(source, {"real.py": "x = 1\n"})
    (source / "link.py").symlink_to("real.py")
    mirror.sync(str(source), str(target))
    assert os.readlink(target / "link.py") == "real.py"
    (source / "link.py").unlink()
    (source / "link.py").write_text("y = 2\n")  # the link became a file
    mirror.sync(str(source), str(target))
    assert not (target / "link.py").is_symlink()
    assert (target / "link.py").read_text() == "y = 2\n"


def test_the_command_syncs_each_pair_and_refuses_an_odd_count(tmp_path):
    tree(tmp_path / "a", {"one.py": ""})
    tree(tmp_path / "b", {"two.py": ""})
    pairs = [tmp_path / "a", tmp_path / "ma", tmp_path / "b", tmp_path / "mb"]
    subprocess.run(venv.mirror_command(*pairs), check=True)
    assert listing(tmp_path / "ma") == {"one.py"}
    assert listing(tmp_path / "mb") == {"two.py"}
    odd = subprocess.run(
        venv.mirror_command(*pairs[:3]), check=False, capture_output=True, text=True
    )
    assert odd.returncode == 2 and "usage" in odd.stderr
