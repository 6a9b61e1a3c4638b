"""Turns the events people subscribe to into queued emails."""

from services.notifications.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
