"""Consumes the projects and stories events: links projects to their ideas, moves ideas to in progress and
implemented, and keeps the read model the similar-ideas search looks in."""

from services.ideas.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
