"""The hub on the real database: who is told, once; alerts gathered; digests; the cap; leaving and
unsubscribing; the feed, preferences and follows over the API."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.service_layer.delivery import run_digests
from services.notifications.service_layer.handlers import event_handlers
from shared.db import unit_of_work
from shared.events import new_event

pytestmark = pytest.mark.integration

LEVELS = [("WARD-7", "Ward 7"), ("DIR-ELDER", "Elderly care"), ("DIV-MED", "Medicine"), ("TRUST", "The trust")]


@pytest.fixture
def hub(notifications_state):
    return dataclasses.replace(notifications_state.hub, alert_hold_seconds=3600, daily_cap=3)


@pytest.fixture
def person():
    return f"pat-{uuid.uuid4().hex[:8]}@trust.example"


def handle(state, hub, event):
    with unit_of_work(state.pool, "notifications") as uow:
        event_handlers(hub)[event.type](uow, event, event.data)


def alert(kpi, unit, name, owner, period="2026-09"):
    return new_event("kpi.special_cause_detected", {
        "kpi_code": kpi, "kpi_name": "Average length of stay", "unit_code": unit, "unit_name": name,
        "period": period, "signal_start": period, "special_cause_type": "Above UCL",
        "point_type": "special_cause_concern", "improvement_direction": "decrease", "value": 6.8, "mean": 4.6,
        "lpl": 3.1, "upl": 6.1, "unit_of_measure": "days", "owners": [owner]}, source="urn:wtgr:metrics")


def update(kpi, owner, period, value, when=None):
    return new_event("kpi.updated", {
        "kpi_code": kpi, "kpi_name": "Average length of stay", "unit_code": "WARD-7", "unit_name": "Ward 7",
        "period": period, "value": value, "previous_value": None, "revision": 1, "unit_of_measure": "days",
        "owners": [owner], "source": "pas", "cause": "measure"}, source="urn:wtgr:metrics", now=when)


def declined(person, relation="submitter"):
    idea_id = str(uuid.uuid4())
    return new_event("idea.stage_changed", {
        "idea_id": idea_id, "title": "Quieter nights on Ward 7", "from_stage": "under_review", "to_stage": "declined",
        "reason": "Lights already dim at 22:00", "changed_by": "qi-lead-1", "path": f"/ideas/{idea_id}",
        "audience": [{"email": person, "name": "Pat", "relation": relation}]}, source="urn:wtgr:ideas")


def emails_to(state, person):
    with state.pool.connection() as conn:
        return conn.execute("SELECT id::text AS id, kind, subject, body, html_body, status, unsubscribe, message_id "
                            "FROM emails WHERE person = %s ORDER BY created_at", (person,)).fetchall()


def notifications_of(state, person):
    with state.pool.connection() as conn:
        return conn.execute("SELECT kind, email_cadence, email_id FROM notifications WHERE person = %s "
                            "ORDER BY created_at", (person,)).fetchall()


def test_a_special_cause_seen_at_four_levels_of_the_hierarchy_is_one_email_listing_them(
        notifications_state, hub, person):
    kpi = f"ALOS-{uuid.uuid4().hex[:6]}"
    for unit, name in LEVELS:
        handle(notifications_state, hub, alert(kpi, unit, name, person))
    [email] = emails_to(notifications_state, person)
    assert email["kind"] == "alert"
    assert email["subject"] == ("[WTGR alert] Average length of stay: special cause in September 2026 at 4 levels "
                                "of the hierarchy")
    for _, name in LEVELS:
        assert f"{name}: 6.8 days in September 2026" in email["body"]
        assert f"{name}: 6.8 days in September 2026" in email["html_body"]
    assert len(notifications_of(notifications_state, person)) == 4


def test_a_redelivered_event_tells_each_person_once(notifications_state, hub, person):
    event = declined(person)
    for _ in range(2):
        handle(notifications_state, hub, event)
    assert len(emails_to(notifications_state, person)) == 1
    assert len(notifications_of(notifications_state, person)) == 1


def test_routine_updates_wait_for_one_weekly_digest_listing_the_week_sent_once(notifications_state, hub, person):
    kpi = f"ALOS-{uuid.uuid4().hex[:6]}"
    monday = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
    for day in range(5):
        handle(notifications_state, hub, update(kpi, person, f"2031-0{1 + day % 2}", 4.0 + day / 10,
                                                monday + timedelta(days=day)))
    assert emails_to(notifications_state, person) == []
    next_monday = monday + timedelta(days=7)
    run_digests(notifications_state.pool, hub, next_monday - timedelta(hours=3))  # before 07:00: last week's slot
    assert emails_to(notifications_state, person) == []
    assert run_digests(notifications_state.pool, hub, next_monday) >= 1
    run_digests(notifications_state.pool, hub, next_monday + timedelta(hours=1))  # the same slot: nothing again
    [digest] = emails_to(notifications_state, person)
    assert digest["kind"] == "digest"
    assert digest["subject"] == "[WTGR] Your weekly digest: 5 updates to 10 March 2031"
    assert digest["body"].count("Open it on the WTGR portal") == 5
    assert "Monday 3 March 2031" in digest["body"] and "Friday 7 March 2031" in digest["body"]


def test_beyond_the_daily_cap_an_update_waits_for_the_daily_digest_but_alerts_never_do(
        notifications_state, hub, person):
    for _ in range(4):
        handle(notifications_state, hub, declined(person))
    handle(notifications_state, hub, alert(f"K-{uuid.uuid4().hex[:6]}", "WARD-7", "Ward 7", person))
    kinds = [email["kind"] for email in emails_to(notifications_state, person)]
    assert kinds == ["single", "single", "single", "alert"]
    assert [n["email_cadence"] for n in notifications_of(notifications_state, person)].count("daily") == 1


def test_one_click_unsubscribe_stops_the_next_email_of_that_kind(notifications_state, hub, person, client):
    handle(notifications_state, hub, declined(person))
    [email] = emails_to(notifications_state, person)
    described = client.get(f"/api/v1/unsubscribe/{email['unsubscribe']}")
    assert described.status_code == 200 and described.json["done"] is False
    done = client.post(f"/api/v1/unsubscribe/{email['unsubscribe']}")
    assert done.status_code == 200 and done.json["what"] == "my_work"
    handle(notifications_state, hub, declined(person))
    assert len(emails_to(notifications_state, person)) == 1
    assert [n["email_cadence"] for n in notifications_of(notifications_state, person)] == ["immediately", "off"]


def test_a_forged_unsubscribe_token_is_a_404(client):
    assert client.post("/api/v1/unsubscribe/not-a-token").status_code == 404


def test_an_owner_who_left_a_kpi_is_not_subscribed_again_by_its_next_event(notifications_state, hub, person,
                                                                           client, issuer):
    me = {"Authorization": f"Bearer {issuer.issue('pat', ['staff'], email=person)}"}
    kpi = f"ALOS-{uuid.uuid4().hex[:6]}"
    handle(notifications_state, hub, alert(kpi, "WARD-7", "Ward 7", person))
    assert client.delete(f"/api/v1/me/follows/kpi:{kpi}@WARD-7", headers=me).json["following"] is False
    handle(notifications_state, hub, alert(kpi, "WARD-7", "Ward 7", person, period="2026-10"))
    assert len(emails_to(notifications_state, person)) == 1


def test_a_follower_of_a_kpi_at_a_unit_hears_of_it_as_they_chose(notifications_state, hub, person, client, issuer):
    me = {"Authorization": f"Bearer {issuer.issue('pat', ['staff'], email=person)}"}
    kpi = f"ALOS-{uuid.uuid4().hex[:6]}"
    followed = client.post("/api/v1/me/follows", headers=me, json={
        "topic": f"kpi:{kpi}@WARD-7", "title": "Average length of stay, Ward 7", "path": f"/kpis/{kpi}/units/WARD-7"})
    assert followed.status_code == 200 and followed.json["following"] is True
    chosen = client.put("/api/v1/me/preferences/kpi_update", headers=me, json={"email": "immediately"})
    assert chosen.json["email"] == "immediately" and chosen.json["chosen"] is True
    handle(notifications_state, hub, update(kpi, "someone.else@trust.example", "2026-09", 4.6))
    [email] = emails_to(notifications_state, person)
    assert email["subject"] == "[WTGR] Average length of stay for Ward 7, September 2026: 4.6 days"
    assert "because you follow it" in email["body"]


def test_the_feed_pages_counts_unread_and_marks_read(notifications_state, hub, person, client, issuer):
    me = {"Authorization": f"Bearer {issuer.issue('pat', ['staff'], email=person)}"}
    for _ in range(3):
        handle(notifications_state, hub, declined(person, relation="follower"))
    assert client.get("/api/v1/me/notifications/unread-count", headers=me).json == {"unread": 3}
    first = client.get("/api/v1/me/notifications?page_size=2", headers=me).json
    assert len(first["items"]) == 2 and first["next"]
    rest = client.get(f"/api/v1/me/notifications?page_size=2&cursor={first['next']}", headers=me).json
    assert len(rest["items"]) == 1
    read = client.post(f"/api/v1/me/notifications/{first['items'][0]['id']}/read", headers=me)
    assert read.status_code == 200 and read.json["unread"] is False
    assert client.get("/api/v1/me/notifications?unread=true", headers=me).json["total"] == 2
    assert client.post("/api/v1/me/notifications/read-all", headers=me,
                       json={"seen_until": datetime.now(UTC).isoformat()}).json == {"marked": 2}
    assert client.get("/api/v1/me/notifications/unread-count", headers=me).json == {"unread": 0}
    other = {"Authorization": f"Bearer {issuer.issue('sam', ['staff'], email='sam@trust.example')}"}
    assert client.post(f"/api/v1/me/notifications/{first['items'][0]['id']}/read", headers=other).status_code == 404


def test_preferences_list_every_kind_with_its_defaults(client, issuer, person):
    me = {"Authorization": f"Bearer {issuer.issue('pat', ['staff'], email=person)}"}
    items = {item["kind"]: item for item in client.get("/api/v1/me/preferences", headers=me).json["items"]}
    assert items["kpi_alert"]["email"] == "immediately" and items["kpi_update"]["email"] == "weekly"
    assert client.put("/api/v1/me/preferences/kpi_update", headers=me, json={"email": "hourly"}).status_code == 422


def subscription_row(state, person, topic):
    with state.pool.connection() as conn:
        return conn.execute("SELECT title, updated_at FROM subscriptions WHERE person = %s AND topic = %s",
                            (person, topic)).fetchone()


def test_an_owners_subscription_follows_a_renamed_unit_and_is_not_rewritten_when_nothing_changed(
        notifications_state, hub, person):
    kpi = f"ALOS-{uuid.uuid4().hex[:6]}"
    topic = f"kpi:{kpi}@WARD-7"
    handle(notifications_state, hub, alert(kpi, "WARD-7", "Ward 7", person))
    first = subscription_row(notifications_state, person, topic)
    handle(notifications_state, hub, alert(kpi, "WARD-7", "Ward 7", person, period="2026-10"))
    assert subscription_row(notifications_state, person, topic) == first
    handle(notifications_state, hub, alert(kpi, "WARD-7", "Ward 7 (Elderly care)", person, period="2026-11"))
    renamed = subscription_row(notifications_state, person, topic)
    assert renamed["title"] == "Average length of stay, Ward 7 (Elderly care)"
    assert renamed["updated_at"] > first["updated_at"]


def test_an_alert_does_not_wait_for_another_transaction_holding_its_owners_subscription(
        notifications_state, hub, person):
    """The consumer's transaction spans a poll; having subscribed the owner for a kpi.updated of the
    same chart, it holds that row while the alert lane tells the owner of a special cause."""
    import threading

    kpi = f"ALOS-{uuid.uuid4().hex[:6]}"
    handle(notifications_state, hub, alert(kpi, "WARD-7", "Ward 7", person))
    with notifications_state.pool.connection() as holder, holder.transaction():
        holder.execute("SELECT 1 FROM subscriptions WHERE person = %s AND topic = %s FOR UPDATE",
                       (person, f"kpi:{kpi}@WARD-7"))
        told = threading.Thread(target=handle, args=(
            notifications_state, hub, alert(kpi, "WARD-7", "Ward 7", person, period="2026-10")), daemon=True)
        told.start()
        told.join(timeout=20)
        waited = told.is_alive()
    told.join(timeout=20)
    assert not waited, "the alert waited for the row lock"
    assert len(emails_to(notifications_state, person)) == 2
