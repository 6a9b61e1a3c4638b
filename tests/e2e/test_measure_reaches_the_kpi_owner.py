"""A feed's measure travels: Kafka -> metrics (stored, revisioned) -> outbox -> Kafka -> notifications
-> SMTP, and lands in the KPI owner's inbox. Bad input on the way is dead-lettered or refused."""

import json
import uuid

import pytest
import requests
from kafka import KafkaConsumer, KafkaProducer

from shared import topics
from shared.events import new_event

pytestmark = pytest.mark.e2e


@pytest.fixture
def kpi(service_url, issuer):
    """A KPI whose owner has a unique address, on a ward of its own."""
    suffix = uuid.uuid4().hex[:8].upper()
    admin = {"Authorization": f"Bearer {issuer.issue('e2e-admin', ['admin'])}"}
    metrics = service_url("metrics")
    owner = f"owner-{suffix.lower()}@hospital.example"
    requests.post(f"{metrics}/api/v1/units", json={"code": f"W-{suffix}", "name": f"Ward {suffix}", "level": "ward"},
                  headers=admin, timeout=10).raise_for_status()
    requests.post(f"{metrics}/api/v1/kpis", json={"code": f"LOS-{suffix}", "name": "Average length of stay",
                                                   "unit_of_measure": "days", "improvement_direction": "decrease",
                                                   "owners": [owner]}, headers=admin, timeout=10).raise_for_status()
    reader = {"Authorization": f"Bearer {issuer.issue('e2e-reader', ['staff'])}"}
    as_owner = {"Authorization": f"Bearer {issuer.issue('owner', ['kpi_owner'], email=owner)}"}
    requests.put(f"{service_url('notifications')}/api/v1/me/preferences/kpi_update", json={"email": "immediately"},
                 headers=as_owner, timeout=10).raise_for_status()  # routine updates are otherwise weekly
    return {"code": f"LOS-{suffix}", "unit": f"W-{suffix}", "owner": owner, "reader": reader}


