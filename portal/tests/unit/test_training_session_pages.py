"""Moving and cancelling a training session, on the app with Flask's test client and a fake of the
training service (no servers): who is offered the pages, what a change sends (only what changed,
with the ETag read), and what the trainer sees when someone else changed the session first."""

from __future__ import annotations

from typing import Any

import pytest

from portal.backend import ServiceError
from portal.tests.unit.conftest import Answer, RecordingBackend, who
from portal.views.training import manages

SESSION_ID = "5d0c8a4e-2f1b-4c7a-9e36-b8d1f0a2c4e7"
SESSION = {"id": SESSION_ID, "course_code": "QI-BRONZE", "starts_at": "2031-04-14T08:30:00+00:00", "capacity": 10,
           "location": "Education Centre, Room 2", "online_url": "", "trainer": "tara.trainer",
           "trainers": ["tara.trainer", "tom.trainer"], "status": "scheduled", "cancel_reason": "", "version": 3,
           "places_left": 8, "waitlisted": 0}
COURSE = {"code": "QI-BRONZE", "title": "WTGR Bronze"}
MOVE = f"/training/sessions/{SESSION_ID}/move"
CANCEL = f"/training/sessions/{SESSION_ID}/cancellation"


class FakeTraining(RecordingBackend):
    """Answers the portal's calls from fixed documents and keeps what was sent."""

    def written(self, path: str, body: Any) -> Answer:
        return Answer({**SESSION, **(body or {})})

    def read(self, path: str, params: dict[str, Any]) -> Answer:
        found = {f"/api/v1/sessions/{SESSION_ID}": SESSION, "/api/v1/courses/QI-BRONZE": COURSE,
                 "/api/v1/me/notifications/unread-count": {"unread": 0}}.get(path)
        if found is None:
            return Answer({"items": [], "next": None, "total": 0})
        return Answer(found, headers={"ETag": f'"{SESSION["version"]}"'} if "sessions" in path else {})


@pytest.fixture
def training() -> FakeTraining:
    return FakeTraining()


@pytest.fixture
def services(training) -> FakeTraining:
    return training


def test_a_session_is_managed_by_its_trainers_and_admins_only():
    assert manages(who("tara.trainer", "trainer"), SESSION) and manages(who("tom.trainer", "trainer"), SESSION)
    assert manages(who("ada.admin", "admin"), SESSION)
    assert not manages(who("tim.trainer", "trainer"), SESSION)  # a trainer of other sessions
    assert not manages(who("tara.trainer", "staff"), SESSION)  # no longer a trainer
    assert not manages(None, SESSION)


def test_the_move_form_opens_with_the_session_in_the_trusts_time_and_the_etag_read(client):
    page = client("tara.trainer", "staff", "trainer").get(MOVE).get_data(as_text=True)
    assert 'value="14/04/2031"' in page and 'value="09:30"' in page  # 08:30 UTC is 09:30 in London (BST)
    assert "Monday 14 April 2031, 09:30" in page  # the session as planned, in the same clock
    assert 'name="version" value="3"' in page


def test_a_trainer_of_other_sessions_and_a_learner_cannot_open_the_pages(client):
    assert client("tim.trainer", "staff", "trainer").get(MOVE).status_code == 403
    assert client("tim.trainer", "staff", "trainer").get(CANCEL).status_code == 403
    assert client("sam.nurse", "staff").get(MOVE).status_code == 403


def test_moving_sends_only_what_changed_with_the_version_read(client, training):
    answer = client("tara.trainer", "staff", "trainer").post(MOVE, data={
        "day": "21/04/2031", "time": "09:30", "location": "Education Centre, Room 2", "online_url": "",
        "version": "3"})
    assert answer.status_code == 302
    assert training.sent == [("PATCH", f"/api/v1/sessions/{SESSION_ID}",
                              {"starts_at": "2031-04-21T09:30:00+01:00"}, "3")]


def test_when_someone_else_changed_the_session_first_the_trainer_keeps_what_they_typed(client, training):
    training.refuse = ServiceError(412, {"detail": "the session is at version 4, not 3; read it again"})
    answer = client("tara.trainer", "staff", "trainer").post(MOVE, data={
        "day": "21/04/2031", "time": "14:15", "location": "Room 9", "online_url": "", "version": "2"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Someone else changed this session after you opened this page" in page
    assert 'value="14:15"' in page and 'value="Room 9"' in page
    assert 'name="version" value="3"' in page  # the version shown now: sending again goes ahead


def test_a_date_the_service_refuses_is_shown_beside_the_date(client, training):
    training.refuse = ServiceError(422, {"detail": "a session must start in the future",
                                         "errors": {"starts_at": ["is in the past"]}})
    page = client("ada.admin", "staff", "admin").post(MOVE, data={
        "day": "01/02/2021", "time": "09:30", "location": "", "online_url": "", "version": "3"}).get_data(as_text=True)
    assert 'id="day-error"' in page and "Enter a date and start time in the future" in page


def test_cancelling_needs_a_reason_and_sends_it_with_the_version_read(client, training):
    tara = client("tara.trainer", "staff", "trainer")
    assert "Enter why the session is cancelled" in tara.post(CANCEL, data={"reason": "", "version": "3"}).get_data(
        as_text=True)
    assert training.sent == []
    assert tara.post(CANCEL, data={"reason": "Trainer unwell", "version": "3"}).status_code == 302
    assert training.sent == [("POST", f"/api/v1/sessions/{SESSION_ID}/cancellation", {"reason": "Trainer unwell"}, "3")]
