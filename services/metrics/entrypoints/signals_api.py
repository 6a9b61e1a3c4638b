"""Signals people act on: list and read them, acknowledge, explain, plan action and close them.

Anyone signed in reads; a signal's KPI owners (the token's email among the KPI's owners), QI
leads and admins act (403 otherwise). Each step takes If-Match with the signal's ETag (412 when
someone acted first) and is refused with 409 when the signal is not in a state it follows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app

from services.metrics.adapters import signal_store
from services.metrics.entrypoints.signals_schemas import (
    AcknowledgementSchema,
    ActionPlanSchema,
    ClosureSchema,
    ExplanationSchema,
    SignalHistorySchema,
    SignalInFullSchema,
    SignalQuery,
    SignalSchema,
    SustainmentSchema,
    UnitLeadInSchema,
    UnitLeadSchema,
)
from services.metrics.service_layer import signals
from shared.db import UnitOfWork, unit_of_work
from shared.errors import NotFound
from shared.pagination import Page, PageQuery, page, page_of
from shared.web import Blueprint, current_principal, if_match_version, requires_roles, requires_sign_in, versioned

signals_api = Blueprint("signals", __name__, url_prefix="/api/v1",
                        description="Signals on KPI charts and what people did about them (history kept)")

STEP_ERRORS = {404: "no such signal", 409: "the signal is not in a state this step follows",
               412: "If-Match names a version the signal is no longer at"}


def _run(work: Any, *args: Any) -> Any:
    with unit_of_work(current_app.extensions["metrics"].pool, "metrics") as uow:
        return work(uow, *args)


def _named(uow: UnitOfWork, found: Page) -> Page:
    """The page's signals with their KPI's and unit's names."""
    by_id = signal_store.signals_by_id(uow, [row["id"] for row in found.items])
    return replace(found, items=[signals.with_names(by_id[row["id"]]) for row in found.items])


@signals_api.route("/signals", methods=["GET"])
@requires_sign_in
@signals_api.arguments(SignalQuery, location="query")
@signals_api.response(200, page_of(SignalSchema))
def list_signals(query: dict) -> Any:
    """Signals, newest first; `kpi`, `unit` and `state` narrow the list."""
    return _run(lambda uow: _named(uow, page(uow, signal_store.SIGNALS, query)))


@signals_api.route("/signals/<int:signal_id>", methods=["GET"])
@requires_sign_in
@signals_api.response(200, SignalInFullSchema)
@signals_api.alt_response(404, description="no such signal")
def get_signal(signal_id: int) -> Any:
    """One signal, the projects told of it and what it may be linked to; its version is the ETag."""
    return versioned(_run(signals.signal_in_full, signal_id))


@signals_api.route("/signals/<int:signal_id>/history", methods=["GET"])
@requires_sign_in
@signals_api.arguments(PageQuery, location="query")
@signals_api.response(200, page_of(SignalHistorySchema))
@signals_api.alt_response(404, description="no such signal")
def signal_history(query: dict, signal_id: int) -> Any:
    """Every step of the signal, oldest first: who, when, from which state to which, and their note."""
    def read(uow: UnitOfWork) -> Page:
        if not signal_store.signals_by_id(uow, [signal_id]):
            raise NotFound(f"signal {signal_id} not found")
        return page(uow, signal_store.SIGNAL_HISTORY, query, signal_id=signal_id)
    return _run(read)


def _step(step: str, signal_id: int, said: dict[str, Any]) -> Any:
    return versioned(_run(signals.act, signal_id, step, said, current_principal(), if_match_version()))


@signals_api.route("/signals/<int:signal_id>/acknowledgement", methods=["POST"])
@requires_sign_in
@signals_api.arguments(AcknowledgementSchema)
@signals_api.response(200, SignalInFullSchema)
@signals_api.alt_response(404, description=STEP_ERRORS[404])
@signals_api.alt_response(409, description="not open")
@signals_api.alt_response(412, description=STEP_ERRORS[412])
def acknowledge(said: dict, signal_id: int) -> Any:
    """Say the signal is seen (an open signal), with an optional note."""
    return _step("acknowledge", signal_id, said)


