"""Code generation as a project declares it: the plugins Tandem runs, their pinned versions, and
the two places a declaration lives (`buf.gen.yaml`, or `generate` in Tandem's config).

A declaration names import roots holding `.proto` files and one output directory per plugin;
the generated files are checked in there. protoc comes from grpcio-tools (PyPI); the Go
plugins are built from the Go module proxy at the version the module itself requires.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from tandem.adapters import go_work
from tandem.lazy import lazy
from tandem.model import Generation, Plugin, Project

yaml = lazy("yaml")

BUF_GEN = "buf.gen.yaml"
CONFIGURED = "[tool.tandem] generate"
GRPCIO_TOOLS = "1.85.1"  # protoc 7.35.1 and the grpc_python plugin


@dataclass(frozen=True)
class Kind:
    """What Tandem knows of one plugin: how protoc calls it and what it writes."""

    suffixes: tuple[str, ...]  # the endings of the files it writes
    package: str = (
        ""  # the Go package built as the plugin; "": built into grpc_tools.protoc
    )
    pinned_by: str = ""  # the go.mod requirement whose version the plugin takes
    default: str = ""  # the version without such a requirement


KINDS: Mapping[str, Kind] = {
    "go": Kind(
        (".pb.go",),
        "google.golang.org/protobuf/cmd/protoc-gen-go",
        "google.golang.org/protobuf",
        "v1.36.12",
    ),
    "go-grpc": Kind(
        ("_grpc.pb.go",),
        "google.golang.org/grpc/cmd/protoc-gen-go-grpc",
        "google.golang.org/grpc/cmd/protoc-gen-go-grpc",
        "v1.6.2",
    ),
    "python": Kind(("_pb2.py",)),
    "pyi": Kind(("_pb2.pyi",)),
    "grpc_python": Kind(("_pb2_grpc.py",)),
}
# Other spellings of the same plugins: buf's local names and its remote plugins' last two parts.
ALIASES = {
    "grpc-python": "grpc_python",
    "protocolbuffers/go": "go",
    "grpc/go": "go-grpc",
    "protocolbuffers/python": "python",
    "protocolbuffers/pyi": "pyi",
    "grpc/python": "grpc_python",
}


class Invalid(ValueError):
    """A declaration Tandem cannot follow; the message says what and how to fix it."""


def kind_name(spelled: str) -> str:
    """The plugin's name in KINDS, from any of its spellings; Invalid for one Tandem lacks."""
    name = spelled.removeprefix("protoc-gen-")
    name = ALIASES.get(name, name)
    if name not in KINDS:
        known = ", ".join(KINDS)
        raise Invalid(f"plugin {spelled!r} is not one Tandem runs (known: {known})")
    return name


def declared(
    path: Path, configured: Generation | None, readable: tuple[Path, ...]
) -> Generation | None:
    """The project's declaration (Tandem's config wins over its `buf.gen.yaml`), or None when
    it declares none or its import roots hold no .proto file. Roots outside the project must
    lie in `readable` (the projects it needs), whose files its key covers."""
    try:
        generation = configured or (
            from_buf(path) if (path / BUF_GEN).is_file() else None
        )
    except Invalid as exc:
        return Generation((), (), declared_in=BUF_GEN, problem=f"{BUF_GEN}: {exc}")
    if generation is None or not any(proto_files(path, r) for r in generation.protos):
        return None
    stray = [
        r for r in generation.protos if not _inside((path / r).resolve(), readable)
    ]
    if stray:
        problem = f"{generation.declared_in}: protos {stray[0]!r} lies outside the project; add the project holding it to needs"
        return replace(generation, problem=problem)
    return generation


def _inside(folder: Path, tops: tuple[Path, ...]) -> bool:
    return any(folder == top or folder.is_relative_to(top) for top in tops)


def from_table(table: Mapping[str, Any], where: str) -> Generation:
    """`generate = { protos = [...], plugins = [{ name, out, opt, version }], grpcio-tools }`."""
    _known(table, ("protos", "plugins", "grpcio-tools"), where)
    protos = _list(table.get("protos", ["proto"]), f"{where} protos")
    plugins = table.get("plugins")
    if not isinstance(plugins, list) or not plugins:
        raise Invalid(
            f'{where} plugins must be a list like [{{ name = "go", out = "gen" }}]'
        )
    return Generation(
        tuple(_relative(p, f"{where} protos") for p in protos),
        tuple(_plugin(p, f"{where} plugins") for p in plugins),
        grpcio_tools=_text(table.get("grpcio-tools", ""), f"{where} grpcio-tools"),
        declared_in=CONFIGURED,  # no path: the declaration is part of portable cache keys
    )


