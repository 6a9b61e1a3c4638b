"""The events lane: what metrics follows of the other services and of its own charts (signals
from kpi.updated and kpi.special_cause_detected, the projects measuring a series, the programme's
activity counted from ideas and projects), read in a consumer group of its own
(``metrics-events``, shared/platform.py), so a feed's measures never queue behind a backfill's
thousands of kpi.updated in the consumer's polls, nor these behind a backfill's measures."""

from services.metrics.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers, lane="events")
