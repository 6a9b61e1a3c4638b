"""The training programme on real PostgreSQL: booking for others, cancelling and the waitlist,
registers, certificates, session changes, reminders, records and the monthly staff-trained counts."""

import csv
import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from services.conftest import outbox
from services.training.service_layer import schedule
from shared.db import unit_of_work

pytestmark = pytest.mark.integration


def new_course(client, bearer, **fields) -> str:
    code = f"QI-{uuid.uuid4().hex[:8].upper()}"
    response = client.post("/api/v1/courses", json={"code": code, "title": f"QI course {code}", **fields},
                           headers=bearer("trainer"))
    assert response.status_code == 201, response.get_json()
    return code


@pytest.fixture
def course(training_client, bearer) -> str:
    return new_course(training_client, bearer)


def person(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def schedule_at(client, bearer, course, starts_at, capacity=10):
    response = client.post(f"/api/v1/courses/{course}/sessions", headers=bearer("trainer", user="tara.trainer"),
                           json={"starts_at": starts_at.isoformat(), "capacity": capacity, "location": "Room 2"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def book(client, bearer, session_id, caller, *, role="staff", **body):
    return client.post(f"/api/v1/sessions/{session_id}/enrolments", json=body, headers=bearer(role, user=caller))


def cancel(client, bearer, session_id, user, *, by=None, role="staff"):
    return client.delete(f"/api/v1/sessions/{session_id}/enrolments/{user}", headers=bearer(role, user=by or user))


def register(client, bearer, session_id, attended):
    return client.post(f"/api/v1/sessions/{session_id}/register", json={"attended": attended},
                       headers=bearer("trainer", user="tara.trainer"))


def soon(days=20):
    return datetime.now(UTC) + timedelta(days=days)


def held(client, bearer, course, clock, learners, *, starts_at=None, capacity=10):
    """A session booked by ``learners`` beforehand (in that order); the clock is then after its start."""
    starts_at = starts_at or datetime(2019, 5, 14, 9, 30, tzinfo=UTC)
    clock.at = starts_at - timedelta(days=3)
    session_id = schedule_at(client, bearer, course, starts_at, capacity)
    for learner in learners:
        assert book(client, bearer, session_id, learner).status_code == 201
    clock.at = starts_at + timedelta(hours=4)
    return session_id


def data(events):
    return [event["envelope"]["data"] for event in events]


# -- sessions ----------------------------------------------------------------------------------------

def test_a_session_in_the_past_is_a_422_naming_starts_at_and_nothing_is_scheduled(training_client, bearer, course):
    response = training_client.post(f"/api/v1/courses/{course}/sessions", headers=bearer("trainer"), json={
        "starts_at": "2020-03-01T09:00:00+00:00", "capacity": 5})
    assert response.status_code == 422
    assert "starts_at" in response.get_json()["errors"]
    assert training_client.get(f"/api/v1/courses/{course}/sessions", headers=bearer("staff")).get_json()["total"] == 0


def test_rescheduling_a_session_tells_everyone_booked_and_needs_its_version(
        training_client, training_state, bearer, course):
    session_id = schedule_at(training_client, bearer, course, soon(), capacity=1)
    book(training_client, bearer, session_id, "ann")
    book(training_client, bearer, session_id, "ben")  # waitlisted: told as well
    url, later = f"/api/v1/sessions/{session_id}", soon(27).isoformat()
    tara = bearer("trainer", user="tara.trainer")
    assert training_client.patch(url, json={"starts_at": later}, headers=tara).status_code == 412
    assert training_client.patch(url, json={"starts_at": later}, headers={
        **tara, "If-Match": '"7"'}).status_code == 412
    past = training_client.patch(url, json={"starts_at": "2021-01-01T09:00:00+00:00"},
                                 headers={**tara, "If-Match": '"1"'})
    assert past.status_code == 422
    moved = training_client.patch(url, json={"starts_at": later, "location": "Room 9"},
                                  headers={**tara, "If-Match": '"1"'})
    assert moved.status_code == 200
    assert (moved.headers["ETag"], moved.get_json()["location"]) == ('"2"', "Room 9")
    [told] = data(outbox(training_state, session_id, "training.session_rescheduled"))
    assert [person["email"] for person in told["audience"]] == ["ann@hospital.example", "ben@hospital.example"]
    assert (told["where"], told["path"]) == ("Room 9", f"/training/courses/{course}")
    assert record_line(training_client, bearer, "ann", session_id)["session_moved"] is True


def record_line(client, bearer, user, session_id) -> dict:
    lines = client.get("/api/v1/me/record", headers=bearer("staff", user=user)).get_json()["items"]
    return next(line for line in lines if line["session_id"] == session_id)


def test_cancelling_a_session_cancels_every_booking_and_tells_everyone(training_client, training_state, bearer, course):
    session_id = schedule_at(training_client, bearer, course, soon())
    book(training_client, bearer, session_id, "ann")
    response = training_client.post(f"/api/v1/sessions/{session_id}/cancellation", json={"reason": "Trainer unwell"},
                                    headers={**bearer("trainer", user="tara.trainer"), "If-Match": '"1"'})
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    [told] = data(outbox(training_state, session_id, "training.session_cancelled"))
    assert (told["reason"], [p["email"] for p in told["audience"]]) == ("Trainer unwell", ["ann@hospital.example"])
    mine = training_client.get("/api/v1/me/enrolments", headers=bearer("staff", user="ann")).get_json()["items"]
    assert next(b for b in mine if b["session_id"] == session_id)["status"] == "cancelled"
    assert book(training_client, bearer, session_id, "cat").status_code == 409
    line = record_line(training_client, bearer, "ann", session_id)
    assert (line["session_status"], line["session_cancel_reason"], line["session_moved"]) == (
        "cancelled", "Trainer unwell", False)


def test_only_the_sessions_own_trainers_and_admins_move_or_cancel_it(training_client, bearer, course):
    session_id = schedule_at(training_client, bearer, course, soon())
    url, later = f"/api/v1/sessions/{session_id}", soon(30).isoformat()
    other = {**bearer("trainer", user="otto.othertrainer"), "If-Match": '"1"'}
    assert training_client.patch(url, json={"starts_at": later}, headers=other).status_code == 403
    assert training_client.post(f"{url}/cancellation", json={"reason": "Not mine"}, headers=other).status_code == 403
    assert training_client.get(url, headers=bearer("staff")).get_json()["version"] == 1  # nothing changed
    admin = {**bearer("admin", user="ada.admin"), "If-Match": '"1"'}
    assert training_client.patch(url, json={"starts_at": later}, headers=admin).status_code == 200


# -- booking -----------------------------------------------------------------------------------------

def test_a_trainer_books_a_place_for_the_learner_the_body_names(training_client, training_state, bearer, course):
    session_id = schedule_at(training_client, bearer, course, soon())
    learner = person("pat")
    response = book(training_client, bearer, session_id, "tara.trainer", role="trainer", user=learner,
                    name="Pat Partner", email="pat@partner.example", directorate="DIR-ELDER")
    assert response.status_code == 201
    booking = response.get_json()
    assert (booking["user_id"], booking["booked_by"], booking["name"]) == (learner, "tara.trainer", "Pat Partner")
    [told] = data(outbox(training_state, session_id, "training.enrolled"))
    assert told["audience"] == [{"email": "pat@partner.example", "name": "Pat Partner", "relation": "learner"}]


def test_staff_cannot_book_or_cancel_for_someone_else(training_client, training_state, bearer, course):
    session_id = schedule_at(training_client, bearer, course, soon())
    assert book(training_client, bearer, session_id, "sam", user="someone-else").status_code == 403
    assert book(training_client, bearer, session_id, "ann").status_code == 201
    assert cancel(training_client, bearer, session_id, "ann", by="sam").status_code == 403
    assert [e["event_type"] for e in outbox(training_state, session_id)] == ["training.enrolled"]


def test_cancelling_a_place_gives_it_to_the_first_on_the_waitlist_and_tells_them(
        training_client, training_state, bearer, course):
    session_id = schedule_at(training_client, bearer, course, soon(), capacity=1)
    for learner in ("ann", "ben", "cat"):
        book(training_client, bearer, session_id, learner)
    response = cancel(training_client, bearer, session_id, "ann")
    assert (response.status_code, response.get_json()["status"]) == (200, "cancelled")
    register_now = training_client.get(f"/api/v1/sessions/{session_id}/register",
                                       headers=bearer("trainer")).get_json()["items"]
    assert [(line["user_id"], line["status"], line["position"]) for line in register_now] == [
        ("ann", "cancelled", None), ("ben", "enrolled", None), ("cat", "waitlisted", 1)]
    [promoted] = data(outbox(training_state, session_id, "training.promoted"))
    assert (promoted["user"], promoted["audience"][0]["email"]) == ("ben", "ben@hospital.example")
    assert cancel(training_client, bearer, session_id, "ann").status_code == 409
    assert book(training_client, bearer, session_id, "ann").get_json()["position"] == 2  # booked again: behind cat


def test_leaving_the_waitlist_moves_those_behind_up_and_promotes_nobody(
        training_client, training_state, bearer, course):
    session_id = schedule_at(training_client, bearer, course, soon(), capacity=1)
    for learner in ("ann", "ben", "cat"):
        book(training_client, bearer, session_id, learner)
    assert cancel(training_client, bearer, session_id, "ben").status_code == 200
    mine = training_client.get("/api/v1/me/enrolments", headers=bearer("staff", user="cat")).get_json()["items"]
    assert next(b for b in mine if b["session_id"] == session_id)["position"] == 1
    assert outbox(training_state, session_id, "training.promoted") == []


def test_a_course_with_a_prerequisite_is_booked_only_after_completing_it(training_client, bearer, course, clock):
    advanced = new_course(training_client, bearer, prerequisite_code=course, level_code="PRACTITIONER")
    learner = person("dee")
    first = held(training_client, bearer, course, clock, [learner])
    clock.at = None
    later = schedule_at(training_client, bearer, advanced, soon())
    assert book(training_client, bearer, later, learner).status_code == 409
    clock.at = datetime(2019, 5, 14, 13, 0, tzinfo=UTC)
    assert register(training_client, bearer, first, [learner]).status_code == 200
    clock.at = None
    assert book(training_client, bearer, later, learner).status_code == 201


def test_many_concurrent_bookings_never_fill_more_places_than_there_are(training_client, bearer, course):
    session_id = schedule_at(training_client, bearer, course, soon(), capacity=5)
    learners = [person("rush") for _ in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:  # as many at once as the API's connection pool serves
        answers = list(pool.map(lambda learner: book(training_client, bearer, session_id, learner), learners))
    assert [answer.status_code for answer in answers] == [201] * 40
    bookings = [answer.get_json() for answer in answers]
    assert sum(b["status"] == "enrolled" for b in bookings) == 5
    assert sorted(b["position"] for b in bookings if b["status"] == "waitlisted") == list(range(1, 36))
    session = training_client.get(f"/api/v1/sessions/{session_id}", headers=bearer("staff")).get_json()
    assert (session["places_left"], session["waitlisted"]) == (0, 35)


# -- attendance and certificates ---------------------------------------------------------------------

def test_a_waitlisted_learner_cannot_be_marked_attended_nor_counted(training_client, training_state, bearer, course,
                                                                     clock):
    session_id = held(training_client, bearer, course, clock, ["ann", "ben", "cat"], capacity=2)
    response = training_client.post(f"/api/v1/sessions/{session_id}/attendance", json={"user": "cat"},
                                    headers=bearer("trainer"))
    assert response.status_code == 409
    assert "waitlist" in response.get_json()["detail"]
    assert outbox(training_state, session_id, "training.completed") == []


def test_the_register_marks_everyone_in_one_request_or_nobody(training_client, training_state, bearer, course, clock):
    session_id = held(training_client, bearer, course, clock, ["ann", "ben", "cat"], capacity=2)
    assert register(training_client, bearer, session_id, ["ann", "cat"]).status_code == 409  # cat is waitlisted
    assert outbox(training_state, session_id, "training.completed") == []
    response = register(training_client, bearer, session_id, ["ann", "ben"])
    assert response.status_code == 200
    assert [m["user_id"] for m in response.get_json()["marked"]] == ["ann", "ben"]
    assert register(training_client, bearer, session_id, ["ann"]).get_json()["marked"] == []  # sent again
    lines = training_client.get(f"/api/v1/sessions/{session_id}/register", headers=bearer("trainer")).get_json()
    assert [(line["user_id"], line["attended"]) for line in lines["items"]] == [
        ("ann", True), ("ben", True), ("cat", False)]
    issued = data(outbox(training_state, session_id, "training.certificate_issued"))
    assert [(e["user"], e["path"]) for e in issued] == [
        (line["user_id"], f"/training/certificates/{line['certificate_code']}") for line in lines["items"][:2]]


def test_a_certificate_is_a_pdf_anyone_can_verify_by_its_code(training_client, bearer, course, clock, tmp_path):
    learner = person("eve")
    session_id = held(training_client, bearer, course, clock, [])
    clock.at = datetime(2019, 5, 13, 9, 0, tzinfo=UTC)
    book(training_client, bearer, session_id, learner, name="Eve Ward-Sister")
    clock.at = datetime(2019, 5, 14, 13, 0, tzinfo=UTC)
    [marked] = register(training_client, bearer, session_id, [learner]).get_json()["marked"]
    code = marked["certificate_code"]
    verified = training_client.get(f"/api/v1/public/certificates/{code}")  # no token
    assert verified.status_code == 200
    assert {k: verified.get_json()[k] for k in ("valid", "name", "completed_on")} == {
        "valid": True, "name": "Eve Ward-Sister", "completed_on": "2019-05-14"}
    assert training_client.get("/api/v1/public/certificates/AAAA-BBBB-CCCC").status_code == 404
    assert training_client.get("/api/v1/public/certificates/nonsense").status_code == 404
    pdf = training_client.get(f"/api/v1/certificates/{code}/pdf", headers=bearer("staff", user=learner))
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    for expected in ("Certificate of completion", "Eve Ward-Sister", f"QI course {course}", "Level: Introductory",
                     "Completed on 14 May 2019", f"Verification code: {code}", f"/training/verify/{code}"):
        assert expected in text
    assert training_client.get(f"/api/v1/certificates/{code}/pdf",
                               headers=bearer("staff", user="somebody")).status_code == 404


def test_completing_a_higher_level_publishes_the_persons_qi_level_once(training_client, training_state, bearer,
                                                                       course, clock):
    learner = person("fay")
    first = held(training_client, bearer, course, clock, [learner])
    register(training_client, bearer, first, [learner])
    other_intro = new_course(training_client, bearer)
    second = held(training_client, bearer, other_intro, clock, [learner],
                  starts_at=datetime(2019, 6, 11, 9, 30, tzinfo=UTC))
    register(training_client, bearer, second, [learner])
    practitioner = new_course(training_client, bearer, level_code="PRACTITIONER")
    third = held(training_client, bearer, practitioner, clock, [learner],
                 starts_at=datetime(2019, 7, 9, 9, 30, tzinfo=UTC))
    register(training_client, bearer, third, [learner])
    levels = data(outbox(training_state, learner, "training.qi_level_reached"))
    assert [(e["level_code"], e["level_rank"]) for e in levels] == [("INTRODUCTORY", 1), ("PRACTITIONER", 2)]


# -- the record --------------------------------------------------------------------------------------

def test_my_record_lists_every_booking_with_attendance_and_certificate_and_exports_as_csv(
        training_client, bearer, course, clock):
    learner = person("gus")
    attended = held(training_client, bearer, course, clock, [learner])
    [marked] = register(training_client, bearer, attended, [learner]).get_json()["marked"]
    clock.at = None
    upcoming = schedule_at(training_client, bearer, course, soon())
    book(training_client, bearer, upcoming, learner)
    me = bearer("staff", user=learner)
    record = training_client.get("/api/v1/me/record", headers=me).get_json()["items"]
    assert [(r["session_id"], r["status"], r["attended"], r["certificate_code"], r["course_code"]) for r in record] == [
        (upcoming, "enrolled", False, None, course), (attended, "enrolled", True, marked["certificate_code"], course)]
    exported = training_client.get("/api/v1/me/record.csv", headers=me)
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [(r["course_code"], r["attended"], r["certificate_code"]) for r in rows] == [
        (course, "False", ""), (course, "True", marked["certificate_code"])]
    by_trainer = training_client.get(f"/api/v1/people/{learner}/record", headers=bearer("trainer")).get_json()
    assert len(by_trainer["items"]) == 2
    assert training_client.get(f"/api/v1/people/{learner}/record", headers=bearer("staff")).status_code == 403


# -- scheduled jobs ----------------------------------------------------------------------------------

def test_reminders_go_7_days_and_1_day_before_each_once(training_client, training_state, bearer, course, clock):
    starts_at = datetime(2033, 3, 20, 9, 30, tzinfo=UTC)
    clock.at = starts_at - timedelta(days=30)
    session_id = schedule_at(training_client, bearer, course, starts_at, capacity=1)
    book(training_client, bearer, session_id, "ann")
    book(training_client, bearer, session_id, "ben")  # waitlisted: no reminder

    def run(now):
        with unit_of_work(training_state.pool, "training") as uow:
            schedule.send_reminders(uow, now)
        return [(e["user"], e["days_before"]) for e in data(outbox(training_state, session_id, "training.reminder"))]

    assert run(starts_at - timedelta(days=8)) == []
    assert run(starts_at - timedelta(days=6, hours=23)) == [("ann", 7)]
    assert run(starts_at - timedelta(days=6)) == [("ann", 7)]  # idempotent
    assert run(starts_at - timedelta(hours=20)) == [("ann", 7), ("ann", 1)]
    assert run(starts_at - timedelta(hours=2)) == [("ann", 7), ("ann", 1)]


def test_staff_trained_is_published_per_directorate_only_once_the_month_is_over(
        training_client, training_state, bearer, course, clock):
    directorate = f"DIR-{uuid.uuid4().hex[:6].upper()}"
    starts_at = datetime(2034, 3, 12, 9, 30, tzinfo=UTC)
    clock.at = starts_at - timedelta(days=3)
    session_id = schedule_at(training_client, bearer, course, starts_at)
    for learner in ("ann", "ben"):
        assert book(training_client, bearer, session_id, learner, directorate=directorate).status_code == 201
    clock.at = starts_at + timedelta(hours=4)
    register(training_client, bearer, session_id, ["ann"])

    def publish(now):
        with unit_of_work(training_state.pool, "training") as uow:
            schedule.publish_staff_trained(uow, now)
        return [(e["period"], e["value"]) for e in data(outbox(training_state, f"STAFF_TRAINED_QI|{directorate}"))]

    assert publish(datetime(2034, 3, 31, 22, 0, tzinfo=UTC)) == []  # 23:00 in London (BST): still March
    assert publish(datetime(2034, 3, 31, 23, 5, tzinfo=UTC)) == [("2034-03", 1.0)]
    assert publish(datetime(2034, 4, 2, tzinfo=UTC)) == [("2034-03", 1.0)]  # once
    register(training_client, bearer, session_id, ["ben"])  # a late register
    assert publish(datetime(2034, 4, 3, tzinfo=UTC)) == [("2034-03", 1.0), ("2034-03", 2.0)]
    trust = [e for e in data(outbox(training_state, "STAFF_TRAINED_QI|TRUST")) if e["period"] == "2034-03"]
    assert [e["value"] for e in trust][-1] == 2.0
