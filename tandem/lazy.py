"""Modules loaded on first use (the standard library's `importlib.util.LazyLoader` recipe).

A run that replays every task from the cache never judges a tool's output nor resolves a
version specifier; the modules that do are named here at import time and loaded only when
an attribute of theirs is first read.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    """The module `name`, loaded when first used; the loaded module if it already is."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
