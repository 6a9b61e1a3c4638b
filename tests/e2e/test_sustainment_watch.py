"""After a project completes, its outcome measure is watched: when the measure shifts back (a
special cause of concern), the project's lead and the QI lead who approved it are told."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import requests
from kafka import KafkaProducer

from devstack.mail import Mailbox
from shared import topics
from shared.events import new_event
from shared.month import Month
from tests.e2e.test_a_signal_people_act_on import WAIT, bearer, call, wait_for

pytestmark = pytest.mark.e2e

# Falls a month after the project's change, then a month far above them: the shift back.
AFTER = [6.1, 5.9, 6.0, 6.2, 5.8, 6.0, 6.1, 5.9, 6.0, 6.2, 5.8, 6.0, 6.1]


def test_a_completed_projects_measure_that_shifts_back_tells_its_lead_and_qi_lead(
        service_url, issuer, kafka_bootstrap, mailbox: Mailbox):
    run = uuid.uuid4().hex[:8]
    metrics, projects = service_url("metrics"), service_url("projects")
    kpi, unit = f"HOLD-{run.upper()}", f"HW-{run.upper()}"
    lead = {"subject": f"lead-{run}", "name": "Lee Park", "email": f"lee-{run}@hospital.example", "role": "lead"}
    qi_email = f"quinn-{run}@hospital.example"
    admin = bearer(issuer, f"admin-{run}", ["admin"])
    qi_lead = bearer(issuer, f"qi-{run}", ["qi_lead"], qi_email)
    as_lead = bearer(issuer, lead["subject"], ["staff"], lead["email"])
    last = Month.of(date.today()) - 2  # the relapse is last month: a month not yet over is never judged
    months = [last - len(AFTER) + i for i in range(len(AFTER))]

    call("POST", f"{metrics}/api/v1/units", admin, expect=201, json={"code": unit, "name": "Ward H", "level": "ward"})
    call("POST", f"{metrics}/api/v1/kpis", admin, expect=201, json={
        "code": kpi, "name": "Falls a month", "unit_of_measure": "count", "improvement_direction": "decrease",
        "owners": [f"owner-{run}@hospital.example"]})
    for month, value in zip(months, AFTER, strict=True):
        call("POST", f"{metrics}/api/v1/measures", admin, expect=201, json={
            "kpi_code": kpi, "unit_code": unit, "period": str(month), "value": value, "source": "incident reports"})

    created = wait_for(lambda: requests.post(f"{projects}/api/v1/projects", headers=qi_lead, timeout=10,
                                                           json={
        "title": f"Fewer falls {run}", "directorate": "DIR-ELDER", "unit_code": unit, "cqc": ["safe"], "team": [lead],
        "aim": {"statement": "Fewer falls on Ward H", "measure": "falls a month", "baseline": 8, "target": 6,
                "by": (last + 6).first_day.isoformat()}}), lambda a: a.status_code == 201, "project registered")
    project_id = created.json()["id"]
    base = f"{projects}/api/v1/projects/{project_id}"
    etag = call("POST", f"{base}/approval", qi_lead, if_match=created.headers["ETag"],
                json={"note": "Approved"}).headers["ETag"]
    etag = call("POST", f"{base}/start", as_lead, if_match=etag).headers["ETag"]
    wait_for(lambda: requests.post(f"{base}/measures", headers=as_lead, timeout=10, json={
        "kind": "outcome", "name": "Falls a month", "kpi_code": kpi, "unit_code": unit}),
        lambda a: a.status_code == 201, "outcome measure linked")
    etag = call("GET", base, as_lead).headers["ETag"]
    call("POST", f"{base}/completion", as_lead, if_match=etag,
         json={"results": "Falls fell from 8 to 6 a month", "learning": "Hourly rounding at night works"})

    # The next month the falls shift back up, far above the limit: the improvement is not holding.
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    relapse = new_event("measure.recorded", {"kpi_code": kpi, "unit_code": unit, "period": str(last + 1),
                                             "value": 12.0, "source": "incident reports"}, source="urn:wtgr:feed:datix")
    watch = f"{metrics}/api/v1/projects/{project_id}/sustainment"
    wait_for(lambda: requests.get(watch, headers=admin, timeout=10), lambda a: a.status_code == 200,
             "metrics read the completion")
    assert call("GET", watch, admin).json()["sustained"] is True
    producer.send(topics.MEASURES, key=f"{kpi}|{unit}".encode(), value=relapse.to_json()).get(timeout=10)
    producer.close()

    for address, relation in ((lead["email"], "you lead the project"), (qi_email, "you approve QI projects")):
        told = mailbox.wait_for(address, lambda m: m.subject.startswith("[WTGR alert]"), timeout=WAIT)
        assert f'"Fewer falls {run}"' in told.body_text and "not being sustained" in told.body_text
        assert relation in told.body_text
    shown = call("GET", watch, admin).json()
    assert shown["sustained"] is False and shown["series"][0]["kind"] == "outcome" and shown["series"][0]["concerns"]

    # The project's story, kept current from metrics' events, says the improvement slipped that month.
    stories, editor = service_url("stories"), bearer(issuer, f"editor-{run}", ["comms_editor"])
    story = wait_for(lambda: requests.get(f"{stories}/api/v1/projects/{project_id}/story", headers=editor, timeout=10),
                     lambda a: a.status_code == 200 and (a.json().get("sustainment") or {}).get("sustained") is False,
                     "the story heard of the slip")
    assert story.json()["sustainment"]["slipped_in"] == str(last + 1)
    assert story.json()["sustainment"]["slipped_on"] == "Falls a month, Ward H"
