"""A place freed on a full training session reaches the first on the waitlist by email: the training
API's events go through its relay to Kafka, the notifications consumer and mailer, and the real SMTP
server (Mailpit)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

PORTAL_URL = os.environ.get("WTGR_PORTAL_URL", "http://localhost:8000")  # the links emails carry

pytestmark = pytest.mark.e2e


def test_the_learner_promoted_from_the_waitlist_is_emailed_their_place(service_url, issuer, mailbox):
    training = service_url("training")
    trainer = {"Authorization": f"Bearer {issuer.issue('tara.trainer', ['trainer'])}"}
    code = f"QI-{uuid.uuid4().hex[:8].upper()}"
    assert requests.post(f"{training}/api/v1/courses", json={"code": code, "title": "QI foundations"},
                         headers=trainer, timeout=10).status_code == 201
    starts_at = datetime(2031, 4, 14, 8, 30, tzinfo=UTC)  # 09:30 in London (BST)
    session = requests.post(f"{training}/api/v1/courses/{code}/sessions", headers=trainer, timeout=10, json={
        "starts_at": starts_at.isoformat(), "capacity": 1, "location": "Education Centre, Room 2"}).json()
    first, second = (f"{who}-{uuid.uuid4().hex[:8]}" for who in ("ann", "ben"))
    ben_email = f"{second}@example.org"
    for user, email in ((first, f"{first}@example.org"), (second, ben_email)):
        response = requests.post(f"{training}/api/v1/sessions/{session['id']}/enrolments", headers=trainer,
                                 json={"user": user, "name": user.split("-")[0].title(), "email": email}, timeout=10)
        assert response.status_code == 201, response.text
    mailbox.wait_for(ben_email, lambda m: "On the waiting list" in m.subject, timeout=90)

    cancelled = requests.delete(f"{training}/api/v1/sessions/{session['id']}/enrolments/{first}", headers=trainer,
                                timeout=10)
    assert cancelled.status_code == 200

    promoted = mailbox.wait_for(ben_email, lambda m: "A place is yours" in m.subject, timeout=90)
    assert promoted.subject == "[WTGR] A place is yours: QI foundations, Monday 14 April 2031 at 09:30"
    body = promoted.body_text
    assert body.startswith("Dear Ben,")
    assert "Where: Education Centre, Room 2" in body
    assert f"{PORTAL_URL}/training/courses/{code}" in body
    assert starts_at - timedelta(days=1) > datetime.now(UTC)  # no reminder interferes: the session is years away
