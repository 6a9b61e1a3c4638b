"""A special cause on a KPI's chart reaches its owner as an alert email, once."""

import uuid

import pytest
import requests
from kafka import KafkaProducer

from shared import topics
from shared.events import new_event

pytestmark = pytest.mark.e2e

STEADY = [4.6, 4.4, 4.7, 4.5, 4.3, 4.6, 4.5, 4.4, 4.6, 4.5, 4.7, 4.4]


def test_a_length_of_stay_far_above_its_limit_alerts_the_owner_once(kafka_bootstrap, mailbox, service_url, issuer):
    suffix = uuid.uuid4().hex[:8].upper()
    kpi, unit, owner = f"ALERT-{suffix}", f"AW-{suffix}", f"alert-{suffix.lower()}@hospital.example"
    admin = {"Authorization": f"Bearer {issuer.issue('e2e-admin', ['admin'])}"}
    metrics = service_url("metrics")
    requests.post(f"{metrics}/api/v1/units", json={"code": unit, "name": "Ward A", "level": "ward"},
                  headers=admin, timeout=10).raise_for_status()
    requests.post(f"{metrics}/api/v1/kpis", json={"code": kpi, "name": "Length of stay", "unit_of_measure": "days",
                                                   "improvement_direction": "decrease", "owners": [owner]},
                  headers=admin, timeout=10).raise_for_status()
    for month, value in enumerate(STEADY, start=1):
        requests.post(f"{metrics}/api/v1/measures", headers=admin, timeout=10, json={
            "kpi_code": kpi, "unit_code": unit, "period": f"2024-{month:02d}", "value": value,
            "source": "warehouse"}).raise_for_status()

    owner_token = {"Authorization": f"Bearer {issuer.issue('owner', ['kpi_owner'], email=owner)}"}
    requests.put(f"{service_url('notifications')}/api/v1/me/preferences/kpi_update", json={"email": "immediately"},
                 headers=owner_token, timeout=10).raise_for_status()  # routine updates are otherwise weekly
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    spike = new_event("measure.recorded", {"kpi_code": kpi, "unit_code": unit, "period": "2025-01", "value": 9.5,
                                           "source": "pas"}, source="urn:wtgr:feed:pas")
    for _ in range(2):  # the feed resends it
        producer.send(topics.MEASURES, key=f"{kpi}|{unit}".encode(), value=spike.to_json()).get(timeout=10)
    producer.close()

    # held up to 30 s for the same month at the levels above to join it
    alert = mailbox.wait_for(owner, lambda m: m.subject.startswith("[WTGR alert]"), timeout=90)
    assert "special cause (concern) in January 2025" in alert.subject
    assert "Rule: a month above the upper process limit" in alert.body_text
    mailbox.wait_for(owner, lambda m: "January 2025" in m.subject and "alert" not in m.subject)
    assert len([m for m in mailbox.messages(owner) if "[WTGR alert]" in m.subject]) == 1
