"""The WTGR programme measures itself from the other services' events."""

import uuid
from datetime import UTC, datetime

import pytest

from services.metrics.bootstrap import event_handlers
from shared.db import unit_of_work
from shared.events import REGISTRY, new_event

pytestmark = pytest.mark.integration

MONTH = datetime(2021, 3, 15, tzinfo=UTC)


def idea_submitted():
    return new_event("idea.submitted", {"idea_id": str(uuid.uuid4()), "title": "Quieter night wards",
                                        "description": "Dim the corridor lights after 23:00", "submitted_by": "sam"},
                     source="urn:wtgr:ideas", now=MONTH)


def handle(state, event):
    with unit_of_work(state.pool, "metrics") as uow:
        event_handlers(state.settings, state.pool)[event.type](uow, event, REGISTRY.load(event))


def ideas_in_march_2021(state) -> float:
    with state.pool.connection() as conn:
        row = conn.execute("SELECT value FROM current_measures WHERE kpi_code = 'IDEAS_SUBMITTED'"
                           " AND unit_code = 'TRUST' AND period = '2021-03-01'").fetchone()
    return row["value"] if row else 0.0


def test_each_idea_submitted_adds_one_to_its_months_count(metrics_state):
    before = ideas_in_march_2021(metrics_state)
    handle(metrics_state, idea_submitted())
    handle(metrics_state, idea_submitted())
    assert ideas_in_march_2021(metrics_state) == before + 2
