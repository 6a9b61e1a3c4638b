"""Consumes measure.recorded events from feeds and services (wtgr.measures). What metrics follows
of the other services and of its own charts is the events lane's (entrypoints/events.py)."""

from services.metrics.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
