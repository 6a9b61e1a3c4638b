"""The steps of the improvement cycle, published to Kafka as ideas, projects and stories publish
them, reach the inboxes of the people they concern, once each, through the running notifications
consumer and mailer; and a project measure becomes a KPI its lead records and whose chart shows
the project's PDSA cycles."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import requests
from kafka import KafkaProducer

from shared import topics
from shared.events import new_event

PORTAL_URL = os.environ.get("WTGR_PORTAL_URL", "http://localhost:8000")  # the links emails carry

pytestmark = pytest.mark.e2e


def publish(bootstrap: str, topic: str, key: str, *events) -> None:
    """A plain producer, not the platform's: what any publisher of the contract would do."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for event in events:
        producer.send(topic, key=key.encode(), value=event.to_json()).get(timeout=10)
    producer.close()


def address(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.org"


def hears_at_once(service_url, issuer, person: str, kind: str) -> None:
    """``person`` chooses to be emailed ``kind`` straight away (a follower's updates are otherwise weekly)."""
    me = {"Authorization": f"Bearer {issuer.issue(person.split('@')[0], ['staff'], email=person)}"}
    requests.put(f"{service_url('notifications')}/api/v1/me/preferences/{kind}", json={"email": "immediately"},
                 headers=me, timeout=10).raise_for_status()


def test_a_declined_idea_told_twice_reaches_its_submitter_and_follower_once_each(kafka_bootstrap, mailbox,
                                                                                 service_url, issuer):
    pat, sam, idea_id = address("pat"), address("sam"), str(uuid.uuid4())
    hears_at_once(service_url, issuer, sam, "following")
    event = new_event("idea.stage_changed", {
        "idea_id": idea_id, "title": "Quieter nights on Ward 7", "from_stage": "under_review",
        "to_stage": "declined", "reason": "Already done on Ward 7", "changed_by": "qi-lead-1",
        "audience": [{"email": pat, "name": "Pat Jones", "relation": "submitter"},
                     {"email": sam, "name": None, "relation": "follower"}],
        "path": f"/ideas/{idea_id}"}, source="urn:wtgr:ideas", subject=idea_id)
    later = new_event("idea.commented", {
        "idea_id": idea_id, "comment_id": str(uuid.uuid4()), "title": "Quieter nights on Ward 7",
        "author": "staff-9", "audience": [{"email": pat, "name": "Pat Jones", "relation": "submitter"}],
        "path": f"/ideas/{idea_id}"}, source="urn:wtgr:ideas", subject=idea_id)
    publish(kafka_bootstrap, topics.IDEAS, idea_id, event, event, later)  # one partition: in this order

    mailbox.wait_for(pat, lambda m: "New comment" in m.subject, timeout=60)
    mailbox.wait_for(sam, lambda m: "declined" in m.subject)
    time.sleep(2)  # were a second email of the redelivered event queued, it would have been sent by now
    to_pat = [m for m in mailbox.messages(pat) if "declined" in m.subject]
    assert [m.subject for m in to_pat] == ["[WTGR] Idea declined: Quieter nights on Ward 7"]
    assert [m.to for m in to_pat] == [(pat.lower(),)], "each person gets an email of their own"
    body = to_pat[0].body_text
    assert body.startswith("Dear Pat Jones,")
    assert "Reason: Already done on Ward 7" in body
    assert f"{PORTAL_URL}/ideas/{idea_id}" in body
    assert len([m for m in mailbox.messages(sam) if "declined" in m.subject]) == 1


def test_a_published_story_tells_the_ideas_submitter_your_idea_became_this(kafka_bootstrap, mailbox):
    pat, lee, story_id = address("pat"), address("lee"), str(uuid.uuid4())
    event = new_event("story.published", {
        "story_id": story_id, "slug": "ward-7-falls", "title": "How Ward 7 halved its falls",
        "summary": "Hourly rounding at night halved falls in six months.", "project_id": str(uuid.uuid4()),
        "idea_id": str(uuid.uuid4()), "tags": ["falls"], "path": "/stories/ward-7-falls",
        "audience": [{"email": pat, "name": None, "relation": "submitter"},
                     {"email": lee, "name": "Lee Park", "relation": "team"}]},
        source="urn:wtgr:stories", subject=story_id)
    publish(kafka_bootstrap, topics.STORIES, story_id, event)

    to_pat = mailbox.wait_for(pat, lambda m: "became this" in m.subject, timeout=60)
    assert to_pat.subject == "[WTGR] Your idea became this: How Ward 7 halved its falls"
    assert f"{PORTAL_URL}/stories/ward-7-falls" in to_pat.body_text
    to_lee = mailbox.wait_for(lee, lambda m: "Success story published" in m.subject)
    assert to_lee.body_text.startswith("Dear Lee Park,")


def test_a_project_measure_is_recorded_by_its_lead_and_its_chart_shows_the_pdsa_cycle(
        kafka_bootstrap, service_url, issuer, mailbox):
    metrics, project_id = service_url("metrics"), str(uuid.uuid4())
    lead, code = address("lead"), f"P-{project_id[:8]}-1"
    linked = new_event("project.measure_linked", {
        "project_id": project_id, "measure_id": str(uuid.uuid4()), "kind": "outcome", "name": "Falls per month",
        "kpi_code": code, "unit_code": "TRUST", "created": True, "unit_of_measure": "count",
        "direction": "lower_is_better", "owner": "lead-1", "owner_email": lead, "description": None},
        source="urn:wtgr:projects", subject=project_id)
    publish(kafka_bootstrap, topics.PROJECTS, project_id, linked)

    as_lead = {"Authorization": f"Bearer {issuer.issue('lead-1', ['staff'], email=lead)}"}
    kpi = until_found(f"{metrics}/api/v1/kpis/{code}", as_lead)
    assert (kpi["name"], kpi["owners"]) == ("Falls per month", [lead])
    for period, value in (("2025-02", 9), ("2025-03", 6)):
        recorded = requests.post(f"{metrics}/api/v1/measures", headers=as_lead, timeout=10, json={
            "kpi_code": code, "unit_code": "TRUST", "period": period, "value": value, "source": "incident reports"})
        assert recorded.status_code == 201, recorded.text

    started = new_event("pdsa.cycle_started", {
        "project_id": project_id, "cycle_id": str(uuid.uuid4()), "cycle_number": 1,
        "change_idea": "Hourly rounding at night", "title": "Fewer falls", "planned_start": "2025-03-01",
        "started_on": "2025-03-04", "series": [{"kpi_code": code, "unit_code": "TRUST"}],
        "audience": [{"email": lead, "name": None, "relation": "lead"}], "path": f"/projects/{project_id}"},
        source="urn:wtgr:projects", subject=project_id)
    publish(kafka_bootstrap, topics.PROJECTS, project_id, started)

    chart_url = f"{metrics}/api/v1/kpis/{code}/units/TRUST/chart"
    chart = until_found(chart_url, as_lead, lambda body: bool(body["annotations"]))
    assert [(n["period"], n["text"]) for n in chart["annotations"]] == [("2025-03", "PDSA 1: Hourly rounding at night")]
    svg = requests.get(f"{chart_url}.svg", headers=as_lead, timeout=10).text
    assert "PDSA 1: Hourly rounding at night" in svg
    email = mailbox.wait_for(lead, lambda m: "PDSA cycle 1 started" in m.subject, timeout=60)
    assert f"{PORTAL_URL}/projects/{project_id}" in email.body_text


def until_found(url: str, headers: dict[str, str], ready=lambda body: True, timeout: float = 60.0) -> dict:
    """The JSON at ``url`` once it exists and is ``ready``, polling while the consumer catches up."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(url, headers=headers, timeout=10)
        if response.status_code == 200 and ready(response.json()):
            return response.json()
        if time.monotonic() > deadline:
            pytest.fail(f"{url} was not ready within {timeout:.0f} s: {response.status_code} {response.text[:300]}")
        time.sleep(0.3)
