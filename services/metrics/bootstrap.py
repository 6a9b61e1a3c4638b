"""The composition root of metrics: builds pools and clocks from settings, nothing at import time."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from psycopg_pool import ConnectionPool

from services.metrics.domain.board_pack import BoardPackRule
from services.metrics.service_layer import activity, handlers, projects, signals
from shared import db
from shared.config import Settings
from shared.consumer import Handler

SERVICE = "metrics"
MIGRATIONS = Path(__file__).parent / "migrations"


def utc_today() -> date:
    return datetime.now(UTC).date()


def board_pack_rule() -> BoardPackRule:
    """When board packs are due (the Nth working day of the month after the month they report) and
    how many days before the missing feeds are chased: WTGR_BOARD_PACK_WORKING_DAY (default 10) and
    WTGR_BOARD_PACK_NOTICE_DAYS (default 5)."""
    return BoardPackRule(working_day=int(os.environ.get("WTGR_BOARD_PACK_WORKING_DAY", "10")),
                         notice_days=int(os.environ.get("WTGR_BOARD_PACK_NOTICE_DAYS", "5")))


@dataclass
class Metrics:
    settings: Settings
    pool: ConnectionPool
    today: Callable[[], date]


def build(settings: Settings | None = None, today: Callable[[], date] = utc_today) -> Metrics:
    settings = settings or Settings.from_env(SERVICE)
    return Metrics(settings, db.make_pool(settings.database_url, name=f"{SERVICE}-api"), today)


def event_handlers(
    settings: Settings, pool: ConnectionPool, today: Callable[[], date] = utc_today
) -> dict[str, Handler]:
    """What the metrics consumer does with each event type it reads."""
    return {
        "measure.recorded": handlers.on_measure_recorded(today),
        "idea.submitted": activity.counts_as("IDEAS_SUBMITTED", "ideas-service", today, counted_by="idea_id"),
        "project.completed": each_of(activity.counts_as("PROJECTS_COMPLETED", "projects-service", today,
                                                        counted_by="project_id"), signals.on_project_completed),
        "project.measure_linked": projects.on_measure_linked,
        "pdsa.cycle_started": projects.on_pdsa_cycle_started,
        **SIGNAL_HANDLERS,
    }


# Signals follow what the aggregator announces on wtgr.kpis, and the projects that measure a series.
SIGNAL_HANDLERS: dict[str, Handler] = {
    "kpi.special_cause_detected": signals.on_special_cause,
    "kpi.updated": signals.on_kpi_updated,
    "project.created": signals.on_project_created,
    "project.stage_changed": signals.on_project_stage_changed,
}


def each_of(*handlers: Handler) -> Handler:
    """One handler that runs ``handlers`` in turn, in the same unit of work."""

    def handle(uow: Any, event: Any, payload: dict[str, Any]) -> None:
        for handler in handlers:
            handler(uow, event, payload)

    return handle
