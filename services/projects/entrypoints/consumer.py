"""Consumes idea.accepted, drafting a project from each accepted idea."""

from services.projects.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
