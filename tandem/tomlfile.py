"""TOML files, each parsed once while it stays unchanged.

Discovery, the configuration, the manifest checks and the Python adapter all read the same
`pyproject.toml` files; parsing each once keeps a run that replays everything fast. A file is
parsed again when its size or mtime changes. Callers get the shared document: they read it and
never change it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

_PARSED: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}


def load(path: Path) -> dict[str, Any]:
    """The parsed file; OSError, UnicodeDecodeError or tomllib.TOMLDecodeError as tomllib says."""
    st = os.stat(path)
    signature = (st.st_size, st.st_mtime_ns)
    known = _PARSED.get(path)
    if known is not None and known[0] == signature:
        return known[1]
    with open(path, "rb") as file:
        document = tomllib.loads(file.read().decode("utf-8"))
    _PARSED[path] = (signature, document)
    return document
