"""Pretended versions: the project's own builds get them; its dependencies' builds do not."""

from __future__ import annotations

import pytest

from tandem.adapters import scm_version

ENV = {
    "UV_NO_PROGRESS": "1",
    "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_TAGGED": "1.4.0+tandem",
    "SETUPTOOLS_SCM_PRETEND_VERSION": "1.4.0+tandem",
    "VCS_VERSIONING_PRETEND_VERSION": "1.4.0+tandem",
}
NAMED_ONLY = {k: v for k, v in ENV.items() if k not in scm_version.GENERAL}


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        ({"project": {"name": "tagged", "dynamic": ["version"]}}, NAMED_ONLY),
        ({"project": {"name": "tagged", "dependencies": ["attrs"]}}, NAMED_ONLY),
        ({"project": {"name": "tagged", "dynamic": ["version", "dependencies"]}}, ENV),
        ({"project": {"dynamic": ["optional-dependencies"]}}, ENV),
        ({"build-system": {"requires": ["setuptools-scm"]}}, ENV),  # setup.py decides
    ],
    ids=["static", "listed", "dynamic", "dynamic-extras", "no-project-table"],
)
def test_dependencies_are_built_without_the_general_pretended_version(
    pyproject: dict, expected: dict
) -> None:
    assert scm_version.for_dependencies(ENV, pyproject) == expected