def publish_as_a_feed(bootstrap: str, event_json: bytes, key: bytes) -> None:
    """Any Kafka client will do: this is a plain producer, not the platform's."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send(topics.MEASURES, key=key, value=event_json).get(timeout=10)
    producer.close()


def measure_event(kpi, value=4.4, period="2026-09"):
    return new_event("measure.recorded", {"kpi_code": kpi["code"], "unit_code": kpi["unit"], "period": period,
                                          "value": value, "source": "pas-feed"}, source="urn:wtgr:feed:pas")


def to_owner(kpi):
    return lambda message: kpi["owner"] in message.to


def test_a_measure_published_by_a_feed_reaches_the_kpi_owners_inbox(kafka_bootstrap, kpi, mailbox, service_url):
    event = measure_event(kpi)
    publish_as_a_feed(kafka_bootstrap, event.to_json(), f"{kpi['code']}|{kpi['unit']}".encode())

    email = mailbox.wait_for(kpi["owner"], to_owner(kpi))
    assert "Average length of stay" in email.subject
    assert "September 2026" in email.subject
    assert "4.4" in email.body_text

    series = requests.get(f"{service_url('metrics')}/api/v1/kpis/{kpi['code']}/units/{kpi['unit']}/measures",
                          headers=kpi["reader"], timeout=10).json()["items"]
    assert [(p["period"], p["value"]) for p in series] == [("2026-09", 4.4)]


def test_a_replayed_feed_event_is_stored_once_and_emailed_once(kafka_bootstrap, kpi, mailbox, service_url):
    event = measure_event(kpi, value=3.9)
    for _ in range(3):
        publish_as_a_feed(kafka_bootstrap, event.to_json(), f"{kpi['code']}|{kpi['unit']}".encode())
    later = measure_event(kpi, value=3.7, period="2026-10")  # same key, same partition: handled after the replays
    publish_as_a_feed(kafka_bootstrap, later.to_json(), f"{kpi['code']}|{kpi['unit']}".encode())

    mailbox.wait_for(kpi["owner"], lambda m: "October 2026" in m.subject)
    assert len([m for m in mailbox.messages(kpi["owner"]) if to_owner(kpi)(m)]) == 2
    revisions = requests.get(f"{service_url('metrics')}/api/v1/kpis/{kpi['code']}/units/{kpi['unit']}/measures/"
                             "2026-09/revisions", headers=kpi["reader"], timeout=10).json()["items"]
    assert len(revisions) == 1


def test_a_measure_posted_to_the_api_has_the_same_result(kpi, mailbox, service_url, issuer):
    feed = {"Authorization": f"Bearer {issuer.issue('warehouse', ['feed'])}"}
    response = requests.post(f"{service_url('metrics')}/api/v1/measures", headers=feed, timeout=10, json={
        "kpi_code": kpi["code"], "unit_code": kpi["unit"], "period": "2026-08", "value": 5.1, "source": "warehouse"})
    assert response.status_code == 201
    email = mailbox.wait_for(kpi["owner"], to_owner(kpi))
    assert "5.1" in email.body_text


def test_bad_feed_messages_are_dead_lettered_and_the_consumer_keeps_going(kafka_bootstrap, kpi, mailbox):
    key = f"{kpi['code']}|{kpi['unit']}".encode()
    unknown_kpi = new_event("measure.recorded", {"kpi_code": "NO-SUCH-KPI", "unit_code": kpi["unit"],
                                                 "period": "2026-09", "value": 1.0, "source": "pas"}, source="urn:t")
    invalid = new_event("measure.recorded", {"kpi_code": kpi["code"], "unit_code": kpi["unit"], "period": "Sept",
                                             "value": 1.0, "source": "pas"}, source="urn:t")
    for poison in (b"{definitely not json", invalid.to_json(), unknown_kpi.to_json()):
        publish_as_a_feed(kafka_bootstrap, poison, key)
    publish_as_a_feed(kafka_bootstrap, measure_event(kpi, value=6.2).to_json(), key)

    mailbox.wait_for(kpi["owner"], lambda m: "6.2" in m.body_text)
    reasons = dead_letter_reasons(kafka_bootstrap, key)
    assert any(r.startswith("not JSON") for r in reasons)
    assert any("must be a month" in r for r in reasons)
    assert any("unknown KPI 'NO-SUCH-KPI'" in r for r in reasons)


def test_a_measure_too_large_for_its_dead_letter_and_one_with_a_nul_do_not_hold_back_the_next(
    kafka_bootstrap, kpi, mailbox
):
    key = f"{kpi['code']}|{kpi['unit']}".encode()
    huge = new_event("measure.recorded", {"kpi_code": kpi["code"], "unit_code": kpi["unit"], "period": "2026-09",
                                          "value": 1.0, "source": "pas", "note": '"' * 450_000}, source="urn:t")
    nul = new_event("measure.recorded", {"kpi_code": kpi["code"], "unit_code": kpi["unit"], "period": "2026-09",
                                         "value": 1.0, "source": "pas\u0000"}, source="urn:t")
    for poison in (huge.to_json(), nul.to_json()):  # ~900 KB: under the broker's 1 MB, its old record was 1.8 MB
        publish_as_a_feed(kafka_bootstrap, poison, key)
    publish_as_a_feed(kafka_bootstrap, measure_event(kpi, value=6.4).to_json(), key)

    mailbox.wait_for(kpi["owner"], lambda m: "6.4" in m.body_text)
    reasons = dead_letter_reasons(kafka_bootstrap, key)
    assert any(r.startswith("too large") for r in reasons)
    assert any("data.source: text PostgreSQL cannot store" in r for r in reasons)


def dead_letter_reasons(bootstrap: str, key: bytes) -> list[str]:
    consumer = KafkaConsumer(topics.dead_letter_topic("metrics"), bootstrap_servers=bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=3000, group_id=None)
    reasons = [json.loads(m.value)["reason"] for m in consumer if m.key == key]
    consumer.close()
    return reasons
