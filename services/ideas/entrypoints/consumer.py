"""Consumes project.created, to link each project to the idea it came from."""

from services.ideas.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
