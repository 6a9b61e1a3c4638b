"""What projects does with the events it reads: it keeps its own copy of ideas (to check that a
project names an accepted idea, once, and to tell the idea's submitter and followers when the
project completes), of the KPI series metrics holds (a linked measure names one) and of improvement
signals on them (evidence for the progress score).

An accepted idea no longer drafts a project by itself: its acceptance (with who to tell) is kept,
and a QI lead registers the project from it, with a team and an aim (docs/projects.md).
"""

from __future__ import annotations

from typing import Any

from services.projects.adapters import store
from shared.db import UnitOfWork
from shared.events import Envelope
from shared.month import Month

IMPROVEMENT = "special_cause_improvement"
# idea.status_changed v1 statuses are idea stages of the same name.


def on_idea_submitted(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    store.keep_idea(uow, str(payload["idea_id"]), payload["title"], None, None)


def on_idea_stage_changed(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """idea.stage_changed v1 and the older idea.status_changed v1 (its statuses are stages)."""
    stage = payload.get("to_stage") or payload["to_status"]
    store.keep_idea(uow, str(payload["idea_id"]), payload["title"], stage, None)


def on_idea_accepted(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """v1 or v2; v2's audience (the submitter with consent, the followers) is kept for the completion."""
    store.keep_idea(uow, str(payload["idea_id"]), payload["title"], "accepted", payload.get("audience"))


def on_idea_merged(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    store.keep_idea(uow, str(payload["idea_id"]), payload["title"], "merged", payload.get("audience"))


def on_kpi_updated(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """A series metrics holds: a project may link it as a measure."""
    store.keep_series(uow, payload["kpi_code"], payload["unit_code"], payload["kpi_name"], payload["unit_of_measure"])


def on_special_cause(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
    """A signal of improvement on a series is kept (its first and newest month); others are not evidence."""
    if payload["point_type"] != IMPROVEMENT:
        return
    store.record_signal(uow, payload["kpi_code"], payload["unit_code"], Month.parse(payload["signal_start"]).first_day,
                        Month.parse(payload["period"]).first_day)


EVENT_HANDLERS = {
    "idea.submitted": on_idea_submitted,
    "idea.status_changed": on_idea_stage_changed,
    "idea.stage_changed": on_idea_stage_changed,
    "idea.accepted": on_idea_accepted,
    "idea.merged": on_idea_merged,
    "kpi.updated": on_kpi_updated,
    "kpi.special_cause_detected": on_special_cause,
}
