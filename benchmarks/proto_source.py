"""The code-generation part of a synthetic project: a .proto contract and its declaration.

A Go module declares protoc-gen-go in `buf.gen.yaml` (output `gen/`, source-relative paths) and
requires the protobuf runtime its generated code links against; a Python project declares
protoc's `python` and `pyi` outputs in the root configuration. The generated code itself is
written by `tandem generate --fix` (`benchmarks.codegen` does it once, untimed).
"""

from __future__ import annotations

from collections.abc import Mapping

from benchmarks import go_source

PROTOBUF = "google.golang.org/protobuf"
PROTOBUF_VERSION = "v1.36.12"
BUF_GEN = """version: v2
inputs:
  - directory: proto
plugins:
  - local: protoc-gen-go
    out: gen
    opt: paths=source_relative
"""
# Five messages and a service: about the size of one real service's contract.
PROTO = """syntax = "proto3";

package bench.{package}.v1;

option go_package = "{module}/gen/{package}/v1;{package}v1";

import "google/protobuf/timestamp.proto";

message Money {{
  string currency = 1;
  int64 units = 2;
  int32 nanos = 3;
}}

message Item {{
  string id = 1;
  string name = 2;
  Money price = 3;
  repeated string tags = 4;
  map<string, string> labels = 5;
  google.protobuf.Timestamp updated = 6;
}}

message GetRequest {{
  string id = 1;
}}

message ListRequest {{
  int32 page_size = 1;
  string page_token = 2;
}}

message ListResponse {{
  repeated Item items = 1;
  string next_page_token = 2;
}}

service {service} {{
  rpc Get(GetRequest) returns (Item);
  rpc List(ListRequest) returns (ListResponse);
}}
"""


def package(name: str) -> str:
    """The proto package's middle word for a project: `go-orders002` -> `go_orders002`."""
    return name.replace("-", "_")


def files(name: str, language: str) -> Mapping[str, str]:
    """The project's contract, and for Go its `buf.gen.yaml`."""
    pkg = package(name)
    service = "".join(word.capitalize() for word in pkg.split("_"))
    module = go_source.module_path(name)
    proto = PROTO.format(module=module, package=pkg, service=service)
    found = {f"proto/{pkg}/v1/{pkg}.proto": proto}
    return {**found, "buf.gen.yaml": BUF_GEN} if language == "go" else found


def go_require() -> str:
    """The go.mod line that pins the runtime (and so protoc-gen-go's version)."""
    return f"\nrequire {PROTOBUF} {PROTOBUF_VERSION}\n"


def python_config(names: list[str]) -> str:
    """The root configuration's `generate` tables for the Python projects."""
    plugins = '[{ name = "python", out = "gen" }, { name = "pyi", out = "gen" }]'
    return "".join(
        f'\n[tool.tandem.projects.{name}]\ngenerate = {{ protos = ["proto"], plugins = {plugins} }}\n'
        for name in names
    )
