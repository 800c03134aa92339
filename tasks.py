"""invoke tasks for developers: `inv --list`. Each calls Tandem's Python API in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

from invoke import Exit, task

from tandem.cli import main as tandem_main
from tandem.config import load_config
from tandem.model import Step

ROOT = Path(__file__).parent


def _tandem(*argv: str) -> None:
    """Run a Tandem command in this process; end with its exit code when it is not 0."""
    code = tandem_main(["--root", str(ROOT), *argv])
    if code:
        raise Exit(code=code)


def _projects(project: list[str] | None) -> list[str]:
    return [arg for name in project or () for arg in ("-p", name)]


@task(name="list")
def list_projects(c):
    """List the projects Tandem finds, with their language and what they need."""
    _tandem("list")


@task(
    iterable=["project"],
    help={
        "project": "only this project (repeatable)",
        "changed-since": "only the projects changed since this git ref (and their dependents)",
        "no-cache": "run every task, even those the cache could replay",
    },
)
def check(c, project=None, changed_since=None, no_cache=False):
    """Build, format-check, vet and test every project; write reports/junit.xml."""
    since = ["--changed-since", changed_since] if changed_since else []
    _tandem("check", *_projects(project), *since, *(["--no-cache"] if no_cache else []))


@task(iterable=["project"], help={"fix": "write the regenerated files"})
def generate(c, fix=False, project=None):
    """Check the code generated from .proto files (--fix regenerates it)."""
    _tandem(Step.GENERATE.value, *_projects(project), *(["--fix"] if fix else []))


@task(iterable=["project"], help={"project": "only this project (repeatable)"})
def build(c, project=None):
    """Build every project (go build; a Python wheel)."""
    _tandem(Step.BUILD.value, *_projects(project))


@task(iterable=["project"], help={"fix": "rewrite files instead of checking them"})
def fmt(c, fix=False, project=None):
    """Check formatting with gofmt and black (--fix rewrites the files)."""
    _tandem(Step.FMT.value, *_projects(project), *(["--fix"] if fix else []))


@task(iterable=["project"], help={"project": "only this project (repeatable)"})
def vet(c, project=None):
    """Vet every project (go vet; ruff)."""
    _tandem(Step.VET.value, *_projects(project))


@task(iterable=["project"], help={"project": "only this project (repeatable)"})
def test(c, project=None):
    """Test every project (go test; pytest with pytest-xdist)."""
    _tandem(Step.TEST.value, *_projects(project))


@task
def report(c):
    """Print the last run's summary (reports/summary.md)."""
    summary = ROOT / "reports" / "summary.md"
    if not summary.is_file():
        raise Exit("no report yet: run `inv check` first", code=2)
    print(summary.read_text(encoding="utf-8"))


@task
def clean(c):
    """Remove what Tandem can rebuild: its build output, its state (.tandem/) and reports/."""
    config = load_config(ROOT)
    for name in (config.output, config.state, "reports"):
        shutil.rmtree(ROOT / name, ignore_errors=True)
        print(f"removed {name}/")
