"""Consumes measure.recorded events from feeds and services."""

from services.metrics.bootstrap import SERVICE, event_handlers
from shared import topics
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, [topics.MEASURES], event_handlers)
