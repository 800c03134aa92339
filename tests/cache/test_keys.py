"""Task keys: what changes them (files, needs, settings, environment, tools) and what does not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tandem.cache import keys
from tandem.cache.files import Tree
from tandem.cache.keys import Settings, task_keys
from tandem.model import LANGUAGE_STEPS, Project, Step
from tandem.plan import make_plan

FILES = {
    "go.work": "go 1.22",
    "pyproject.toml": "[tool.tandem]",
    "libs/kit/go.mod": "module kit",
    "libs/kit/kit.go": "package kit",
    "libs/kit2/kit2.go": "package kit2",  # shares kit's name as a prefix only
    "svc/README.md": "services",
    "svc/docs/guide.md": "guide",
    "svc/orders/go.mod": "module orders",
    "svc/orders/cmd/main.go": "package main",
    "svc/api/pyproject.toml": "[project]",
    "svc/api/api/app.py": "app = 1",
    "tools/lone/go.mod": "module lone",
    "tools/lone/lone.go": "package lone",
}
SETTINGS = Settings(timeout=900.0)
REAL_TOOLS = keys._tools


def projects(root: Path, **changes: dict) -> list[Project]:
    """kit <- orders <- api (needs, transitively), and lone, which needs nothing."""
    found = [
        Project("kit", "go", root / "libs/kit"),
        Project("orders", "go", root / "svc/orders", needs=("kit",)),
        Project("api", "python", root / "svc/api", needs=("orders",)),
        Project("lone", "go", root / "tools/lone"),
    ]
    return [replace(p, **changes.get(p.name, {})) for p in found]


def tree(files: dict[str, str]) -> Tree:
    """A tree as the scan makes it, the text standing in for each file's digest."""
    return Tree(tuple(sorted(files)), dict(files))


def key_map(
    files: dict[str, str] = FILES,
    root: Path = Path("/r"),
    settings: Settings = SETTINGS,
    environ: dict[str, str] | None = None,
    **changes: dict,
) -> dict[str, str]:
    found = projects(root, **changes)
    tasks = make_plan(found, tuple(Step))
    return task_keys(tasks, found, tree(files), root, settings, environ or {})


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    assert before.keys() == after.keys()
    return {task for task in before if before[task] != after[task]}


def every(*names: str) -> set[str]:
    return {f"{name}:{s.value}" for name in names for s in LANGUAGE_STEPS}


def edited(path: str, text: str = "edited") -> dict[str, str]:
    return {**FILES, path: text}


