"""The training service layer: commands in, state changes and events out.

Each function runs inside one unit of work, so its rows and the events it emits commit together.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.training.adapters import store
from services.training.domain.training import (
    ENROLLED,
    WAITLISTED,
    check_can_enrol,
    check_can_mark_attended,
    month_of,
    place_for,
    staff_trained_measure,
)
from shared import audit, errors, topics
from shared.db import UnitOfWork
from shared.month import month_text


class NotFound(errors.NotFound):
    """No course or session has that code or id."""


class AlreadyDone(errors.Conflict):
    """The booking or attendance is already recorded."""


def create_course(uow: UnitOfWork, fields: dict[str, Any], created_by: str) -> dict[str, Any]:
    created = store.add_course(uow, fields, created_by)
    if created is None:
        raise AlreadyDone(f"course {fields['code']} already exists")
    audit.record(uow, "course.created", "course", created["code"])
    return created


def schedule_session(uow: UnitOfWork, course_code: str, fields: dict[str, Any], trainer: str) -> dict[str, Any]:
    find_course(uow, course_code)
    session = store.add_session(uow, {**fields, "id": str(uuid.uuid4()), "course_code": course_code,
                                      "trainer": trainer})
    audit.record(uow, "session.scheduled", "session", session["id"])
    return session


def enrol(uow: UnitOfWork, session_id: str, user_id: str, now: datetime) -> dict[str, Any]:
    """Book the learner a place, or a waitlist position when the places are taken, and announce which."""
    session = find_session(uow, session_id, for_update=True)  # the lock makes the place count exact
    check_can_enrol(session["starts_at"], now)
    status = place_for(session["capacity"], store.count_bookings(uow, session_id, ENROLLED))
    position = store.count_bookings(uow, session_id, WAITLISTED) + 1 if status == WAITLISTED else None
    booking = store.add_enrolment(uow, {"id": str(uuid.uuid4()), "session_id": session_id, "user_id": user_id,
                                        "status": status, "position": position})
    if booking is None:
        raise AlreadyDone(f"{user_id} is already booked on this session")
    data = {"enrolment_id": booking["id"], "session_id": session_id, "course_code": session["course_code"],
            "user": user_id, "starts_at": session["starts_at"]}
    if status == WAITLISTED:
        uow.emit("training.waitlisted", {**data, "position": position}, topic=topics.TRAINING, key=session_id)
    else:
        uow.emit("training.enrolled", data, topic=topics.TRAINING, key=session_id)
    return booking


def mark_attended(uow: UnitOfWork, session_id: str, user_id: str, marked_by: str, now: datetime) -> dict[str, Any]:
    """Record the completion, announce it, and publish the month's new count of completions."""
    session = find_session(uow, session_id)
    check_can_mark_attended(session["starts_at"], now, store.booking_status(uow, session_id, user_id))
    month = month_of(session["starts_at"])
    attended = store.add_attendance(uow, session_id, user_id, month, marked_by)
    if attended is None:
        raise AlreadyDone(f"{user_id} is already marked attended")
    audit.record(uow, "attendance.marked", "session_attendance", f"{session_id}/{user_id}")
    uow.emit("training.completed", {"session_id": session_id, "course_code": session["course_code"],
                                    "user": user_id, "period": month_text(month), "marked_by": marked_by},
             topic=topics.TRAINING, key=session_id)
    measure = staff_trained_measure(month, store.count_completion(uow, month))
    uow.emit("measure.recorded", measure, topic=topics.MEASURES, key=f"{measure['kpi_code']}|{measure['unit_code']}")
    return {**attended, "period": month_text(month)}


def find_course(uow: UnitOfWork, code: str) -> dict[str, Any]:
    course = store.course(uow, code)
    if course is None:
        raise NotFound(f"course {code} not found")
    return course


def find_session(uow: UnitOfWork, session_id: str, *, for_update: bool = False) -> dict[str, Any]:
    session = store.session(uow, session_id, for_update=for_update)
    if session is None:
        raise NotFound(f"session {session_id} not found")
    return session

