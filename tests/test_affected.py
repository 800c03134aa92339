"""Affected-only selection: which projects a change reaches, and what changed in a real git tree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tandem.affected import affected, changed_files, select
from tandem.cli import main
from tandem.config import load_config
from tandem.discover import discover
from tandem.model import Project, TandemError
from tests.conftest import go_module, py_project, write_tree

ROOT = Path("/r")


def project(name: str, where: str, *needs: str) -> Project:
    return Project(name, "go", ROOT / where, needs=needs)


APP = project("app", "apps/app")
PLUGIN = project("plugin", "apps/app/plugins/plugin")  # nested inside app
KIT = project("kit", "libs/kit")


def test_a_file_belongs_to_the_deepest_project_holding_it():
    changed = ["apps/app/plugins/plugin/main.go", "libs/kit/kit.go"]
    assert affected(ROOT, (APP, KIT, PLUGIN), changed) == {
        "kit": "changed kit.go",
        "plugin": "changed main.go",
    }
    assert affected(ROOT, (APP, KIT, PLUGIN), ["apps/app/plugins/README.md"]) == {
        "app": "changed plugins/README.md"
    }


def test_several_files_name_the_first_in_sorted_order_and_count_the_rest():
    changed = ["libs/kit/z.py", "libs/kit/a/b.py", "libs/kit/m.py", "libs/kit/m.py"]
    assert affected(ROOT, (APP, KIT), changed) == {"kit": "changed a/b.py (+2 more)"}


def test_a_file_in_no_project_chooses_every_project_but_a_project_keeps_its_own_reason():
    changed = ["go.work", "ci/run", "libs/kit/a.py"]
    assert affected(ROOT, (APP, KIT, PLUGIN), changed) == {
        "app": "changed ci/run (+1 more) outside every project",
        "kit": "changed a.py",
        "plugin": "changed ci/run (+1 more) outside every project",
    }


def test_a_directory_sharing_a_projects_name_prefix_is_not_inside_it():
    assert affected(ROOT, (APP, KIT), ["apps/application/main.go"]) == {
        "app": "changed apps/application/main.go outside every project",
        "kit": "changed apps/application/main.go outside every project",
    }


def test_a_changed_project_directory_itself_is_named_from_the_root():
    # A submodule or an untracked nested repository is reported as its directory alone.
    assert affected(ROOT, (APP, KIT), ["libs/kit"]) == {"kit": "changed libs/kit"}


def test_a_project_at_the_root_owns_what_no_other_project_holds():
    mono = project("mono", ".")
    assert affected(ROOT, (APP, mono), ["go.work"]) == {"mono": "changed go.work"}


def test_needs_choose_down_every_chain_in_the_projects_order():
    chain = (
        project("d", "d", "c"),
        project("c", "c", "b"),
        project("lone", "lone"),
        project("b", "b", "a"),
        project("a", "a"),
    )
    chosen = affected(ROOT, chain, ["a/a.go"])
    assert list(chosen.items()) == [
        ("d", "needs c"),
        ("c", "needs b"),
        ("b", "needs a"),
        ("a", "changed a.go"),
    ]


def test_a_project_chosen_through_needs_names_its_first_chosen_need_by_name():
    both = (
        project("top", "top", "zeta", "alpha", "mid"),
        project("mid", "mid", "zeta"),
        project("zeta", "zeta"),
        project("alpha", "alpha"),
    )
    assert affected(ROOT, both, ["zeta/z.go"]) == {
        "top": "needs mid",
        "mid": "needs zeta",
        "zeta": "changed z.go",
    }


def test_nothing_changed_chooses_nothing():
    assert affected(ROOT, (APP, KIT), []) == {}


@pytest.mark.parametrize("ref", ["", "--output=x"])
def test_a_ref_git_would_read_as_an_option_is_refused(tmp_path, ref):
    with pytest.raises(TandemError, match="not a git revision; name a branch"):
        changed_files(tmp_path, ref)


# Real repositories from here on.

IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false")


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a throwaway identity and return what it printed."""
    done = subprocess.run(
        ("git", *IDENTITY, *args),
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def branched(root: Path) -> str:
    """Commit everything under root on main, branch `work` off it, then move main on: the base."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    base = git(root, "rev-parse", "HEAD")
    git(root, "switch", "-q", "-c", "work")
    git(root, "switch", "-q", "main")
    write_tree(root, {"later.txt": "only on main\n"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main moves on")
    git(root, "switch", "-q", "work")
    return base


@pytest.mark.tools
def test_every_kind_of_change_since_the_merge_base_is_found(tmp_path):
    names = ("keep", "committed", "staged", "unstaged", "gone", "old")
    root = write_tree(
        tmp_path / "repo",
        {".gitignore": "*.log\n", **{f"{n}.txt": f"{n}\n" for n in names}},
    )
    base = branched(root)
    write_tree(root, {"committed.txt": "edited\n"})
    git(root, "commit", "-q", "-am", "on the branch")
    write_tree(root, {"staged.txt": "edited\n", "unstaged.txt": "edited\n"})
    git(root, "add", "staged.txt")
    (root / "gone.txt").unlink()
    git(root, "mv", "old.txt", "new.txt")
    write_tree(root, {"dir/naïve file.txt": "untracked\n", "debug.log": "ignored\n"})
    assert changed_files(root, "main") == (
        base,
        (
            "committed.txt",
            "dir/naïve file.txt",
            "gone.txt",
            "new.txt",
            "old.txt",
            "staged.txt",
            "unstaged.txt",
        ),
    )


@pytest.mark.tools
def test_a_file_changed_and_changed_back_is_no_change(tmp_path):
    root = write_tree(tmp_path / "repo", {"a.txt": "a\n"})
    base = branched(root)
    write_tree(root, {"a.txt": "edited\n"})
    git(root, "commit", "-q", "-am", "edit")
    write_tree(root, {"a.txt": "a\n"})
    assert changed_files(root, "main") == (base, ())


@pytest.mark.tools
def test_a_root_below_the_top_sees_only_its_changes_named_from_itself(tmp_path):
    # The sibling's name is one the root's would match as a glob: neither it nor the top counts.
    files = {"mono [x]/a/a.txt": "a\n", "mono x/b.txt": "b\n", "top.txt": "t\n"}
    repo = write_tree(tmp_path / "repo", files)
    base = branched(repo)
    write_tree(repo, {path: "edited\n" for path in files})
    write_tree(repo, {"mono [x]/new.txt": "n\n", "mono x/new.txt": "n\n"})
    assert changed_files(repo / "mono [x]", "main") == (base, ("a/a.txt", "new.txt"))


@pytest.mark.tools
def test_an_unknown_ref_is_a_one_line_error_saying_what_to_fetch(tmp_path):
    root = write_tree(tmp_path / "repo", {"a.txt": "a\n"})
    branched(root)
    with pytest.raises(TandemError) as error:
        changed_files(root, "origin/main")
    assert str(error.value) == (
        f"--changed-since origin/main: no such commit in {root} "
        "(fetch it first, e.g. git fetch origin main)"
    )


@pytest.mark.tools
def test_outside_a_git_repository_is_a_one_line_error(tmp_path):
    plain = write_tree(tmp_path / "plain", {"a.txt": "a\n"})
    with pytest.raises(TandemError) as error:
        changed_files(plain, "main")
    assert str(error.value) == (
        f"--changed-since needs a git repository: {plain} is not inside one"
    )


@pytest.mark.tools
def test_a_ref_sharing_no_history_with_head_is_a_one_line_error(tmp_path):
    root = write_tree(tmp_path / "repo", {"a.txt": "a\n"})
    branched(root)
    git(root, "switch", "-q", "--orphan", "lone")
    git(root, "commit", "-q", "--allow-empty", "-m", "alone")
    with pytest.raises(TandemError, match="main: it shares no history with HEAD"):
        changed_files(root, "main")


def monorepo_on_a_branch(tmp_path: Path) -> tuple[Path, str]:
    """Four projects, orders needing gokit; on the branch, gokit changed twice."""
    root = write_tree(
        tmp_path / "repo",
        {
            "projects/gokit/go.mod": go_module("gokit"),
            "projects/gokit/kit.go": "package kit\n",
            "projects/orders/go.mod": go_module(
                "orders",
                "\nrequire example.com/gokit v0.0.0\n\nreplace example.com/gokit => ../gokit\n",
            ),
            "projects/catalog/go.mod": go_module("catalog"),
            "projects/pricing/pyproject.toml": py_project("pricing"),
        },
    )
    base = branched(root)
    write_tree(root, {"projects/gokit/kit.go": "package kit\n\n// Edited.\n"})
    git(root, "commit", "-q", "-am", "edit the kit")
    write_tree(root, {"projects/gokit/extra.go": "package kit\n"})
    return root, base


@pytest.mark.tools
def test_select_names_the_base_the_chosen_with_why_and_the_rest(tmp_path):
    root, base = monorepo_on_a_branch(tmp_path)
    projects = discover(root, load_config(root)).projects
    picked = select(root, projects, "main")
    assert (picked.ref, picked.base, picked.left_out) == (
        "main",
        base,
        ("catalog", "pricing"),
    )
    assert dict(picked.chosen) == {
        "gokit": "changed extra.go (+1 more)",
        "orders": "needs gokit",
    }


@pytest.mark.tools
def test_list_changed_since_shows_the_chosen_with_why_and_what_it_left_out(
    tmp_path, capsys
):
    root, base = monorepo_on_a_branch(tmp_path)
    args = ["--root", str(root), "list", "--changed-since", "main"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "gokit                    go       projects/gokit   changed extra.go (+1 more)",
        "orders                   go       projects/orders  needs gokit",
    ]
    left = f"left out 2 projects unaffected since main ({base[:7]}): catalog, pricing"
    assert err.splitlines() == [left]
    assert main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["name"], row["needs"], row["reason"]) for row in rows] == [
        ("gokit", [], "changed extra.go (+1 more)"),
        ("orders", ["gokit"], "needs gokit"),
    ]
