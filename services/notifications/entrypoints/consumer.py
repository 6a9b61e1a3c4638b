"""Turns KPI events (updates, special causes, overdue measures) into emails queued for the KPI's owners, and
the steps of ideas, projects and stories into emails queued for the people each concerns."""

from services.notifications.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
