"""A Python project's own pyproject.toml, checked for the shapes that Tandem and its tools read.

One project's broken file must not stop the others: discovery keeps the problem beside the
project, and the project's steps become error cases naming it instead of running tools
that would each fail in their own words (or crash on a string where a table belongs).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tandem import tomlfile

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Kind:
    """What a key's value must be, and how a message says so."""

    description: str
    accepts: Callable[[Any], bool]


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_group_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str | dict) for v in value)


TABLE = Kind("a table", _is_table)
TEXT = Kind("a string", lambda value: isinstance(value, str))
TEXTS = Kind("a list of strings", _is_strings)
EXTRAS = Kind(
    "a table of lists of strings",
    lambda value: _is_table(value) and all(map(_is_strings, value.values())),
)
GROUPS = Kind(
    "a table of lists (PEP 735)",
    lambda value: _is_table(value) and all(map(_is_group_list, value.values())),
)
# Parents come before their keys: a key is only looked at once its parent is a table.
SHAPES: tuple[tuple[str, Kind], ...] = (
    ("project", TABLE),
    ("project.name", TEXT),
    ("project.version", TEXT),
    ("project.requires-python", TEXT),
    ("project.dependencies", TEXTS),
    ("project.optional-dependencies", EXTRAS),
    ("build-system", TABLE),
    ("build-system.requires", TEXTS),
    ("build-system.build-backend", TEXT),
    ("dependency-groups", GROUPS),
    ("tool", TABLE),
    ("tool.uv", TABLE),
    ("tool.uv.sources", TABLE),
    ("tool.uv.workspace", TABLE),
    ("tool.poetry", TABLE),
    ("tool.pytest", TABLE),
    ("tool.pytest.ini_options", TABLE),
    ("tool.black", TABLE),
    ("tool.ruff", TABLE),
)


def problem(path: Path) -> str:
    """What is wrong with the pyproject.toml in `path`; "" when it is fine or there is none."""
    file = path / PYPROJECT
    if not file.is_file():
        return ""
    try:
        document = tomlfile.load(file)
    except UnicodeDecodeError:
        return f"{PYPROJECT} is not valid UTF-8; save it as UTF-8"
    except OSError as exc:
        return f"cannot read {PYPROJECT} ({exc.strerror or exc}); fix its permissions"
    except tomllib.TOMLDecodeError as exc:
        return f"{PYPROJECT} is not valid TOML ({exc}); fix the file"
    found = (_mismatch(document, key, kind) for key, kind in SHAPES)
    return next((message for message in found if message), "")


def _mismatch(document: Mapping[str, Any], key: str, kind: Kind) -> str:
    """A message when `key` is present with the wrong kind of value; "" otherwise."""
    value: Any = document
    for name in key.split("."):
        if not _is_table(value) or name not in value:
            return ""
        value = value[name]
    if kind.accepts(value):
        return ""
    return f"{PYPROJECT}: {key} must be {kind.description}, not {_shown(value)}; fix the file"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
