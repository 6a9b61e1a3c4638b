"""The programme's own activity as KPIs: one more idea submitted, one more project completed.

Each idea or project adds one to its month's count once: the consumer's handled-event record makes
a replay add nothing, and ``activity_counted`` makes a second event of the same idea or project
(another version of the event, published beside the first) add nothing. The new count is recorded
as that month's measure like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from services.metrics.domain.measures import Measure
from services.metrics.service_layer import handlers
from shared.db import UnitOfWork
from shared.events import Envelope
from shared.month import Month

TRUST = "TRUST"


def counts_as(kpi_code: str, source: str, today: Callable[[], date], counted_by: str) -> handlers.EventHandler:
    """Count each event's ``counted_by`` (the idea's or project's id) once in ``kpi_code``."""

    def handle(uow: UnitOfWork, event: Envelope, payload: dict[str, Any]) -> None:
        first = uow.one(
            """INSERT INTO activity_counted (kpi_code, counted_id, event_id) VALUES (%s, %s, %s)
               ON CONFLICT (kpi_code, counted_id) DO NOTHING RETURNING counted_id""",
            (kpi_code, str(payload[counted_by]), event.id),
        )
        if first is None:
            return
        period = Month.of(datetime.fromisoformat(event.time.replace("Z", "+00:00"))).first_day
        row = uow.one(
            """INSERT INTO activity_counts (kpi_code, unit_code, period, count) VALUES (%s, %s, %s, 1)
               ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET count = activity_counts.count + 1
               RETURNING count""",
            (kpi_code, TRUST, period),
        )
        assert row is not None
        measure = Measure(kpi_code, TRUST, period, float(row["count"]), None, None, source)
        handlers.record_or_reject(uow, measure, today(), event.id)

    return handle
