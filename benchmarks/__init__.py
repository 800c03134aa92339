"""Benchmarks for Tandem: synthetic monorepos, rival runners, and the measurements.

`python -m benchmarks --help` runs them; `python -m benchmarks.generate --help` only generates.
"""
