"""Turns KPI events (updates, overdue measures) into emails queued for the KPI's owners, and
the steps of ideas, projects and stories into emails queued for the people each concerns. Special
causes and opened signals are the alert lane's (entrypoints/alerts.py)."""

from services.notifications.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
