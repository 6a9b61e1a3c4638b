import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.conftest import outbox

pytestmark = pytest.mark.integration

MEASURE_KEY = "STAFF_TRAINED_QI|TRUST"


@pytest.fixture
def course(training_client, bearer) -> str:
    code = f"QI-{uuid.uuid4().hex[:8].upper()}"
    response = training_client.post("/api/v1/courses", json={"code": code, "title": "QI foundations"},
                                    headers=bearer("trainer"))
    assert response.status_code == 201
    return code


def schedule(client, bearer, course, starts_at, capacity=10):
    response = client.post(f"/api/v1/courses/{course}/sessions", headers=bearer("trainer", user="tina"),
                           json={"starts_at": starts_at.isoformat(), "capacity": capacity, "location": "Room 2"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def enrol(client, bearer, session_id, user):
    return client.post(f"/api/v1/sessions/{session_id}/enrolments", json={}, headers=bearer("staff", user=user))


def attend(client, bearer, session_id, user):
    return client.post(f"/api/v1/sessions/{session_id}/attendance", json={"user": user}, headers=bearer("trainer"))


def held_session(client, bearer, course, clock, learners):
    """A session in a past month of its own, booked by ``learners`` beforehand; the clock is then after it."""
    starts_at = datetime(random.randint(1990, 2020), random.randint(1, 12), 15, 9, 30, tzinfo=UTC)
    clock.at = starts_at - timedelta(days=1)
    session_id = schedule(client, bearer, course, starts_at)
    for learner in learners:
        assert enrol(client, bearer, session_id, learner).status_code == 201
    clock.at = starts_at + timedelta(hours=3)
    return session_id, f"{starts_at:%Y-%m}"


def next_week():
    return datetime.now(UTC) + timedelta(days=7)


def test_a_learner_books_a_place_and_it_is_announced(training_client, training_state, bearer, course):
    session_id = schedule(training_client, bearer, course, next_week())
    response = enrol(training_client, bearer, session_id, "alice")
    assert response.status_code == 201
    assert (response.get_json()["status"], response.get_json()["user_id"]) == ("enrolled", "alice")
    [event] = outbox(training_state, session_id)
    assert (event["event_type"], event["topic"]) == ("training.enrolled", "wtgr.training")
    assert event["envelope"]["data"]["course_code"] == course


def test_when_the_places_are_taken_learners_join_the_waitlist_in_order(
    training_client, training_state, bearer, course
):
    session_id = schedule(training_client, bearer, course, next_week(), capacity=1)
    answers = [enrol(training_client, bearer, session_id, user) for user in ("ann", "ben", "cat")]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [(a.get_json()["status"], a.get_json()["position"]) for a in answers] == [
        ("enrolled", None), ("waitlisted", 1), ("waitlisted", 2)]
    events = outbox(training_state, session_id)
    assert [e["event_type"] for e in events] == ["training.enrolled", "training.waitlisted", "training.waitlisted"]
    assert events[2]["envelope"]["data"]["position"] == 2


def test_booking_the_same_session_twice_is_a_409_and_changes_nothing(training_client, training_state, bearer, course):
    session_id = schedule(training_client, bearer, course, next_week())
    enrol(training_client, bearer, session_id, "alice")
    again = enrol(training_client, bearer, session_id, "alice")
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert len(outbox(training_state, session_id)) == 1


def test_a_session_that_has_started_cannot_be_booked(training_client, training_state, bearer, course, clock):
    starts_at = next_week()
    session_id = schedule(training_client, bearer, course, starts_at)
    clock.at = starts_at + timedelta(minutes=5)
    assert enrol(training_client, bearer, session_id, "late").status_code == 409
    assert outbox(training_state, session_id) == []


def test_attendance_completes_the_course_and_announces_it(training_client, training_state, bearer, course, clock):
    session_id, month = held_session(training_client, bearer, course, clock, ["ann", "ben"])
    for learner in ("ann", "ben"):
        response = attend(training_client, bearer, session_id, learner)
        assert response.status_code == 201
        assert response.get_json()["period"] == month
    completed = outbox(training_state, session_id, "training.completed")
    assert [e["envelope"]["data"]["user"] for e in completed] == ["ann", "ben"]
    assert outbox(training_state, session_id, "measure.recorded") == []  # months are published once over


def test_marking_a_learner_attended_twice_is_a_409_and_counts_once(
    training_client, training_state, bearer, course, clock
):
    session_id, month = held_session(training_client, bearer, course, clock, ["ann"])
    assert attend(training_client, bearer, session_id, "ann").status_code == 201
    assert attend(training_client, bearer, session_id, "ann").status_code == 409
    assert len(outbox(training_state, session_id, "training.completed")) == 1
    with training_state.pool.connection() as conn:
        count = conn.execute("SELECT count(*) AS n FROM attendance WHERE session_id = %s",
                             (session_id,)).fetchone()["n"]
    assert count == 1


def test_only_a_booked_learner_is_marked_attended_and_only_once_the_session_started(
    training_client, training_state, bearer, course, clock
):
    session_id, _ = held_session(training_client, bearer, course, clock, ["ann"])
    assert attend(training_client, bearer, session_id, "stranger").status_code == 409
    clock.at = None
    future = schedule(training_client, bearer, course, next_week())
    enrol(training_client, bearer, future, "ann")
    assert attend(training_client, bearer, future, "ann").status_code == 409
    assert outbox(training_state, session_id, "training.completed") == []


def test_each_step_needs_its_role(training_client, bearer, course):
    assert training_client.post("/api/v1/courses", json={"code": "X1", "title": "x"},
                                headers=bearer("staff")).status_code == 403
    session_id = schedule(training_client, bearer, course, next_week())
    assert training_client.post(f"/api/v1/sessions/{session_id}/enrolments", json={}).status_code == 401
    assert training_client.post(f"/api/v1/sessions/{session_id}/enrolments", json={},
                                headers=bearer("kpi_owner")).status_code == 403
    assert training_client.post(f"/api/v1/sessions/{session_id}/attendance", json={"user": "ann"},
                                headers=bearer("staff")).status_code == 403


@pytest.mark.parametrize(("changes", "field"), [
    ({"capacity": 0}, "capacity"),
    ({"starts_at": "2026-10-01T09:00:00"}, "starts_at"),
    ({"starts_at": "tomorrow"}, "starts_at"),
])
def test_a_bad_session_gets_a_422_problem_naming_the_field(training_client, bearer, course, changes, field):
    body = {"starts_at": next_week().isoformat(), "capacity": 5, **changes}
    response = training_client.post(f"/api/v1/courses/{course}/sessions", json=body, headers=bearer("trainer"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert training_client.get(f"/api/v1/courses/{course}/sessions", headers=bearer("staff")).get_json()["total"] == 0


def test_a_session_of_an_unknown_course_is_a_404_and_a_duplicate_course_a_409(training_client, bearer, course):
    body = {"starts_at": next_week().isoformat(), "capacity": 5}
    assert training_client.post("/api/v1/courses/NOPE-0/sessions", json=body,
                                headers=bearer("trainer")).status_code == 404
    assert training_client.post("/api/v1/courses", json={"code": course, "title": "again"},
                                headers=bearer("trainer")).status_code == 409


def test_a_courses_sessions_are_listed_a_page_at_a_time(training_client, bearer, course):
    for days in (3, 1, 2):
        schedule(training_client, bearer, course, datetime.now(UTC) + timedelta(days=days))
    page = training_client.get(f"/api/v1/courses/{course}/sessions?page_size=2", headers=bearer("staff")).get_json()
    assert (len(page["items"]), page["total"]) == (2, 3)
    assert page["items"][0]["starts_at"] < page["items"][1]["starts_at"]


def test_walking_a_courses_sessions_by_cursor_reads_each_once_in_order_and_back_again(training_client, bearer, course):
    for days in (5, 1, 4, 2, 3):
        schedule(training_client, bearer, course, datetime.now(UTC) + timedelta(days=days))
    url, headers = f"/api/v1/courses/{course}/sessions", bearer("staff")
    pages = [training_client.get(url, query_string={"page_size": 2}, headers=headers).get_json()]
    while pages[-1]["next"]:
        pages.append(training_client.get(url, query_string={"page_size": 2, "cursor": pages[-1]["next"]},
                                         headers=headers).get_json())
    starts = [session["starts_at"] for body in pages for session in body["items"]]
    assert (len(pages), len(starts), starts) == (3, 5, sorted(starts))
    assert [(body["total"], body["total_is_exact"]) for body in pages] == [(5, True)] * 3
    assert pages[0]["previous"] is None
    back = training_client.get(url, query_string={"page_size": 2, "cursor": pages[2]["previous"]},
                               headers=headers).get_json()
    assert back["items"] == pages[1]["items"]
    assert training_client.get(url, query_string={"cursor": pages[1]["next"]},
                               headers=bearer("staff")).status_code == 200
    other_course = training_client.get("/api/v1/courses/OTHER-1/sessions", query_string={"cursor": pages[0]["next"]},
                                       headers=headers)
    assert other_course.status_code == 400


def test_a_learner_lists_their_own_bookings_and_nobody_elses(training_client, bearer, course):
    learner, other = f"ann-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    first = schedule(training_client, bearer, course, datetime(2031, 3, 1, 9, tzinfo=UTC), capacity=1)
    second = schedule(training_client, bearer, course, datetime(2031, 4, 1, 9, tzinfo=UTC))
    assert enrol(training_client, bearer, first, other).status_code == 201
    assert enrol(training_client, bearer, first, learner).status_code == 201  # full: waitlisted
    assert enrol(training_client, bearer, second, learner).status_code == 201
    mine = training_client.get("/api/v1/me/enrolments", headers=bearer("staff", user=learner)).get_json()
    assert [(item["session_id"], item["status"], item["position"]) for item in mine["items"]] == [
        (second, "enrolled", None), (first, "waitlisted", 1)]
    assert {item["user_id"] for item in mine["items"]} == {learner}


def test_a_learners_record_lists_the_sessions_they_attended(training_client, bearer, course, clock):
    learner = f"cat-{uuid.uuid4().hex[:8]}"
    session_id, _ = held_session(training_client, bearer, course, clock, [learner])
    assert training_client.get("/api/v1/me/attendance", headers=bearer("staff", user=learner)).get_json()["items"] == []
    assert attend(training_client, bearer, session_id, learner).status_code == 201
    record = training_client.get("/api/v1/me/attendance", headers=bearer("staff", user=learner)).get_json()
    assert [(item["session_id"], item["user_id"]) for item in record["items"]] == [(session_id, learner)]


def test_my_lists_need_a_signed_in_caller(training_client):
    assert training_client.get("/api/v1/me/enrolments").status_code == 401
    assert training_client.get("/api/v1/me/attendance").status_code == 401
@pytest.mark.parametrize(("body", "field"), [
    ({"title": "QI for 943 476 5919"}, "title"),
    ({"title": "QI foundations", "description": "Case study: born 1961-03-12, fell twice"}, "description"),
])
def test_a_course_carrying_patient_data_is_a_422_naming_the_field_and_is_not_created(
        training_client, bearer, body, field):
    code = f"QI-{uuid.uuid4().hex[:8].upper()}"
    response = training_client.post("/api/v1/courses", json={"code": code, **body}, headers=bearer("trainer"))
    assert response.status_code == 422
    assert response.get_json()["errors"][field][0].startswith("appears to contain")
    assert training_client.get(f"/api/v1/courses/{code}", headers=bearer("staff")).status_code == 404


def test_a_session_location_naming_a_patient_and_postcode_is_refused(training_client, bearer, course):
    response = training_client.post(f"/api/v1/courses/{course}/sessions", headers=bearer("trainer"), json={
        "starts_at": next_week().isoformat(), "capacity": 5, "location": "Home visit, Mrs Patel, LS1 4AP"})
    assert response.status_code == 422
    assert "postcode next to a name" in response.get_json()["errors"]["location"][0]