@signals_api.route("/signals/<int:signal_id>/explanation", methods=["POST"])
@requires_sign_in
@signals_api.arguments(ExplanationSchema)
@signals_api.response(200, SignalInFullSchema)
@signals_api.alt_response(404, description=STEP_ERRORS[404])
@signals_api.alt_response(409, description="not acknowledged nor with an action planned")
@signals_api.alt_response(412, description=STEP_ERRORS[412])
def explain(said: dict, signal_id: int) -> Any:
    """Give the known cause, optionally linked to a PDSA cycle noted on the chart or to a project."""
    return _step("explain", signal_id, said)


@signals_api.route("/signals/<int:signal_id>/action-plan", methods=["POST"])
@requires_sign_in
@signals_api.arguments(ActionPlanSchema)
@signals_api.response(200, SignalInFullSchema)
@signals_api.alt_response(404, description=STEP_ERRORS[404])
@signals_api.alt_response(409, description="not acknowledged nor explained")
@signals_api.alt_response(412, description=STEP_ERRORS[412])
def plan_action(said: dict, signal_id: int) -> Any:
    """Say what will be done, by which QI project."""
    return _step("plan", signal_id, said)


@signals_api.route("/signals/<int:signal_id>/closure", methods=["POST"])
@requires_sign_in
@signals_api.arguments(ClosureSchema)
@signals_api.response(200, SignalInFullSchema)
@signals_api.alt_response(404, description=STEP_ERRORS[404])
@signals_api.alt_response(409, description="not explained nor with an action planned; the chart still signals "
                                           "(returned_to_common_cause); a run chart, or a month already rebased "
                                           "(rebased)")
@signals_api.alt_response(412, description=STEP_ERRORS[412])
def close(said: dict, signal_id: int) -> Any:
    """Close an explained signal or one with an action planned: its chart returned to common cause,
    or the process changed and the chart is rebased (the rebase is made, with the reason)."""
    return _step("close", signal_id, said)


@signals_api.route("/projects/<uuid:project_id>/signals", methods=["GET"])
@requires_sign_in
@signals_api.arguments(PageQuery, location="query")
@signals_api.response(200, page_of(SignalSchema))
def project_signals(query: dict, project_id: Any) -> Any:
    """The signals the project's team was told of, newest first (none for a project metrics does not know)."""
    def read(uow: UnitOfWork) -> Page:
        found = page(uow, signal_store.PROJECT_SIGNALS, query, project_id=project_id)
        by_id = signal_store.signals_by_id(uow, [row["signal_id"] for row in found.items])
        return replace(found, items=[signals.with_names(by_id[row["signal_id"]]) for row in found.items])
    return _run(read)


@signals_api.route("/projects/<uuid:project_id>/sustainment", methods=["GET"])
@requires_sign_in
@signals_api.response(200, SustainmentSchema)
@signals_api.alt_response(404, description="metrics knows of no such completed project")
def project_sustainment(project_id: Any) -> Any:
    """Whether a completed project's improvement holds: its outcome and balancing measures are
    watched for WTGR_SUSTAIN_MONTHS after completion; a signal of concern on one tells its lead and
    QI lead, and is listed here."""
    return _run(signals.sustainment, str(project_id), current_app.extensions["metrics"].today())


@signals_api.route("/units/<code>/lead", methods=["GET"])
@requires_sign_in
@signals_api.response(200, UnitLeadSchema)
@signals_api.alt_response(404, description="no such unit, or it has no lead")
def get_unit_lead(code: str) -> Any:
    """Who leads the unit: the person unacknowledged signals of the units below are escalated to."""
    lead = _run(signal_store.unit_lead, code)
    if lead is None:
        raise NotFound(f"unit {code} has no lead")
    return versioned(lead)


@signals_api.route("/units/<code>/lead", methods=["PUT"])
@requires_roles("admin")
@signals_api.arguments(UnitLeadInSchema)
@signals_api.response(200, UnitLeadSchema)
@signals_api.alt_response(404, description="no such unit")
@signals_api.alt_response(412, description="If-Match names a version the lead is no longer at")
def set_unit_lead(body: dict, code: str) -> Any:
    """Name the unit's lead (admins)."""
    return versioned(_run(signals.set_unit_lead, code, body["email"], body["name"], current_principal(),
                          if_match_version()))
