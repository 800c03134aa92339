"""Sharding: `--shard K/N` read, and a plan's work dealt to N shards by recorded time.

Pure logic. Every shard computes the whole assignment from the same plan and the same
durations and keeps its own share, so N machines agree on a split without talking: units go
longest first (ties by task id and part), each to the shard where it would end soonest (ties
by the lower number), counting the builds it needs that the shard does not run yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tandem.model import TandemError

_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
# GitLab's `parallel: N` numbers its jobs 1..N in these variables.
ENV_INDEX, ENV_TOTAL = "CI_NODE_INDEX", "CI_NODE_TOTAL"


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `total`."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def parse_shard(text: str, source: str = "--shard") -> Shard:
    """`K/N` as a Shard; a TandemError naming `source` when it is not one."""
    found = _FORM.match(text)
    if not found:
        raise TandemError(f"{source} {text}: expected K/N, like 2/4")
    index, total = int(found[1]), int(found[2])
    if total < 1:
        raise TandemError(f"{source} {text}: N must be at least 1")
    if not 1 <= index <= total:
        raise TandemError(f"{source} {text}: K must be between 1 and N")
    return Shard(index, total)


def shard_from_env(environ: Mapping[str, str]) -> Shard | None:
    """GitLab's parallel job number (`CI_NODE_INDEX`/`CI_NODE_TOTAL`), when both are set."""
    index, total = environ.get(ENV_INDEX, ""), environ.get(ENV_TOTAL, "")
    if not index or not total:
        return None
    return parse_shard(f"{index}/{total}", f"{ENV_INDEX}/{ENV_TOTAL}")


@dataclass(frozen=True)
class Unit:
    """A piece of work a shard can take: a task, or one part of a task split below its project."""

    task: str  # the task id
    seconds: float  # expected
    part: str = ""  # a Go package, a pytest file...; "" for the whole task
    needs: tuple[
        str, ...
    ] = ()  # task ids it waits for, directly or not: its shard runs them


def dominant(seconds: float, everything: float, total: int) -> bool:
    """True when one task alone would hold a shard longer than an even share of the work."""
    return total > 1 and seconds > everything / total


def split(unit: Unit, parts: Sequence[str]) -> tuple[Unit, ...]:
    """The unit as its parts, the time shared evenly; the unit itself with fewer than two."""
    if len(parts) < 2:
        return (unit,)
    share = unit.seconds / len(parts)
    return tuple(Unit(unit.task, share, part, unit.needs) for part in parts)


def assign(
    units: Sequence[Unit], total: int, costs: Mapping[str, float]
) -> tuple[tuple[Unit, ...], ...]:
    """The units of each of `total` shards; `costs` are the expected seconds of needed tasks."""
    loads = [0.0] * total
    running: list[set[str]] = [set() for _ in range(total)]
    dealt: list[list[Unit]] = [[] for _ in range(total)]
    for unit in sorted(units, key=lambda u: (-u.seconds, u.task, u.part)):
        added = [_added(unit, running[s], costs) for s in range(total)]
        best = min(range(total), key=lambda s: (loads[s] + added[s], s))
        loads[best] += added[best]
        running[best].update(unit.needs)
        running[best].update([unit.task] if not unit.part else [])
        dealt[best].append(unit)
    return tuple(tuple(units) for units in dealt)


def _added(unit: Unit, running: set[str], costs: Mapping[str, float]) -> float:
    """What a unit adds to a shard: itself (unless it runs there anyway) and the needs it lacks."""
    own = 0.0 if not unit.part and unit.task in running else unit.seconds
    return own + sum(costs.get(need, 0.0) for need in unit.needs if need not in running)


def load(units: Sequence[Unit], costs: Mapping[str, float]) -> float:
    """A shard's expected seconds: its units and, once each, the tasks they need."""
    needs = {n for u in units for n in u.needs} - {u.task for u in units if not u.part}
    return sum(u.seconds for u in units) + sum(costs.get(n, 0.0) for n in needs)
