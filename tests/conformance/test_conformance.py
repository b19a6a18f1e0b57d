"""The conformance suite: every adversarial scenario against the built-in transport and the httpx
path, in the blocking and the asyncio client.

A scenario fails the suite when the built-in transport does worse than httpx, or when a side
crashes. Where both fall short of the RFC, the scenario is marked ``gap`` and the suite checks that
it still is (so the README table stays true); a gap that closes fails until the table is updated.
``make test`` runs the short profile; ``CONFORMANCE=full`` waits longer in the deadline scenarios.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from .scenarios import SCENARIOS, Context, Scenario
from .sides import SIDES

CASES = [
    pytest.param(scenario, mode, id=f"{scenario.id}-{mode}")
    for scenario in SCENARIOS
    for mode in scenario.modes
]


@pytest.fixture(scope="module")
def context(
    tr: SimpleNamespace,
    certificate: SimpleNamespace,
    other_certificate: SimpleNamespace,
    client_kwargs: dict[str, Any],
) -> Context:
    return Context(tr, certificate, other_certificate, client_kwargs)


@pytest.mark.parametrize(("scenario", "mode"), CASES)
def test_the_built_in_transport_does_no_worse_than_httpx(
    context: Context, scenario: Scenario, mode: str
) -> None:
    verdicts = {side: scenario.run(context, side, mode) for side in SIDES}
    built_in, httpx_side = verdicts["built-in"], verdicts["httpx"]
    report = f"{scenario.title} [{mode}]: built-in: {built_in.note}; httpx: {httpx_side.note}"
    assert "crash" not in built_in.note, report
    if scenario.gap:
        assert not built_in.ok and not httpx_side.ok, f"the gap closed, update the table: {report}"
    else:
        assert built_in.ok, report
