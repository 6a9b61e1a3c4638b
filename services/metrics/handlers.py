"""The metrics service layer: commands and events in, state changes and events out.

Each handler runs inside one unit of work, so its rows and the events it emits commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.metrics import aggregator
from services.metrics.adapters import store
from services.metrics.domain.measures import (
    Measure,
    MeasureRejected,
    check_measure,
    check_unit_open,
    format_period,
    parse_period,
)
from shared.consumer import RejectEvent
from shared.db import UnitOfWork
from shared.events import Envelope


@dataclass(frozen=True)
class Recorded:
    revision: int
    changed: bool
    row: dict[str, Any]


def measure_from_payload(payload: dict[str, Any]) -> Measure:
    return Measure(
        kpi_code=payload["kpi_code"],
        unit_code=payload["unit_code"],
        period=parse_period(payload["period"]),
        value=float(payload["value"]),
        numerator=payload.get("numerator"),
        denominator=payload.get("denominator"),
        source=payload["source"],
        recorded_by=payload.get("recorded_by"),
        note=payload.get("note"),
    )


def record_measure(uow: UnitOfWork, measure: Measure, today: date, event_id: str | None = None) -> Recorded:
    """Store a new month or a revision, keeping every earlier revision, and refresh the charts.

    The same figures again for the same KPI, unit and month change nothing and emit nothing.
    """
    kpi = store.kpi(uow, measure.kpi_code)
    if kpi is None:
        raise MeasureRejected("kpi_code", f"unknown KPI {measure.kpi_code!r}")
    unit = store.unit(uow, measure.unit_code)
    if unit is None:
        raise MeasureRejected("unit_code", f"unknown organisational unit {measure.unit_code!r}")
    check_measure(measure, kpi["unit_of_measure"], today)
    check_unit_open(measure, unit["opened_on"], unit["closed_on"])
    latest = store.latest_measure(uow, measure.kpi_code, measure.unit_code, measure.period)
    if latest is not None and measure.same_figures_as(_as_measure(latest)):
        return Recorded(latest["revision"], changed=False, row=latest)
    revision = (latest["revision"] + 1) if latest else 1
    row = store.add_revision(uow, measure, revision, event_id)
    change = {"period": format_period(measure.period), "value": measure.value, "revision": revision,
              "previous_value": latest["value"] if latest else None, "source": measure.source}
    aggregator.refresh_after_measure(uow, kpi, unit["code"], measure.period, change)
    return Recorded(revision, changed=True, row=row)


def _as_measure(row: dict[str, Any]) -> Measure:
    return Measure(row["kpi_code"], row["unit_code"], row["period"], row["value"], row["numerator"],
                   row["denominator"], row["source"])


EventHandler = Callable[[UnitOfWork, Envelope, dict[str, Any]], None]


def record_or_reject(uow: UnitOfWork, measure: Measure, today: date, event_id: str) -> None:
    """record_measure for a consumer: a measure that can never be accepted is dead-lettered."""
    try:
        record_measure(uow, measure, today, event_id=event_id)
    except MeasureRejected as exc:
        raise RejectEvent(str(exc)) from exc


def on_measure_recorded(today: Callable[[], date]) -> EventHandler:
    """The consumer's handler for measure.recorded events from feeds and other services."""

    def handle(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
        record_or_reject(uow, measure_from_payload(payload), today(), event.id)

    return handle
