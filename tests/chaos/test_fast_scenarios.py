"""The fault suite's fast scenarios (chaos/scenarios.py) on the servers `make test` started: a
consumer and a relay killed with SIGKILL, poison of every kind, two revisions in reverse order, a
rebalance and SMTP down while alerts fire, each on a ground truth of its own, with 0 lost and 0
duplicated. `make chaos` runs them all, outages of PostgreSQL and Kafka and a full replay too."""

import os

import pytest

from chaos.scenarios import SCENARIOS, Options
from chaos.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

# Smaller ground truths than `make chaos`: seconds a scenario.
OPTIONS = Options(wards=4, months=36, smtp_outage_seconds=3.0, timeout=120.0)


@pytest.fixture(scope="module")
def stack():
    env = os.environ.get("WTGR_ENV")
    if not env:
        pytest.fail("WTGR_ENV is not set: run the suite with `make test`, which starts the real servers")
    stack = Stack.of(env)
    yield stack
    stack.stop_extras()


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.fast], ids=lambda s: s.name)
def test_nothing_is_lost_or_doubled_when(scenario, stack):
    row = scenario.run(stack, OPTIONS)
    assert row.ok, f"{row.scenario}: lost {row.lost}, duplicated {row.duplicated}, recovery {row.recovery}, " \
                   f"{row.problems} ({row.notes})"
