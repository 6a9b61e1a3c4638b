from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from services.conftest import service_state
from shared.db import unit_of_work
from shared.events import new_event

LEAD = {"subject": "lee.lead", "name": "Lee Lead", "email": "lee.lead@trust.example", "role": "lead"}
COACH = {"subject": "cat.coach", "name": "Cat Coach", "email": "cat.coach@trust.example", "role": "coach"}
SPONSOR = {"subject": "sid.sponsor", "name": "Sid Sponsor", "email": "sid@trust.example", "role": "sponsor"}
MEMBER = {"subject": "mo.member", "name": "Mo Member", "email": "mo@trust.example", "role": "member"}
AIM = {"statement": "Halve inpatient falls at night on WARD-7", "measure": "falls per 1,000 bed days",
       "baseline": 8.0, "target": 4.0, "by": (date.today() + timedelta(days=200)).isoformat()}
PROJECT: dict[str, Any] = {"title": "Fewer falls at night", "directorate": "DIR-ACUTE", "unit_code": "WARD-7",
           "team": [LEAD, COACH, SPONSOR, MEMBER], "cqc": ["safe", "effective"], "aim": AIM}

ANY_EVENT = new_event("idea.accepted", {}, source="urn:wtgr:tests")  # the handlers read only the payload


SERIES = [("FALLS_1000", "WARD-7"), ("ALOS", "WARD-7"), ("ALOS", "WARD-9")]  # what the tests link


@pytest.fixture(scope="session")
def projects_state():
    from services.projects import bootstrap
    from services.projects.service_layer import events

    for state in service_state(bootstrap):
        with unit_of_work(state.pool, "projects") as uow:  # metrics has announced these series
            for kpi, unit in SERIES:
                events.on_kpi_updated(uow, ANY_EVENT, {"kpi_code": kpi, "unit_code": unit, "kpi_name": kpi,
                                                       "unit_of_measure": "count"})
        yield state


@pytest.fixture(scope="session")
def projects_client(projects_state):
    from services.projects.entrypoints.api import create_app

    return create_app(projects_state).test_client()


@pytest.fixture
def accepted_idea(projects_state):
    """An idea the projects service has learnt was accepted (through its own event handlers)."""
    from services.projects.service_layer import events

    def make(stage: str = "accepted", audience: list | None = None) -> str:
        idea_id = str(uuid.uuid4())
        payload = {"idea_id": idea_id, "title": "Falls sensors", "audience": audience or []}
        with unit_of_work(projects_state.pool, "projects") as uow:
            events.on_idea_submitted(uow, ANY_EVENT, payload)
            if stage == "accepted":
                events.on_idea_accepted(uow, ANY_EVENT, payload)
            else:
                events.on_idea_stage_changed(uow, ANY_EVENT, {**payload, "to_stage": stage})
        return idea_id

    return make
