"""The training service layer: commands in, state changes and events out.

Each function runs inside one unit of work, so its rows and the events it emits commit together.
Events that tell learners something carry their ``audience`` (shared/events/audience.py), which the
notifications service emails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.training.adapters import store
from services.training.domain.training import (
    CANCELLED,
    ENROLLED,
    TRUST_TIME,
    WAITLISTED,
    check_booking_for,
    check_can_cancel,
    check_can_enrol,
    check_can_mark_attended,
    check_may_manage_session,
    check_prerequisite,
    check_session_open,
    check_session_time,
    month_of,
    new_certificate_code,
    place_for,
    rises,
    when_text,
)
from shared import audit, errors, topics
from shared.db import UnitOfWork
from shared.month import month_text

Row = dict[str, Any]


class NotFound(errors.NotFound):
    """No level, course, session, booking or certificate has that code or id."""


class AlreadyDone(errors.Conflict):
    """The level, course, booking or attendance is already recorded."""


@dataclass(frozen=True)
class Learner:
    """Who a booking is for: their id, and the name, email and directorate given with it."""

    user: str
    name: str | None = None
    email: str | None = None
    directorate: str | None = None


@dataclass(frozen=True)
class Caller:
    user: str
    may_act_for_others: bool  # a trainer or an admin


@dataclass(frozen=True)
class Manager:
    """Who moves or cancels a session: one of its trainers, or an admin."""

    user: str
    is_admin: bool


# -- catalogue ---------------------------------------------------------------------------------------

def create_level(uow: UnitOfWork, fields: Row) -> Row:
    created = store.add_level(uow, fields)
    if created is None:
        raise AlreadyDone(f"a level with code {fields['code']} or rank {fields['rank']} already exists")
    audit.record(uow, "level.created", "level", created["code"])
    return created


def create_course(uow: UnitOfWork, fields: Row, created_by: str) -> Row:
    if store.level(uow, fields["level_code"]) is None:
        raise errors.InvalidInput("no such level", field="level_code", reason="is not a level of the catalogue")
    prerequisite = fields.get("prerequisite_code")
    if prerequisite and (prerequisite == fields["code"] or store.course(uow, prerequisite) is None):
        raise errors.InvalidInput("no such prerequisite", field="prerequisite_code", reason="is not another course")
    created = store.add_course(uow, fields, created_by)
    if created is None:
        raise AlreadyDone(f"course {fields['code']} already exists")
    audit.record(uow, "course.created", "course", created["code"])
    return created


# -- sessions ----------------------------------------------------------------------------------------

def schedule_session(uow: UnitOfWork, course_code: str, fields: Row, trainer: str, now: datetime) -> Row:
    find_course(uow, course_code)
    check_session_time(fields["starts_at"], now)
    trainers = list(dict.fromkeys([trainer, *fields.get("trainers", [])]))
    session = store.add_session(uow, {**fields, "id": str(uuid.uuid4()), "course_code": course_code,
                                      "trainer": trainer, "trainers": trainers})
    audit.record(uow, "session.scheduled", "session", session["id"])
    return session


def reschedule_session(uow: UnitOfWork, session_id: str, changes: Row, version: int, by: Manager,
                       now: datetime) -> Row:
    """Move the session (time, venue, link) and tell everyone booked on it."""
    session = find_session(uow, session_id, for_update=True)
    _check_manager(session, by)
    _check_version(session, version)
    check_session_open(session["status"])
    moved = {"starts_at": session["starts_at"], "location": session["location"], "online_url": session["online_url"],
             **changes}
    check_session_time(moved["starts_at"], now)
    store.move_session(uow, session_id, moved)
    audit.record(uow, "session.rescheduled", "session", session_id, before_version=version, after_version=version + 1)
    after = find_session(uow, session_id)
    uow.emit("training.session_rescheduled", {
        **_session_told(uow, after, store.active_bookings(uow, session_id)), "changed_by": by.user,
        "was_starts_at": session["starts_at"], "was_when": when_text(session["starts_at"])},
        topic=topics.TRAINING, key=session_id)
    return after


def cancel_session(uow: UnitOfWork, session_id: str, reason: str, version: int, by: Manager) -> Row:
    """Cancel the session and every booking on it, and tell everyone who was booked."""
    session = find_session(uow, session_id, for_update=True)
    _check_manager(session, by)
    _check_version(session, version)
    check_session_open(session["status"])
    booked = store.active_bookings(uow, session_id)
    store.cancel_session(uow, session_id, reason)
    store.cancel_all_bookings(uow, session_id)
    audit.record(uow, "session.cancelled", "session", session_id, before_version=version, after_version=version + 1)
    after = find_session(uow, session_id)
    told = {**_session_told(uow, after, booked), "changed_by": by.user, "reason": reason}
    uow.emit("training.session_cancelled", told, topic=topics.TRAINING, key=session_id)
    return after


def _check_manager(session: Row, by: Manager) -> None:
    check_may_manage_session(by.user, by.is_admin, [session["trainer"], *(session.get("trainers") or [])])


def _check_version(session: Row, version: int) -> None:
    if session["version"] != version:
        raise errors.StaleVersion(f"the session is at version {session['version']}, not {version}; read it again")


# -- bookings ----------------------------------------------------------------------------------------

def enrol(uow: UnitOfWork, session_id: str, learner: Learner, caller: Caller, now: datetime) -> Row:
    """Book the learner a place, or a waitlist position when the places are taken, and tell them which."""
    check_booking_for(caller.user, learner.user, caller.may_act_for_others)
    session = find_session(uow, session_id, for_update=True)  # the lock makes the place count exact
    check_session_open(session["status"])
    check_can_enrol(session["starts_at"], now)
    course = find_course(uow, session["course_code"])
    check_prerequisite(course["prerequisite_code"], store.completed_courses(uow, learner.user))
    status = place_for(session["capacity"], store.count_bookings(uow, session_id, ENROLLED))
    position = store.count_bookings(uow, session_id, WAITLISTED) + 1 if status == WAITLISTED else None
    booking = store.add_enrolment(uow, {
        "id": str(uuid.uuid4()), "session_id": session_id, "user_id": learner.user, "status": status,
        "position": position, "booked_by": caller.user, "name": learner.name, "email": learner.email,
        "directorate": learner.directorate})
    if booking is None:
        raise AlreadyDone(f"{learner.user} is already booked on this session")
    audit.record(uow, "booking.made", "enrolment", booking["id"])
    told = _booking_told(session, course, booking)
    if status == WAITLISTED:
        uow.emit("training.waitlisted", {**told, "position": position}, topic=topics.TRAINING, key=session_id,
                 version=2)
    else:
        uow.emit("training.enrolled", told, topic=topics.TRAINING, key=session_id, version=2)
    return booking


def cancel_booking(uow: UnitOfWork, session_id: str, learner: str, caller: Caller, now: datetime) -> Row:
    """Cancel the learner's place or waitlist position; a freed place goes to the first on the
    waitlist, who is told. Returns the cancelled booking."""
    check_booking_for(caller.user, learner, caller.may_act_for_others)
    session = find_session(uow, session_id, for_update=True)
    booking = store.booking(uow, session_id, learner)
    check_can_cancel(session["starts_at"], now, booking["status"] if booking else None)
    assert booking is not None
    store.cancel_booking(uow, booking["id"])
    audit.record(uow, "booking.cancelled", "enrolment", booking["id"])
    course = find_course(uow, session["course_code"])
    uow.emit("training.booking_cancelled", {**_booking_told(session, course, booking), "cancelled_by": caller.user},
             topic=topics.TRAINING, key=session_id)
    if booking["status"] == WAITLISTED:
        store.close_waitlist_gap(uow, session_id, booking["position"])
    else:
        promoted = store.promote_first_waitlisted(uow, session_id)
        if promoted is not None:
            audit.record(uow, "booking.promoted", "enrolment", promoted["id"])
            uow.emit("training.promoted", _booking_told(session, course, promoted), topic=topics.TRAINING,
                     key=session_id)
    return {**booking, "status": CANCELLED, "position": None}


# -- attendance and completion -----------------------------------------------------------------------

def mark_attended(uow: UnitOfWork, session_id: str, user_id: str, marked_by: str, now: datetime) -> Row:
    """Record one learner's attendance (see ``take_register``)."""
    session = find_session(uow, session_id, for_update=True)
    return _attend(uow, session, user_id, marked_by, now)


