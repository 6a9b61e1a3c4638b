"""A story says whether its project's improvement was sustained, kept current from metrics' events:
the months of the outcome charted since completion, or the month a signal of concern was seen."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from services.stories.service_layer import handlers
from shared.db import unit_of_work
from shared.events import new_event

pytestmark = pytest.mark.integration


def handle(state, handler, event):
    with unit_of_work(state.pool, "stories") as uow:
        handler(uow, event, event.data)


def charted(kpi, months):
    series = [{"period": month, "value": 5.0} for month in months]
    return new_event("kpi.updated", {"kpi_code": kpi, "kpi_name": "Falls", "unit_code": "WARD-7",
                                     "unit_name": "Ward 7", "period": months[-1], "value": 5.0, "revision": 1,
                                     "unit_of_measure": "count", "owners": [], "source": "datix", "series": series},
                     source="urn:wtgr:metrics")


def completed(project_id, kpi):
    return new_event("project.completed", {
        "project_id": project_id, "title": f"Fewer falls {kpi}", "aim": "Fewer falls", "completed_by": "quinn.lead",
        "outcome": {"kpi_code": kpi, "unit_code": "WARD-7"}, "results": "Fewer falls.", "learning": "Start small.",
        "team": [], "directorate": "Medicine", "cqc": ["safe"], "audience": [], "path": f"/projects/{project_id}"},
        source="urn:wtgr:projects", version=2, now=datetime.fromisoformat("2025-09-15T10:00:00+00:00"))


def signal(project_id, period, signal_id):
    return new_event("signal.opened", {
        "signal_id": signal_id, "kind": "special_cause", "kpi_code": "K", "kpi_name": "Falls", "unit_code": "WARD-7",
        "unit_name": "Ward 7", "period": period, "signal_start": period, "point_type": "special_cause_concern",
        "projects": [], "sustainment": [{"project_id": project_id, "title": "Fewer falls",
                                         "completed_on": date(2025, 9, 15)}],
        "audience": [], "title": "Falls", "path": f"/signals/{signal_id}"}, source="urn:wtgr:metrics")


def story_of(client, bearer, project_id):
    found = client.get(f"/api/v1/projects/{project_id}/story", headers=bearer("comms_editor"))
    assert found.status_code == 200
    return found.get_json()


def test_a_storys_improvement_is_sustained_for_the_months_charted_since_its_project_completed(
        stories_client, stories_state, bearer):
    project_id, kpi = str(uuid.uuid4()), f"HOLD-{uuid.uuid4().hex[:6]}"
    handle(stories_state, handlers.on_kpi_updated, charted(kpi, ["2025-07", "2025-08", "2025-09"]))
    handle(stories_state, handlers.on_project_completed, completed(project_id, kpi))
    assert story_of(stories_client, bearer, project_id)["sustainment"] == {
        "completed_on": "2025-09-15", "sustained": True, "months": 0, "slipped_in": None, "slipped_on": None}
    handle(stories_state, handlers.on_kpi_updated, charted(kpi, ["2025-09", "2025-10", "2025-11", "2025-12"]))
    held = story_of(stories_client, bearer, project_id)["sustainment"]
    assert (held["sustained"], held["months"]) == (True, 3)


def test_a_signal_of_concern_says_the_month_it_slipped_and_a_later_one_does_not_move_it(
        stories_client, stories_state, bearer):
    project_id, kpi = str(uuid.uuid4()), f"SLIP-{uuid.uuid4().hex[:6]}"
    handle(stories_state, handlers.on_project_completed, completed(project_id, kpi))
    handle(stories_state, handlers.on_kpi_updated, charted(kpi, ["2025-10", "2025-11", "2025-12", "2026-01"]))
    handle(stories_state, handlers.on_signal_opened, signal(project_id, "2025-12", 41))
    handle(stories_state, handlers.on_signal_opened, signal(project_id, "2026-01", 42))
    slipped = story_of(stories_client, bearer, project_id)["sustainment"]
    assert slipped == {"completed_on": "2025-09-15", "sustained": False, "months": 2, "slipped_in": "2025-12",
                       "slipped_on": "Falls, Ward 7"}


def test_a_story_written_by_hand_says_nothing_of_sustainment(stories_client, bearer):
    written = stories_client.post("/api/v1/stories", headers=bearer("comms_editor"), json={
        "title": "Before the platform", "summary": "An older improvement."})
    assert written.status_code == 201 and written.get_json()["sustainment"] is None
