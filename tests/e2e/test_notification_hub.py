"""The notification hub through Kafka, the consumer, the mailer and the real SMTP server: a week of
updates as one weekly digest, a special cause at four levels as one alert email, and a one-click
unsubscribe that stops the next email. Each email is checked as an inbox receives it."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import requests
from kafka import KafkaProducer

from shared import topics
from shared.events import new_event

pytestmark = pytest.mark.e2e
WAIT = 90  # an alert is held 30 s for the other levels of its KPI's month


@pytest.fixture
def publish(kafka_bootstrap):
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    yield lambda topic, key, event: producer.send(topic, key=key.encode(), value=event.to_json()).get(timeout=10)
    producer.close()


def received(mailbox, email):
    """The message as the inbox got it: headers and both parts."""
    return message_from_bytes(mailbox.raw(email.id), policy=policy.default)


def assert_fits_an_nhs_inbox(message, portal_url):
    assert message.get_content_type() == "multipart/alternative"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] and message["Message-ID"]
    assert message["List-Unsubscribe"].startswith(f"<{portal_url}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(("html",)).get_content()
    assert "<img" not in html and f'href="{portal_url}' in html
    assert f"{portal_url}/" in message.get_body(("plain",)).get_content()


def kpi_event(event_type, kpi, unit, unit_name, owner, period, value, when=None, **extra):
    data = {"kpi_code": kpi, "kpi_name": "Average length of stay", "unit_code": unit, "unit_name": unit_name,
            "period": period, "value": value, "unit_of_measure": "days", "owners": [owner], **extra}
    return new_event(event_type, data, source="urn:wtgr:metrics", subject=f"{kpi}|{unit}", now=when)


def test_a_week_of_updates_reaches_its_owner_as_one_weekly_digest(publish, mailbox, service_url, issuer):
    run = uuid.uuid4().hex[:8]
    kpi, owner = f"ALOS-{run}", f"digest-{run}@hospital.example"
    monday = datetime(2032, 3, 1, 9, 0, tzinfo=UTC)  # a week no real digest run has reached
    for day in range(5):
        event = kpi_event("kpi.updated", kpi, f"WARD-{day}", f"Ward {day + 1}", owner, "2032-02", 4.6 + day / 10,
                          monday + timedelta(days=day), previous_value=None, revision=1, source="pas",
                          cause="measure")
        publish(topics.KPIS, f"{kpi}|WARD-{day}", event)
    admin = {"Authorization": f"Bearer {issuer.issue('e2e-admin', ['admin'])}"}
    notifications = service_url("notifications")
    me = {"Authorization": f"Bearer {issuer.issue('owner', ['kpi_owner'], email=owner)}"}
    deadline = datetime.now(UTC) + timedelta(seconds=WAIT)
    while requests.get(f"{notifications}/api/v1/me/notifications/unread-count", headers=me,
                       timeout=10).json()["unread"] < 5:
        assert datetime.now(UTC) < deadline, "the five updates did not reach the owner's feed"
        time.sleep(0.5)
    next_monday = (monday + timedelta(days=7)).replace(hour=8)
    for _ in range(2):  # run twice: one digest
        response = requests.post(f"{notifications}/api/v1/digests/run", json={"now": next_monday.isoformat()},
                                 headers=admin, timeout=30)
        assert response.status_code == 200

    digest = mailbox.wait_for(owner, lambda m: "weekly digest" in m.subject, timeout=WAIT)
    assert digest.subject == "[WTGR] Your weekly digest: 5 updates to 8 March 2032"
    message = received(mailbox, digest)
    assert_fits_an_nhs_inbox(message, service_portal(message))
    text = message.get_body(("plain",)).get_content()
    for day in range(5):
        assert f"Average length of stay for Ward {day + 1}, February 2032: {4.6 + day / 10:g} days" in text
    assert "Monday 1 March 2032" in text and "Friday 5 March 2032" in text
    assert len(mailbox.messages(owner)) == 1


def service_portal(message):
    return message["List-Unsubscribe"].strip("<>").split("/unsubscribe/")[0]


def test_a_special_cause_at_four_levels_of_the_hierarchy_is_one_alert_email(publish, mailbox):
    run = uuid.uuid4().hex[:8]
    kpi, owner = f"ALOS-{run}", f"alert-{run}@hospital.example"
    for unit, name in [("WARD-7", "Ward 7"), ("DIR-ELDER", "Elderly care"), ("DIV-MED", "Medicine"),
                       ("TRUST", "The trust")]:
        publish(topics.KPIS, f"{kpi}|{unit}", kpi_event(
            "kpi.special_cause_detected", kpi, unit, name, owner, "2026-09", 6.8, signal_start="2026-09",
            special_cause_type="Above UCL", point_type="special_cause_concern", improvement_direction="decrease",
            mean=4.6, lpl=3.1, upl=6.1))

    alert = mailbox.wait_for(owner, lambda m: "[WTGR alert]" in m.subject, timeout=WAIT)
    assert alert.subject == ("[WTGR alert] Average length of stay: special cause in September 2026 at 4 levels of "
                             "the hierarchy")
    message = received(mailbox, alert)
    assert_fits_an_nhs_inbox(message, service_portal(message))
    for name in ("Ward 7", "Elderly care", "Medicine", "The trust"):
        assert f"{name}: 6.8 days in September 2026" in message.get_body(("plain",)).get_content()
    assert len(mailbox.messages(owner)) == 1


def declined(person, title):
    idea_id = str(uuid.uuid4())
    return new_event("idea.stage_changed", {
        "idea_id": idea_id, "title": title, "from_stage": "under_review", "to_stage": "declined",
        "reason": "Already done", "changed_by": "qi-lead-1", "path": f"/ideas/{idea_id}",
        "audience": [{"email": person, "name": "Pat", "relation": "submitter"}]}, source="urn:wtgr:ideas",
        subject=idea_id)


def test_a_one_click_unsubscribe_stops_the_next_email(publish, mailbox):
    run = uuid.uuid4().hex[:8]
    person = f"unsub-{run}@hospital.example"
    publish(topics.IDEAS, "first", declined(person, f"First idea {run}"))
    first = mailbox.wait_for(person, lambda m: "First idea" in m.subject, timeout=WAIT)
    message = received(mailbox, first)
    url = message["List-Unsubscribe"].strip("<>")
    # what a mail client does (RFC 8058): POST the one-click body to the link, with no cookie
    response = requests.post(url, data={"List-Unsubscribe": "One-Click"}, timeout=30)
    assert response.status_code == 200 and response.json()["unsubscribed"] is True

    publish(topics.IDEAS, "second", declined(person, f"Second idea {run}"))
    sentinel = kpi_event("measure.overdue", f"K-{run}", "WARD-7", "Ward 7", person, "2026-09", 0,
                         expected_by="2026-10-15")
    sentinel.data.pop("value")
    sentinel.data.pop("unit_of_measure")
    publish(topics.KPIS, "sentinel", sentinel)  # another kind, still wanted: it arrives after the second
    mailbox.wait_for(person, lambda m: "Overdue" in m.subject, timeout=WAIT)
    assert [m.subject for m in mailbox.messages(person) if "idea" in m.subject.lower()] == [
        f"[WTGR] Idea declined: First idea {run}"]
