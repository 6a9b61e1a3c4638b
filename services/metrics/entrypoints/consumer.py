"""Consumes measure.recorded events from feeds and services, and the programme's own activity."""

from services.metrics.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
