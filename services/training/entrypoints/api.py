"""The training REST API: courses, sessions, bookings with waitlists, attendance."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Flask, current_app

from services.training import bootstrap
from services.training.adapters import store
from services.training.entrypoints.schemas import (
    AttendanceInSchema,
    AttendanceSchema,
    CourseSchema,
    EnrolmentSchema,
    SessionInSchema,
    SessionSchema,
)
from services.training.service_layer import handlers
from shared.db import unit_of_work
from shared.pagination import PageQuery, page, page_of
from shared.web import Blueprint, build_service_app, created, current_principal, requires_roles, requires_sign_in

api = Blueprint("training", __name__, url_prefix="/api/v1", description="WTGR and QI training")


def _app() -> bootstrap.Training:
    return current_app.extensions["training"]


def _uow() -> Any:
    return unit_of_work(_app().pool, bootstrap.SERVICE)


@api.route("/courses", methods=["POST"])
@requires_roles("trainer")
@api.arguments(CourseSchema)
@api.response(201, CourseSchema)
def create_course(fields: dict) -> Any:
    with _uow() as uow:
        course = handlers.create_course(uow, fields, current_principal().user)
    return created(course, f"/api/v1/courses/{course['code']}")


@api.route("/courses", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(CourseSchema))
def list_courses(query: dict) -> Any:
    with _uow() as uow:
        return page(uow, store.COURSES, query)


@api.route("/courses/<code>/sessions", methods=["POST"])
@requires_roles("trainer")
@api.arguments(SessionInSchema)
@api.response(201, SessionSchema)
def schedule_session(fields: dict, code: str) -> Any:
    """Schedule a session of the course with a number of places; the caller is its trainer."""
    with _uow() as uow:
        session = handlers.schedule_session(uow, code, fields, current_principal().user)
    return created(session, f"/api/v1/sessions/{session['id']}")


@api.route("/courses/<code>/sessions", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(SessionSchema))
def list_sessions(query: dict, code: str) -> Any:
    with _uow() as uow:
        return page(uow, store.SESSIONS, query, course_code=code)


@api.route("/sessions/<uuid:session_id>/enrolments", methods=["POST"])
@requires_roles("staff")
@api.response(201, EnrolmentSchema, description="a place (status enrolled) or a waitlist position (waitlisted)")
def enrol(session_id: UUID) -> Any:
    """Book yourself on a session; when it is full you join its waitlist (Location: the session)."""
    with _uow() as uow:
        booking = handlers.enrol(uow, str(session_id), current_principal().user, _app().now())
    return created(booking, f"/api/v1/sessions/{session_id}")


@api.route("/me/enrolments", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(EnrolmentSchema))
def my_enrolments(query: dict) -> Any:
    """The caller's own bookings (places and waitlist positions), newest first."""
    with _uow() as uow:
        return page(uow, store.MY_ENROLMENTS, query, user_id=current_principal().user)


@api.route("/me/attendance", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(AttendanceSchema))
def my_attendance(query: dict) -> Any:
    """The caller's training record: every session they were marked as having attended, newest first."""
    with _uow() as uow:
        return page(uow, store.MY_ATTENDANCE, query, user_id=current_principal().user)


@api.route("/sessions/<uuid:session_id>/attendance", methods=["POST"])
@requires_roles("trainer")
@api.arguments(AttendanceInSchema)
@api.response(201, AttendanceSchema)
def mark_attended(attendance: dict, session_id: UUID) -> Any:
    """Mark a booked learner attended: they have completed the course (Location: the session)."""
    with _uow() as uow:
        marked = handlers.mark_attended(uow, str(session_id), attendance["user"], current_principal().user,
                                        _app().now())
    return created(marked, f"/api/v1/sessions/{session_id}")


@api.route("/courses/<code>", methods=["GET"])
@requires_sign_in
@api.response(200, CourseSchema)
def get_course(code: str) -> Any:
    with _uow() as uow:
        return handlers.find_course(uow, code)


@api.route("/sessions/<uuid:session_id>", methods=["GET"])
@requires_sign_in
@api.response(200, SessionSchema)
def get_session(session_id: UUID) -> Any:
    with _uow() as uow:
        return handlers.find_session(uow, str(session_id))


def create_app(app_state: bootstrap.Training | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR training",
        description="WTGR and QI training: courses, sessions, places, waitlists and attendance.",
        blueprints=[api],
    )
