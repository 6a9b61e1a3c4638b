"""Consumes wtgr.ideas (the projects service's copy of ideas) and wtgr.kpis (improvement signals)."""

from services.projects.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
