"""`python -m benchmarks.codegen`: what checking generated code costs, Tandem beside `make -j2`.

One run generates the synthetic monorepo with a .proto contract in every project (Go modules
declare protoc-gen-go in `buf.gen.yaml`, Python projects protoc's python and pyi outputs in the
root configuration), writes the generated code once with `tandem generate --fix` (untimed: it
also builds the Go plugin), tidies the Go modules and commits. Then, alternating, it times
`tandem generate --no-cache` (regenerate into scratch directories and compare) and `tandem
generate` with its cache (nothing changed: replayed) against the idiom a team runs without it: a Makefile that regenerates every project into the tree with the
same protoc and plugin under `make -j2`, then `git status --porcelain` must be empty. Last,
one `tandem check --no-cache` says what the step costs within a whole run: the generate
tasks' seconds against all tasks' seconds.

    .venv/bin/python -m benchmarks.codegen                    # the full run
    .venv/bin/python -m benchmarks.codegen --go 1 --python 1 --tests 1 --runs 1
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from benchmarks import contenders
from benchmarks.generate import Generated, Spec, add_spec_flags, generate, spec_from
from benchmarks.measure import Contender, Invocation, Sample, median, run, spawn
from tandem.adapters import protoc_spec

DEFAULTS = Spec(go=8, python=8, tests=2, test_ms=20.0, protos=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.codegen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_spec_flags(parser, DEFAULTS)
    parser.add_argument("--runs", type=int, default=3, help="timed runs each")
    work = Path(tempfile.gettempdir()) / "tandem-bench-codegen"
    parser.add_argument("--workdir", type=Path, default=work, help="repo and logs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Set the monorepo up, time both contenders, and print the table."""
    args = _parser().parse_args(argv)
    work = args.workdir.resolve()
    root, log = work / "repo", work / "codegen.log"
    work.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    spec = spec_from(args)
    projects = generate(root, Spec(**{**spec.__dict__, "protos": True}))
    _say(f"generated {len(projects)} projects under {root}; log: {log}")
    _prepare(root, projects, log)
    ours, make = _tandem(root, "--no-cache"), _make(root, projects, work)
    samples = _alternate((ours, make, _tandem(root)), args.runs, log)
    share = _share(root, work, log)
    print(_table(samples, share, len(projects)))
    return 0 if all(s.ok for runs in samples.values() for s in runs) else 1


def _prepare(root: Path, projects: Sequence[Generated], log: Path) -> None:
    """The generated code written and committed, every Go module tidied (untimed)."""
    env = contenders.bench_env()
    fixed = spawn(_tandem_call(root, "generate", "--fix"), env, log)
    if not fixed.ok:
        raise SystemExit(f"tandem generate --fix failed; see {log}")
    for p in projects:
        if p.language == "go":
            spawn(
                Invocation(("go", "mod", "tidy"), root / "projects" / p.name), env, log
            )
    (root / ".gitignore").write_text(".tandem/\n", encoding="utf-8")  # as a team has it
    for argv in (("init", "-q"), ("add", "-A"), ("commit", "-qm", "generated")):
        subprocess.run(["git", "-C", str(root), *argv], check=True, capture_output=True)


def _tandem_call(root: Path, *argv: str) -> Invocation:
    return Invocation(
        (sys.executable, "-m", "tandem", "--root", str(root), *argv), root
    )


def _tandem(root: Path, *flags: str) -> Contender:
    junit = ("--junit", str(root.parent / "generate.xml"))
    call = _tandem_call(root, "generate", *flags, *junit)
    return Contender(f"`tandem generate {' '.join(flags)}`".replace(" `", "`"), (call,))


def _make(root: Path, projects: Sequence[Generated], work: Path) -> Contender:
    """`make -j2` regenerating into the tree, then an empty `git status` (the usual idiom)."""
    makefile = work / "Makefile"
    makefile.write_text(_makefile(root, projects), encoding="utf-8")
    regenerate = Invocation(("make", "-s", "-j2", "-f", str(makefile)), root)
    status = ("git", "-C", str(root), "status", "--porcelain", "--", "projects")
    clean = Invocation(status, root, quiet=True)  # any line: something was stale
    return Contender(
        "`make -j2` (protoc into the tree) + `git status`", (regenerate, clean)
    )


def _makefile(root: Path, projects: Sequence[Generated]) -> str:
    names = [p.name for p in projects]
    rules = [f"all: {' '.join(names)}", f".PHONY: all {' '.join(names)}"]
    rules += [f"{p.name}:\n\t{_protoc(root, p)}" for p in projects]
    return "\n".join(rules) + "\n"


def _protoc(root: Path, project: Generated) -> str:
    """The same protoc (grpcio-tools' environment) and plugin as Tandem runs, into the tree."""
    where = root / "projects" / project.name
    python = next(root.glob(".tandem/tools/grpcio-tools@*/bin/python"))
    head = f"cd {where} && {python} -m grpc_tools.protoc -Iproto"
    files = " ".join(protoc_spec.proto_files(where, "proto"))
    if project.language == "python":
        return f"{head} --python_out=gen --pyi_out=gen {files}"
    plugin = next(root.glob(".tandem/tools/protoc-gen-go@*/protoc-gen-go"))
    flags = (
        f"--plugin=protoc-gen-go={plugin} --go_out=gen --go_opt=paths=source_relative"
    )
    return f"{head} {flags} {files}"


def _alternate(
    entries: Sequence[Contender], runs: int, log: Path
) -> dict[str, list[Sample]]:
    env = contenders.bench_env()
    for contender in entries:  # a warm-up each, untimed
        run(contender, env, log)
    samples: dict[str, list[Sample]] = {c.name: [] for c in entries}
    for _ in range(runs):
        for contender in entries:
            samples[contender.name].append(run(contender, env, log))
            _say(f"{contender.name}: {samples[contender.name][-1].wall:.2f}s")
    return samples


def _share(root: Path, work: Path, log: Path) -> tuple[float, float, float]:
    """One `tandem check --no-cache`: its wall time, the generate tasks' and all tasks' seconds."""
    report = work / "check.xml"
    sample = spawn(
        _tandem_call(root, "check", "--no-cache", "--junit", str(report)),
        contenders.bench_env(),
        log,
    )
    suites = list(ET.parse(report).getroot())
    generating = sum(
        float(s.get("time", 0))
        for s in suites
        if s.get("name", "").endswith(":generate")
    )
    every = sum(float(s.get("time", 0)) for s in suites)
    return sample.wall, generating, every


def _table(
    samples: dict[str, list[Sample]], share: tuple[float, float, float], count: int
) -> str:
    ours = median([s.wall for s in next(iter(samples.values()))])
    rows = ["| contender | wall s (median) | CPU s | ÷ Tandem |", "|---|--:|--:|--:|"]
    for name, runs in samples.items():
        wall, cpu = median([s.wall for s in runs]), median([s.cpu for s in runs])
        ok = "" if all(s.ok for s in runs) else " (FAILED)"
        rows.append(f"| {name}{ok} | {wall:.2f} | {cpu:.2f} | {wall / ours:.2f} |")
    wall, generating, every = share
    said = (
        f"{count} projects. In one `tandem check --no-cache` ({wall:.2f}s wall), the "
        f"generate tasks took {generating:.2f}s of the tasks' {every:.2f}s "
        f"({generating / every:.1%})."
    )
    rows += ["", said]
    return "\n".join(rows)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
