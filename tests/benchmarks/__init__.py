"""Benchmarks: ``python -m tests.benchmarks`` (or ``make bench``) prints one table of ratios.

Everything is measured side by side in one run against floors measured in the same run; nothing
here is a pass/fail test (see BENCHMARKS.md for how to read the table).
"""
