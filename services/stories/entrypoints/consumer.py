"""Consumes project.completed (to draft a story), project.stage_changed, pdsa.cycle_started and
kpi.updated (the read models its before/after charts are drawn from)."""

from services.stories.bootstrap import SERVICE, event_handlers
from shared.processes import run_consumer

if __name__ == "__main__":
    run_consumer(SERVICE, event_handlers)
