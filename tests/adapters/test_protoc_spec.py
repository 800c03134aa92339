"""Declared code generation: buf.gen.yaml and Tandem's config read, the plan's generate tasks,
and the steps that start after them (pure logic)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tandem.adapters import protoc_spec, python_lint
from tandem.adapters.protoc_spec import declared, from_buf, version
from tandem.config import parse_config
from tandem.model import (
    Generation,
    Outcome,
    Plugin,
    Project,
    Step,
    TandemError,
    Task,
    TestCase,
    Verdict,
)
from tandem.plan import make_plan
from tandem.schedule import Budget, run_plan
from tests.conftest import write_tree

PROTO = {"proto/a/v1/a.proto": 'syntax = "proto3";\n'}


def test_buf_v2_reads_inputs_local_builtin_and_remote_plugins_with_their_pins(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {"buf.gen.yaml": """
                version: v2
                inputs:
                  - directory: api
                plugins:
                  - local: protoc-gen-go
                    out: gen/go
                    opt: [paths=source_relative, Mfoo.proto=x/foo]
                  - remote: buf.build/grpc/go:v1.5.1
                    out: gen/go
                  - protoc_builtin: python
                    out: py
                  - remote: buf.build/grpc/python
                    out: py
                """},
    )
    generation = from_buf(tmp_path)
    assert generation.protos == ("api",)
    assert generation.plugins == (
        Plugin("go", "gen/go", ("paths=source_relative", "Mfoo.proto=x/foo")),
        Plugin("go-grpc", "gen/go", (), "v1.5.1"),
        Plugin("python", "py"),
        Plugin("grpc_python", "py"),
    )


def test_buf_v1_takes_its_module_directory_and_plugin_names(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "buf.gen.yaml": "version: v1\nplugins:\n  - plugin: go\n    out: .\n"
            "  - name: go-grpc\n    out: .\n    opt: paths=source_relative\n",
            "buf.yaml": "version: v2\nmodules:\n  - path: protos\n",
        },
    )
    generation = from_buf(tmp_path)
    assert generation.protos == ("protos",)
    assert [p.name for p in generation.plugins] == ["go", "go-grpc"]


def test_a_plugin_tandem_cannot_run_makes_the_step_say_so(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **PROTO,
            "buf.gen.yaml": "version: v2\ninputs:\n  - directory: proto\nplugins:\n"
            "  - local: protoc-gen-validate\n    out: gen\n",
        },
    )
    found = declared(tmp_path, None, (tmp_path,))
    assert found is not None
    assert "plugin 'protoc-gen-validate' is not one Tandem runs" in found.problem


def test_no_proto_file_means_no_generation(tmp_path: Path) -> None:
    write_tree(tmp_path, {"buf.gen.yaml": "version: v2\nplugins: []\n"})
    assert declared(tmp_path, None, (tmp_path,)) is None
    undeclared = write_tree(tmp_path / "other", PROTO)
    assert declared(undeclared, None, (undeclared,)) is None


def test_protos_outside_the_project_must_be_in_a_project_it_needs(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {f"api/{k}": v for k, v in PROTO.items()})
    client = tmp_path / "client"
    client.mkdir()
    wanted = Generation(("../api/proto",), (Plugin("python", "gen"),))
    assert declared(client, wanted, (client,)).problem.endswith(
        "lies outside the project; add the project holding it to needs"
    )
    assert declared(client, wanted, (client, tmp_path / "api")) == wanted


@pytest.mark.parametrize(
    ("generate", "said"),
    [
        ({"plugins": [{"name": "rust", "out": "gen"}]}, "plugin 'rust' is not one"),
        ({"protos": ["proto"]}, "plugins must be a list"),
        ({"plugins": [{"name": "go", "out": "/abs"}]}, "must be a directory relative"),
        ({"plugins": [{"name": "go", "out": "g"}], "lang": 1}, "unknown key 'lang'"),
        ("go", "must be a table"),
    ],
)
def test_a_wrong_generate_setting_is_a_configuration_error(generate, said) -> None:
    table = {"projects": {"api": {"generate": generate}}}
    with pytest.raises(TandemError, match=said):
        parse_config(table)


def test_a_go_plugin_takes_the_version_the_module_requires(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "go.mod": "module x\n\ngo 1.24\n\nrequire (\n"
            "\tgoogle.golang.org/protobuf v1.36.5\n)\n"
        },
    )
    project = Project("x", "go", tmp_path)
    assert version(project, Plugin("go", "gen")) == "v1.36.5"
    assert version(project, Plugin("go", "gen", version="v1.30.0")) == "v1.30.0"
    assert (
        version(project, Plugin("go-grpc", "gen"))
        == protoc_spec.KINDS["go-grpc"].default
    )


GENERATING = Generation(("proto",), (Plugin("python", "gen"), Plugin("pyi", "gen")))


def test_only_a_generating_project_has_a_generate_task_and_its_steps_come_after_it(
    tmp_path: Path,
) -> None:
    api = Project("api", "python", tmp_path / "api", generate=GENERATING)
    plain = Project("plain", "go", tmp_path / "plain")
    tasks = {t.id: t for t in make_plan([api, plain], tuple(Step))}
    assert "plain:generate" not in tasks and "api:generate" in tasks
    after = {i: t.after for i, t in tasks.items() if t.after}
    assert after == {i: ("api:generate",) for i in ("api:build", "api:vet", "api:test")}
    assert (
        make_plan([api], (Step.TEST,))[1].after == ()
    )  # no generate task: nothing to wait for


def test_a_step_after_a_red_generate_still_runs_and_after_a_missing_one_at_once() -> (
    None
):
    project = Project("api", "python", Path("/nowhere"), generate=GENERATING)
    generate = Task(project, Step.GENERATE)
    test = Task(project, Step.TEST, after=(generate.id,))
    lone = Task(project, Step.VET, after=("other:generate",))
    order: list[str] = []

    async def execute(task: Task, slots: int) -> Outcome:
        order.append(task.id)
        verdict = Verdict.FAILURE if task.step is Step.GENERATE else Verdict.PASSED
        return Outcome(task, (TestCase("api", "x", verdict=verdict),))

    outcomes = asyncio.run(run_plan([generate, test, lone], execute, Budget(1, 1)))
    assert order.index("api:generate") < order.index("api:test")
    assert [bool(o) for o in outcomes] == [False, True, True]


def test_ruff_and_black_leave_the_declared_generated_files_alone(
    tmp_path: Path,
) -> None:
    project = Project("api", "python", tmp_path, generate=GENERATING)
    ruff = python_lint._ruff_excludes(project)
    assert "gen/**/*_pb2.py" in ruff and "gen/**/*_pb2.pyi" in ruff
    black = python_lint._black_excludes(project)[1]
    assert re.search(black, "/repo/api/gen/a/v1/a_pb2.pyi")
    assert not re.search(black, "/repo/api/src/a_pb2_helper.py")