def take_register(uow: UnitOfWork, session_id: str, attended: list[str], marked_by: str, now: datetime) -> list[Row]:
    """Mark every learner in ``attended`` attended, all or none: each must hold a confirmed place.
    Learners already marked are left as they are (a register may be sent again)."""
    session = find_session(uow, session_id, for_update=True)
    marked = []
    for user_id in dict.fromkeys(attended):
        if _already_attended(uow, session_id, user_id):
            continue
        marked.append(_attend(uow, session, user_id, marked_by, now))
    return marked


def _already_attended(uow: UnitOfWork, session_id: str, user_id: str) -> bool:
    return uow.one("SELECT 1 AS found FROM attendance WHERE session_id = %s AND user_id = %s",
                   (session_id, user_id)) is not None


def _attend(uow: UnitOfWork, session: Row, user_id: str, marked_by: str, now: datetime) -> Row:
    """Record the completion, issue the certificate, announce both, and raise the person's QI level."""
    session_id = str(session["id"])
    booking = store.booking(uow, session_id, user_id)
    check_can_mark_attended(session["starts_at"], now, booking["status"] if booking else None)
    assert booking is not None
    month = month_of(session["starts_at"])
    attended = store.add_attendance(uow, session_id, user_id, month, marked_by)
    if attended is None:
        raise AlreadyDone(f"{user_id} is already marked attended")
    audit.record(uow, "attendance.marked", "session_attendance", f"{session_id}/{user_id}")
    course = find_course(uow, session["course_code"])
    level = store.level(uow, course["level_code"])
    assert level is not None
    certificate = store.add_certificate(uow, {
        "code": new_certificate_code(), "session_id": session_id, "user_id": user_id,
        "name": booking["name"] or user_id, "course_code": course["code"], "course_title": course["title"],
        "level_title": level["title"], "completed_on": session["starts_at"].astimezone(TRUST_TIME).date()})
    uow.emit("training.completed", {"session_id": session_id, "course_code": course["code"], "user": user_id,
                                    "period": month_text(month), "marked_by": marked_by},
             topic=topics.TRAINING, key=session_id)
    uow.emit("training.certificate_issued", {
        "audience": learner_audience(booking), "title": course["title"],
        "path": f"/training/certificates/{certificate['code']}", "certificate_code": certificate["code"],
        "session_id": session_id, "course_code": course["code"], "user": user_id,
        "completed_on": certificate["completed_on"]}, topic=topics.TRAINING, key=session_id)
    if rises(store.qi_level_rank(uow, user_id), level["rank"]):
        store.set_qi_level(uow, user_id, level["code"])
        uow.emit("training.qi_level_reached", {
            "user": user_id, "name": booking["name"], "email": booking["email"], "level_code": level["code"],
            "level_title": level["title"], "level_rank": level["rank"], "course_code": course["code"],
            "reached_on": certificate["completed_on"]}, topic=topics.TRAINING, key=user_id)
    return {**attended, "period": month_text(month), "certificate_code": certificate["code"]}


