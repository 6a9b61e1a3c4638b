"""QI projects in metrics: a project measure becomes a KPI like any other, and the start of a
PDSA cycle is noted on the charts of its project's measures.

Both run in the consumer's unit of work, whose record of the event id makes a redelivery change
nothing; the KPI's code, the measure's id and the (chart, cycle) pair are also kept once each, so
the same link or start told again by a new event changes nothing either.
"""

from __future__ import annotations

import logging
from typing import Any

from services.metrics.adapters import project_links
from services.metrics.domain.project_measures import ProjectMeasureRefused, pdsa_note, pdsa_start, project_kpi
from shared.consumer import RejectEvent
from shared.db import UnitOfWork
from shared.events import Envelope
from shared.month import Month

log = logging.getLogger(__name__)


def on_measure_linked(uow: UnitOfWork, event: Envelope, link: dict[str, Any]) -> None:
    """Create the project measure's KPI when the event says so, and keep the project's link to the
    series. A series whose KPI or unit metrics does not know can never be linked: dead-lettered."""
    if link["created"]:
        try:
            kpi = project_kpi(link)
        except ProjectMeasureRefused as exc:
            raise RejectEvent(str(exc)) from exc
        if project_links.add_project_kpi(uow, kpi):
            log.info("project measure created as a KPI", extra={"event_id": event.id, "kpi_code": kpi.code})
    series = (link["kpi_code"], link["unit_code"])
    if not project_links.existing_series(uow, [series]):
        raise RejectEvent(f"no KPI {series[0]!r} or no unit {series[1]!r} in metrics")
    project_links.link_measure(uow, link, event.id)


def on_pdsa_cycle_started(uow: UnitOfWork, event: Envelope, cycle: dict[str, Any]) -> None:
    """Note "PDSA <n>: <change idea>" on the charts of the cycle's series, at the month it started.
    A series metrics does not know is left out (logged); the others are still noted."""
    series = [(item["kpi_code"], item["unit_code"]) for item in cycle["series"]]
    known = project_links.existing_series(uow, series)
    if len(known) < len(series):
        log.warning("pdsa cycle names series metrics does not have", extra={
            "event_id": event.id, "event_type": event.type, "unknown": sorted(set(series) - set(known))})
    project_links.annotate_pdsa_start(uow, known, Month.of(pdsa_start(cycle)).first_day, pdsa_note(cycle),
                                      str(cycle["cycle_id"]))
