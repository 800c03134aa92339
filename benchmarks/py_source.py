"""Source of one generated Python project: a stdlib JSON API module over WSGI, and its tests.

The text is written black-clean and ruff-clean; `tests/test_benchmarks.py` checks both.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Template

PYPROJECT = Template("""\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "$name"
version = "0.1.0"
description = "The $name service: a small JSON API on the standard library."
requires-python = ">=3.11"

[project.optional-dependencies]
test = ["pytest==9.2.0", "pytest-xdist==3.8.0"]

[tool.hatch.build.targets.wheel]
packages = ["src/$package"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""")

API = Template('''\
"""The $name service: items and digests as JSON, served over WSGI."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from wsgiref.simple_server import make_server

NAME = "$name"


class Store:
    """Items kept in memory: name -> count."""

    def __init__(self) -> None:
        self.items: dict[str, int] = {}


def checksum(text: str, rounds: int) -> str:
    """The hex SHA-256 of `text`, hashed again `rounds` times."""
    digest = hashlib.sha256(text.encode()).digest()
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def handle(store: Store, method: str, path: str, body: bytes = b"") -> tuple:
    """Route one request; returns the HTTP status and the JSON document to send."""
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return HTTPStatus.BAD_REQUEST, {"error": "the body is not JSON"}
    if (method, path) == ("GET", "/health"):
        return HTTPStatus.OK, {"name": NAME}
    if (method, path) == ("GET", "/items"):
        items = sorted(store.items.items())
        return HTTPStatus.OK, [{"name": k, "count": v} for k, v in items]
    if (method, path) == ("POST", "/items"):
        return add(store, document)
    if (method, path) == ("POST", "/digest"):
        return digest(document)
    return HTTPStatus.NOT_FOUND, {"error": f"no route for {method} {path}"}


def add(store: Store, document: dict) -> tuple[int, object]:
    """Store one item: {"name": str, "count": int}."""
    name, count = document.get("name"), document.get("count")
    if not isinstance(name, str) or not name or not isinstance(count, int):
        return HTTPStatus.BAD_REQUEST, {"error": "want a name and a count"}
    store.items[name] = count
    return HTTPStatus.CREATED, {"name": name, "count": count}


def digest(document: dict) -> tuple[int, object]:
    """The checksum of {"text": str, "rounds": int}."""
    text, rounds = document.get("text"), document.get("rounds")
    if not isinstance(text, str) or not isinstance(rounds, int) or rounds < 0:
        return HTTPStatus.BAD_REQUEST, {"error": "want a text and rounds >= 0"}
    return HTTPStatus.OK, {"digest": checksum(text, rounds)}


STORE = Store()


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """The WSGI entry point."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size) if size else b""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    status, document = handle(STORE, method, path, body)
    phrase = HTTPStatus(status).phrase
    start_response(f"{status} {phrase}", [("Content-Type", "application/json")])
    return [json.dumps(document).encode()]


def main() -> None:
    """Serve on 127.0.0.1:8080."""
    make_server("127.0.0.1", 8080, application).serve_forever()
''')

TEST_HEAD = Template('''\
"""Tests for the $name API: each adds an item, then pays its configured cost."""

from __future__ import annotations

import json
$imports
from $package.api import NAME, Store, checksum, handle


def call(store: Store, method: str, path: str, document: object = None) -> tuple:
    body = b"" if document is None else json.dumps(document).encode()
    return handle(store, method, path, body)


def add_item(store: Store, name: str) -> None:
    item = {"name": name, "count": len(name)}
    assert call(store, "POST", "/items", item) == (201, item)
''')

EXERCISE_CPU = '''

def exercise(name: str, rounds: int) -> None:
    """Add an item, then ask for a digest of its name that costs `rounds` hashes."""
    store = Store()
    add_item(store, name)
    status, body = call(store, "POST", "/digest", {"text": name, "rounds": rounds})
    assert (status, body) == (200, {"digest": checksum(name, rounds)})
    assert call(store, "GET", "/health") == (200, {"name": NAME})
'''

EXERCISE_WAIT = '''

def exercise(name: str, ms: int) -> None:
    """Add an item, then wait `ms` for a reply that never comes, as a client with a timeout does."""
    store = Store()
    add_item(store, name)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ready, _, _ = select.select([ours], [], [], ms / 1000)
    assert ready == []
    status, body = call(store, "POST", "/digest", {"text": name, "rounds": 1})
    assert (status, body) == (200, {"digest": checksum(name, 1)})
    assert call(store, "GET", "/health") == (200, {"name": NAME})
'''

TEST_CASE = Template("""

def test_item_$number() -> None:
    exercise("item-$number", $units)
""")


def package(name: str) -> str:
    """The import name of a project's package."""
    return name.replace("-", "_")


def files(name: str, cost: str, units: int, tests: int) -> Mapping[str, str]:
    """Every file of one Python project, keyed by its path inside the project."""
    pkg = package(name)
    imports = "import select\nimport socket\n" if cost == "wait" else ""
    head = TEST_HEAD.substitute(name=name, package=pkg, imports=imports)
    cases = "".join(
        TEST_CASE.substitute(number=f"{i:03d}", units=units)
        for i in range(1, tests + 1)
    )
    return {
        "pyproject.toml": PYPROJECT.substitute(name=name, package=pkg),
        f"src/{pkg}/__init__.py": f'"""The {name} service."""\n',
        f"src/{pkg}/api.py": API.substitute(name=name),
        "tests/test_api.py": head
        + (EXERCISE_WAIT if cost == "wait" else EXERCISE_CPU)
        + cases,
    }
