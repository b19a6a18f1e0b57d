"""Hypothesis profiles of the fuzz suite: a short one for ``make test``/CI, a long one locally.

``FUZZ_PROFILE=long .venv/bin/pytest tests/fuzz`` runs every property with many more examples and
a random seed; the default ``ci`` profile is derandomized (the same examples every run, so CI is
never flaky) and sized to keep the whole folder well under a minute.

The profiles are registered under their own names and applied per test with :func:`fuzz`, so
loading this module does not change Hypothesis's defaults for the rest of the test suite.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILE", "fuzz"]

PROFILE = os.environ.get("FUZZ_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    raise RuntimeError(f"FUZZ_PROFILE must be 'ci' or 'long', not {PROFILE!r}")

_SLOW_OK = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture,
]
settings.register_profile(
    "fuzz-ci", deadline=None, derandomize=True, database=None, suppress_health_check=_SLOW_OK
)
settings.register_profile("fuzz-long", deadline=None, suppress_health_check=_SLOW_OK)


def fuzz(ci: int, long: int) -> settings:
    """Settings for one property: ``ci`` examples by default, ``long`` with FUZZ_PROFILE=long."""
    return settings(
        settings.get_profile(f"fuzz-{PROFILE}"), max_examples=ci if PROFILE == "ci" else long
    )
