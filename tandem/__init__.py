"""Tandem: build, format-check, vet and test every Go and Python project of a monorepo, one JUnit report.

The pipeline is four plain stages (see `tandem.workflow`): discover the
projects, plan the tasks, run them within one CPU budget, write the report.
"""

__version__ = "0.1.0"
# Shared with `tandem.cache.noop`, which runs before any other module loads.
DEFAULT_STATE = ".tandem"  # the state directory, under the root, unless configured
LOCK = "lock"  # the run lock's file in the state directory (`tandem.lock`)
