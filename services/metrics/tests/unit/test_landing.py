"""When the aggregator worker merges what a backfill landed: not while it is still landing, unless
a measure has waited too long."""

import pytest

from services.metrics.adapters.measures import Landing
from services.metrics.service_layer.aggregator import LANDED_WAIT, LANDING_QUIET, still_landing


@pytest.mark.parametrize(("oldest", "newest", "waits"), [
    (None, None, False),  # nothing landed
    (5.0, 0.1, True),  # landing now: the consumers come first
    (5.0, LANDING_QUIET + 0.5, False),  # landing has stopped
    (LANDED_WAIT + 1, 0.1, False),  # still landing, but the oldest has waited long enough
])
def test_merging_waits_only_while_a_backfill_is_landing_and_not_for_long(oldest, newest, waits):
    assert still_landing(Landing(oldest, newest)) is waits