@pytest.fixture(autouse=True)
def fake_tools(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Tool identities by language, instead of the tools found on this machine."""
    identities = {"go": "/usr/bin/go 100 1", "python": "/usr/bin/uv 200 1"}
    monkeypatch.setattr(
        keys, "_tools", lambda project, step, root: (identities[project.language],)
    )
    return identities


def test_keys_are_stable_and_every_task_has_its_own():
    first = key_map()
    assert first == key_map()
    assert len(set(first.values())) == len(first) == 16
    assert all(len(key) == 40 for key in first.values())


def test_a_projects_file_changes_its_keys_and_those_of_every_project_needing_it():
    touched = changed(key_map(), key_map(edited("libs/kit/kit.go")))
    # orders needs kit, api needs orders: their build, vet and test read kit; their fmt not.
    assert touched == every("kit") | {
        "orders:build",
        "orders:vet",
        "orders:test",
        "api:build",
        "api:vet",
        "api:test",
    }


def test_a_file_of_the_last_project_in_a_chain_changes_its_keys_alone():
    assert changed(key_map(), key_map(edited("svc/api/api/app.py"))) == every("api")


def test_a_new_or_removed_file_changes_the_projects_keys():
    added = {**FILES, "svc/orders/cmd/extra.go": "package main"}
    assert changed(key_map(), key_map(added)) == every("orders") | {
        "api:build",
        "api:vet",
        "api:test",
    }
    removed = {k: v for k, v in FILES.items() if k != "tools/lone/lone.go"}
    assert changed(key_map(), key_map(removed)) == every("lone")


def test_a_file_directly_in_an_ancestor_directory_changes_every_project_below_it():
    everything = every("kit", "orders", "api", "lone")
    assert changed(key_map(), key_map(edited("go.work"))) == everything
    assert changed(key_map(), key_map(edited("pyproject.toml"))) == everything
    new_at_root = {**FILES, ".python-version": "3.12"}
    assert changed(key_map(), key_map(new_at_root)) == everything
    assert changed(key_map(), key_map(edited("svc/README.md"))) == every(
        "orders", "api"
    )


def test_a_file_in_a_sibling_directorys_subtree_changes_nothing():
    assert changed(key_map(), key_map(edited("svc/docs/guide.md"))) == set()
    assert changed(key_map(), key_map(edited("libs/kit2/kit2.go"))) == set()
    deeper = {**FILES, "tools/other/x/y.go": "package y"}
    assert changed(key_map(), key_map(deeper)) == set()


GO_TASKS = every("kit", "orders", "lone") | {
    "api:build",
    "api:test",
}  # api waits for orders


@pytest.mark.parametrize(
    ("name", "value", "reached"),
    [
        ("GOFLAGS", "-mod=vendor", GO_TASKS),
        ("CGO_ENABLED", "0", GO_TASKS),
        ("GOOS", "windows", GO_TASKS),
        ("PYTHONHASHSEED", "0", every("api")),
        ("UV_INDEX_URL", "https://example.org/simple", every("api")),
    ],
)
def test_a_variable_that_changes_what_a_languages_tools_do_changes_its_keys(
    name, value, reached
):
    base = key_map(environ={"HOME": "/home/a"})
    after = key_map(environ={"HOME": "/home/a", name: value})
    assert changed(base, after) == reached


def test_the_value_of_a_variable_counts_not_only_that_it_is_set():
    one = key_map(environ={"GOFLAGS": "-race"})
    assert key_map(environ={"GOFLAGS": "-race"}) == one
    assert changed(one, key_map(environ={"GOFLAGS": "-v"})) == GO_TASKS


def test_unrelated_variables_change_nothing():
    base = key_map(environ={})
    noisy = {
        "HOME": "/home/b",
        "EDITOR": "vim",
        "PATH": "/bin",
        "DATABASE_URL": "pg://",
    }
    assert key_map(environ=noisy) == base


def test_a_projects_own_variables_count_for_that_project_only():
    mine = {"api": {"env": ("DATABASE_URL", "APP_*")}}
    base = key_map(environ={}, **mine)
    with_url = key_map(environ={"DATABASE_URL": "pg://db"}, **mine)
    assert changed(base, with_url) == every("api")
    with_glob = key_map(environ={"APP_MODE": "strict"}, **mine)
    assert changed(base, with_glob) == every("api")


def test_project_arguments_and_timeout_change_that_projects_keys():
    base = key_map()
    touched = changed(base, key_map(orders={"args": {Step.TEST: ("-run", "TestX")}}))
    assert touched == {"orders:test"}  # a step's arguments are its own key's alone
    assert changed(base, key_map(lone={"timeout": 60.0})) == every("lone")


def test_a_needed_builds_key_reaches_every_task_waiting_for_it_directly_or_not():
    # kit's files are as they were: only its settings, hence its build's key, change.
    touched = changed(key_map(), key_map(kit={"timeout": 60.0}))
    waiting = {"orders:build", "orders:test", "api:build", "api:test"}
    assert touched == every("kit") | waiting


def test_a_projects_retries_change_its_test_key_only():
    base = key_map()
    assert changed(base, key_map(lone={"retries": 2})) == {"lone:test"}


def test_the_runs_timeout_changes_every_key():
    base = key_map()
    assert changed(base, key_map(settings=Settings(timeout=60.0))) == set(base)


def test_the_runs_retries_change_the_test_keys_of_projects_without_their_own():
    base = key_map(lone={"retries": 0})
    retried = key_map(settings=Settings(timeout=900.0, retries=2), lone={"retries": 0})
    assert changed(base, retried) == {"kit:test", "orders:test", "api:test"}


def test_another_tool_changes_the_keys_of_its_language(fake_tools):
    base = key_map()
    fake_tools["python"] = "/usr/bin/uv 200 2"  # reinstalled
    assert changed(base, key_map()) == every("api")
    fake_tools["go"] = "/opt/go/bin/go 100 1"
    assert changed(base, key_map()) == every("kit", "orders", "api", "lone")


def test_the_roots_location_does_not_change_keys(tmp_path):
    here = key_map(root=tmp_path / "clone1")
    there = key_map(root=tmp_path / "elsewhere" / "clone2")
    assert here == there


def test_the_adapters_own_tool_identities_give_stable_keys_wherever_the_root_is(
    tmp_path, monkeypatch
):
    monkeypatch.undo()  # the adapters' own `tools`: they only look at files
    assert keys._tools is REAL_TOOLS
    first = key_map(root=tmp_path / "a")
    assert first == key_map(root=tmp_path / "b")
    assert len(set(first.values())) == len(first)


def test_a_broken_projects_tasks_and_the_builds_waiting_on_them_have_no_key(fake_tools):
    found = projects(Path("/r"))
    tasks = make_plan(found, tuple(Step))
    keyed = task_keys(
        tasks, found, tree(FILES), Path("/r"), SETTINGS, {}, broken={"kit"}
    )
    # kit's own tasks, and orders' and api's build and test (they wait for kit's build, so
    # they cannot go green); fmt and vet wait for nothing and keep their keys.
    assert set(key_map()) - set(keyed) == every("kit") | {
        "orders:build",
        "orders:test",
        "api:build",
        "api:test",
    }
