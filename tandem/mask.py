"""Secrets kept out of everything Tandem writes: their values become `***`.

A value is secret when its environment variable's name holds TOKEN, SECRET, PASSWORD or
KEY (in any case) and it is at least MIN_LENGTH characters long, or when `[tool.tandem]
secrets` names the variable. One Masker is built per run and applied where results leave
the engine, so the report, the summaries and the terminal lines are all rendered from
masked text; the command line passes its own messages and the crash log through one too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from functools import cached_property
from typing import Any, TypeVar

from tandem.model import Outcome

MASK = "***"
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "KEY")
MIN_LENGTH = 4
# Flags that happen to sit in secret-looking names; masking them would garble every report.
NOT_SECRET = frozenset({"true", "false", "none", "null"})

T = TypeVar("T")


def looks_secret(name: str) -> bool:
    """True for a variable name that holds TOKEN, SECRET, PASSWORD or KEY in any case."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


@dataclass(frozen=True)
class Masker:
    """Replaces each secret value with `***`; `Masker()` masks nothing."""

    values: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str], names: Iterable[str] = ()) -> Masker:
        """The secrets of `environ`: secret-looking names, and the `names` configured."""
        named = set(names)
        found = {
            value
            for name, value in environ.items()
            if (name in named and value) or _secret_value(name, value)
        }
        # Longest first, so that a secret holding another one is masked whole.
        return cls(tuple(sorted(found, key=lambda value: (-len(value), value))))

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        return re.compile("|".join(map(re.escape, self.values)))

    def text(self, text: str) -> str:
        """`text` with every secret value replaced by `***`."""
        return self._pattern.sub(MASK, text) if self.values and text else text

    def outcome(self, outcome: Outcome) -> Outcome:
        """The outcome with its cases and properties masked; the task stays as planned."""
        if not self.values:
            return outcome
        cases, properties = self.deep(outcome.cases), self.deep(outcome.properties)
        if cases is outcome.cases and properties is outcome.properties:
            return outcome
        return replace(outcome, cases=cases, properties=properties)

    def deep(self, value: T) -> T:
        """`value` with every string inside its frozen dataclasses and tuples masked."""
        return self._deep(value) if self.values else value

    def _deep(self, value: Any) -> Any:
        if type(value) is str:  # not str-valued enums: they stay what they are
            return self.text(value)
        if type(value) is tuple:
            masked = tuple(self._deep(item) for item in value)
            return value if all(a is b for a, b in zip(masked, value)) else masked
        if is_dataclass(value) and not isinstance(value, type):
            return self._deep_dataclass(value)
        return value

    def _deep_dataclass(self, value: Any) -> Any:
        changed = {}
        for item in fields(value):
            old = getattr(value, item.name)
            new = self._deep(old)
            if new is not old and item.init:
                changed[item.name] = new
        return replace(value, **changed) if changed else value


def _secret_value(name: str, value: str) -> bool:
    return (
        looks_secret(name)
        and len(value) >= MIN_LENGTH
        and value.lower() not in NOT_SECRET
    )