def _plugin(table: Any, where: str) -> Plugin:
    if not isinstance(table, Mapping):
        raise Invalid(f"{where}: each plugin is a table with name and out")
    _known(table, ("name", "out", "opt", "version"), where)
    name = kind_name(_text(table.get("name", ""), f"{where} name"))
    out = _relative(_text(table.get("out", ""), f"{where} out"), f"{where} out")
    return Plugin(name, out, _options(table.get("opt")), table.get("version", ""))


def from_buf(path: Path) -> Generation:
    """A buf.gen.yaml (v1 or v2): its inputs' directories and its local, builtin and remote
    plugins."""
    try:
        document = yaml.safe_load((path / BUF_GEN).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise Invalid(f"cannot be read ({str(exc).splitlines()[0]})") from None
    if not isinstance(document, Mapping) or not isinstance(
        document.get("plugins"), list
    ):
        raise Invalid("holds no plugins list")
    plugins = tuple(_buf_plugin(p) for p in document["plugins"])
    return Generation(_buf_inputs(document, path), plugins, declared_in=BUF_GEN)


def _buf_inputs(document: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    inputs = document.get("inputs") or [{"directory": _buf_module(path)}]
    found = [i.get("directory") for i in inputs if isinstance(i, Mapping)]
    if not found or not all(isinstance(d, str) for d in found):
        raise Invalid("only `directory` inputs are supported")
    return tuple(_relative(d, "inputs") for d in found)


def _buf_module(path: Path) -> str:
    """buf.yaml's first module path (v2); the directory itself otherwise."""
    try:
        document = yaml.safe_load((path / "buf.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "."
    modules = document.get("modules") if isinstance(document, Mapping) else None
    first = modules[0] if isinstance(modules, list) and modules else {}
    return str(first.get("path", ".")) if isinstance(first, Mapping) else "."


def _buf_plugin(entry: Any) -> Plugin:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("out"), str):
        raise Invalid("each plugin needs an `out` directory")
    spelled = next((entry[k] for k in _BUF_NAMES if isinstance(entry.get(k), str)), "")
    remote, _, version = spelled.partition(":")
    name = "/".join(remote.split("/")[-2:]) if "/" in remote else remote
    out = _relative(entry["out"], "out")
    return Plugin(kind_name(name), out, _options(entry.get("opt")), version)


# v2: local, protoc_builtin, remote; v1: plugin, name, remote.
_BUF_NAMES = ("local", "protoc_builtin", "remote", "plugin", "name")


def _options(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def _known(table: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise Invalid(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(keys)})")


def _list(value: Any, where: str) -> list[str]:
    value = [value] if isinstance(value, str) else value
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise Invalid(f"{where} must be a list of directories")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{where} must be a string, not {value!r}")
    return value


def _relative(value: str, where: str) -> str:
    if not value.strip() or PurePosixPath(value).is_absolute():
        raise Invalid(f"{where}: {value!r} must be a directory relative to the project")
    return PurePosixPath(value).as_posix()


def proto_files(path: Path, root: str) -> tuple[str, ...]:
    """The .proto files under a project's import root, relative to the root, sorted."""
    top = path / root
    found: list[str] = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder).relative_to(top)
        found.extend((here / f).as_posix() for f in files if f.endswith(".proto"))
    return tuple(sorted(found))


def version(project: Project, plugin: Plugin) -> str:
    """A Go plugin's version: its pin, else the module's own requirement, else Tandem's."""
    kind = KINDS[plugin.name]
    return plugin.version or _required(project.path, kind.pinned_by) or kind.default


def _required(path: Path, module: str) -> str:
    """The version of `module` that the go.mod in `path` requires (or names as a tool)."""
    for arg in go_work.directive_args(go_work.lines(path / go_work.GO_MOD), "require"):
        found = go_work.words(arg)
        if len(found) >= 2 and found[0] == module:
            return found[1]
    return ""


def generated(project: Project) -> Iterator[tuple[str, str]]:
    """(output directory, file ending) of every file the declaration generates."""
    generation = project.generate
    for plugin in generation.plugins if generation else ():
        for suffix in KINDS[plugin.name].suffixes:
            yield plugin.out, suffix
