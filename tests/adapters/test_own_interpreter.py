"""Whether Tandem's own interpreter fits a request, decided without packaging where it can be:
the answer must be the one packaging gives."""

from __future__ import annotations

import sys

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tandem.adapters import interpreters
from tandem.adapters.interpreters import Wanted

OWN = ".".join(str(part) for part in sys.version_info[:3])
MAJOR, MINOR, MICRO = sys.version_info[:3]
SPECS = [
    f">={MAJOR}.{MINOR}",
    f">={MAJOR}.{MINOR + 1}",
    f">={MAJOR}.{MINOR - 2},<{MAJOR}.{MINOR + 1}",
    f"<{MAJOR}.{MINOR}",
    f"<={MAJOR}.{MINOR}",
    f"<={MAJOR}.{MINOR}.{MICRO}",
    f">{MAJOR}.{MINOR}",
    f"=={OWN}",
    f"=={MAJOR}.{MINOR}",
    f"!={OWN}",
    f"~={MAJOR}.{MINOR - 1}",  # not plain: packaging decides
    f" >= {MAJOR} , < {MAJOR + 1} ",
]


@pytest.mark.parametrize("spec", SPECS)
def test_a_specifier_set_is_judged_as_packaging_judges_it(spec):
    assert interpreters.own_fits(Wanted(spec, "requires-python")) == (
        Version(OWN) in SpecifierSet(spec)
    )


@pytest.mark.parametrize(
    ("pinned", "fits"),
    [(f"{MAJOR}.{MINOR}", True), (OWN, True), (f"{MAJOR}.{MINOR + 1}", False)],
)
def test_a_pinned_version_is_a_prefix_of_the_interpreters(pinned, fits):
    assert interpreters.own_fits(Wanted(pinned, ".python-version")) is fits


def test_no_request_takes_tandems_own():
    assert interpreters.own_fits(None)
