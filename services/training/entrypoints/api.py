"""The training REST API: courses, sessions, bookings with waitlists, attendance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from flask import Flask, current_app
from flask_smorest import Blueprint

from services.training import bootstrap
from services.training.adapters import store
from services.training.domain.training import BookingRefused
from services.training.entrypoints.schemas import (
    AttendanceInSchema,
    AttendanceSchema,
    CourseSchema,
    EnrolmentSchema,
    SessionInSchema,
    SessionSchema,
)
from services.training.service_layer import handlers
from shared.auth import ROLES
from shared.db import unit_of_work
from shared.pagination import PageQuery, page, page_of
from shared.web import BEARER, ServiceError, build_service_app, current_principal, requires_roles

api = Blueprint("training", __name__, url_prefix="/api/v1", description="WTGR and QI training")


def _app() -> bootstrap.Training:
    return current_app.extensions["training"]


def _uow() -> Any:
    return unit_of_work(_app().pool, bootstrap.SERVICE)


@api.route("/courses", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("trainer")
@api.arguments(CourseSchema)
@api.response(201, CourseSchema)
def create_course(fields: dict) -> Any:
    with _refusals(), _uow() as uow:
        return handlers.create_course(uow, fields, current_principal().user), 201


@api.route("/courses", methods=["GET"])
@api.doc(security=BEARER)
@requires_roles(*ROLES)
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(CourseSchema))
def list_courses(query: dict) -> Any:
    with _uow() as uow:
        return page(uow, store.COURSES, query)


@api.route("/courses/<code>/sessions", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("trainer")
@api.arguments(SessionInSchema)
@api.response(201, SessionSchema)
def schedule_session(fields: dict, code: str) -> Any:
    """Schedule a session of the course with a number of places; the caller is its trainer."""
    with _refusals(), _uow() as uow:
        return handlers.schedule_session(uow, code, fields, current_principal().user), 201


@api.route("/courses/<code>/sessions", methods=["GET"])
@api.doc(security=BEARER)
@requires_roles(*ROLES)
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(SessionSchema))
def list_sessions(query: dict, code: str) -> Any:
    with _uow() as uow:
        return page(uow, store.SESSIONS, query, course_code=code)


@api.route("/sessions/<uuid:session_id>/enrolments", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("staff")
@api.response(201, EnrolmentSchema, description="a place (status enrolled) or a waitlist position (waitlisted)")
def enrol(session_id: UUID) -> Any:
    """Book yourself on a session; when it is full you join its waitlist."""
    with _refusals(), _uow() as uow:
        return handlers.enrol(uow, str(session_id), current_principal().user, _app().now()), 201


@api.route("/sessions/<uuid:session_id>/attendance", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("trainer")
@api.arguments(AttendanceInSchema)
@api.response(201, AttendanceSchema)
def mark_attended(attendance: dict, session_id: UUID) -> Any:
    """Mark a booked learner attended: they have completed the course."""
    with _refusals(), _uow() as uow:
        marked = handlers.mark_attended(uow, str(session_id), attendance["user"], current_principal().user,
                                        _app().now())
    return marked, 201


@contextmanager
def _refusals() -> Iterator[None]:
    """Turns the service layer's refusals into problem responses, after the transaction rolled back."""
    try:
        yield
    except handlers.NotFound as exc:
        raise ServiceError(404, str(exc)) from None
    except (handlers.AlreadyDone, BookingRefused) as exc:
        raise ServiceError(409, str(exc)) from None


def create_app(app_state: bootstrap.Training | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR training",
        description="WTGR and QI training: courses, sessions, places, waitlists and attendance.",
        blueprints=[api],
    )
