"""nox sessions: Tandem's steps over projects/ (`nox -s check -- -p catalog`) and Tandem's own checks."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["check"]

STEPS = {
    "check": "Build, format-check, vet and test every project; write reports/junit.xml.",
    "generate": "Check code generated from .proto files; `-- --fix` regenerates it.",
    "build": "Build every project (go build; a Python wheel).",
    "fmt": "Check formatting (gofmt, black); `-- --fix` rewrites files.",
    "vet": "Vet every project (go vet; ruff).",
    "test": "Test every project (go test; pytest with pytest-xdist).",
}


def _engine(step: str):
    def session(session: nox.Session) -> None:
        session.install("-e", ".")
        session.run("python", "-m", "tandem", step, *session.posargs)

    session.__doc__ = STEPS[step]
    return session


for _step in STEPS:
    nox.session(name=_step)(_engine(_step))


@nox.session
def tests(session: nox.Session) -> None:
    """Run Tandem's own test suite (pytest, pytest-xdist); writes reports/tests.xml."""
    session.install("-e", ".[dev]")
    args = session.posargs or ["-n", "auto"]
    session.run("pytest", "--junitxml=reports/tests.xml", *args)


@nox.session
def lint(session: nox.Session) -> None:
    """Check Tandem's own code with black and ruff."""
    session.install("-e", ".")
    session.run(
        "black", "--check", "tandem", "tests", "benchmarks", "noxfile.py", "tasks.py"
    )
    session.run(
        "ruff", "check", "tandem", "tests", "benchmarks", "noxfile.py", "tasks.py"
    )


BENCHMARKS = {
    "bench": (
        "benchmarks",
        "Run the benchmarks: Tandem against the plain ways of doing the same work.",
    ),
    "bench_incremental": (
        "benchmarks.incremental",
        "Time no-op and one-change re-runs, Tandem beside Turborepo (turbo comes from npm).",
    ),
    "bench_remote": (
        "benchmarks.remote",
        "Time fresh clones replayed from the real turborepo-remote-cache server (from npm).",
    ),
    "bench_codegen": (
        "benchmarks.codegen",
        "Time the generated-code check, Tandem beside make -j2 running the same protoc.",
    ),
}


def _benchmark(module: str, doc: str):
    def session(session: nox.Session) -> None:
        session.install("-e", ".[dev]")
        session.run("python", "-m", module, *session.posargs)

    session.__doc__ = doc
    return session


for _name, (_module, _doc) in BENCHMARKS.items():
    nox.session(name=_name)(_benchmark(_module, _doc))


@nox.session
def realworld(session: nox.Session) -> None:
    """Run Tandem on pinned real projects; compare its test counts with their own tools'."""
    session.install("-e", ".")
    session.run("python", "-m", "benchmarks.realworld", *session.posargs)