# -- reads -------------------------------------------------------------------------------------------

def find_course(uow: UnitOfWork, code: str) -> Row:
    course = store.course(uow, code)
    if course is None:
        raise NotFound(f"course {code} not found")
    return course


def find_session(uow: UnitOfWork, session_id: str, *, for_update: bool = False) -> Row:
    session = store.session(uow, session_id, for_update=for_update)
    if session is None:
        raise NotFound(f"session {session_id} not found")
    return session


def find_certificate(uow: UnitOfWork, code: str) -> Row:
    certificate = store.certificate(uow, code.strip().upper())
    if certificate is None:
        raise NotFound(f"no certificate has the code {code}")
    return certificate


# -- what events say ---------------------------------------------------------------------------------

def where(session: Row) -> str:
    return session["location"] or session["online_url"] or "to be confirmed"


def learner_audience(booking: Row) -> list[Row]:
    if not booking.get("email"):
        return []
    return [{"email": booking["email"], "name": booking.get("name"), "relation": "learner"}]


def _booking_told(session: Row, course: Row, booking: Row) -> Row:
    return {"audience": learner_audience(booking), "title": course["title"],
            "path": f"/training/courses/{course['code']}", "enrolment_id": booking["id"],
            "session_id": session["id"], "course_code": course["code"], "user": booking["user_id"],
            "starts_at": session["starts_at"], "when": when_text(session["starts_at"]), "where": where(session),
            "booked_by": booking["booked_by"]}


def _session_told(uow: UnitOfWork, session: Row, booked: list[Row]) -> Row:
    course = find_course(uow, session["course_code"])
    audience = [person for booking in booked for person in learner_audience(booking)]
    return {"audience": audience, "title": course["title"], "path": f"/training/courses/{course['code']}",
            "session_id": session["id"], "course_code": course["code"], "starts_at": session["starts_at"],
            "when": when_text(session["starts_at"]), "where": where(session)}
