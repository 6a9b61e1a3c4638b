"""The progress score: suggested from the evidence the service holds, confirmed by the project's
lead (or a QI lead), every confirmation kept."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from services.projects.adapters import store
from services.projects.domain import progress as rules
from services.projects.domain.projects import APPROVED, LEAD, check_may_work_on
from services.projects.service_layer.common import Caller, emit, find_project, once_each, team_audience
from shared import audit
from shared.db import UnitOfWork


def evidence(uow: UnitOfWork, project: dict[str, Any]) -> rules.Evidence:
    project_id = str(project["id"])
    cycles = store.cycles(uow, project_id)
    outcome = store.outcome_measure(uow, project_id)
    signals = store.signals_on(uow, outcome["kpi_code"], outcome["unit_code"]) if outcome else []
    started = [c["started_on"] for c in cycles if c["started_on"] is not None and c["change_idea_id"] is not None]
    return rules.Evidence(
        approved=any(step["stage"] == APPROVED for step in store.history(uow, project_id)),
        outcome_measure=outcome is not None,
        change_ideas=sum(node["kind"] == "change_idea" for node in store.nodes(uow, project_id)),
        cycles_started=len(started),
        cycles_completed=sum(c["status"] == "completed" and c["change_idea_id"] is not None for c in cycles),
        changes_adopted=sum(c["decision"] == "adopt" for c in cycles),
        first_cycle_started=min(started, default=None),
        outcome_signals=tuple(rules.Signal(s["signal_start"], s["latest"]) for s in signals),
    )


def suggestion(uow: UnitOfWork, project: dict[str, Any]) -> dict[str, Any]:
    """The suggested score, the evidence behind it and the score the lead last confirmed."""
    found = evidence(uow, project)
    return {"project_id": project["id"], "suggested": rules.suggested_score(found), "score": project["progress_score"],
            "evidence": {**asdict(found), "improvement_months": found.improvement_months(),
                         "sustained_months_needed": rules.SUSTAINED_MONTHS}}


def progress_of(uow: UnitOfWork, project_id: str) -> dict[str, Any]:
    return suggestion(uow, find_project(uow, project_id))


def confirm_score(uow: UnitOfWork, project_id: str, score: Decimal, note: str | None, caller: Caller
                  ) -> dict[str, Any]:
    project = find_project(uow, project_id, for_update=True)
    check_may_work_on(project["team"], caller.subject, caller.is_qi_lead, roles=(LEAD,))
    rules.check_score(score)
    suggested = rules.suggested_score(evidence(uow, project))
    row = store.add_score(uow, project_id, score, suggested, note, caller.subject)
    audit.record(uow, "project.progress_scored", "project", project_id)
    emit(uow, "project.progress_scored", project_id, {
        "title": project["title"], "score": float(score), "suggested": float(suggested),
        "confirmed_by": caller.subject, "audience": once_each(team_audience(project["team"]))})
    return row
