"""The training REST API: levels and courses, sessions, bookings with waitlists, registers,
certificates (checkable by anyone at a public URL) and each person's training record."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from flask import Flask, Response, current_app

from services.training import bootstrap
from services.training.adapters import certificate_pdf, store
from services.training.entrypoints.schemas import (
    AttendanceInSchema,
    AttendanceSchema,
    CertificateSchema,
    CourseSchema,
    EnrolmentInSchema,
    EnrolmentSchema,
    LevelSchema,
    PublicCertificateSchema,
    RecordLineSchema,
    RegisterInSchema,
    RegisterLineSchema,
    RegisterResultSchema,
    SessionCancelSchema,
    SessionInSchema,
    SessionPatchSchema,
    SessionSchema,
)
from services.training.service_layer import handlers
from services.training.service_layer.handlers import Caller, Learner, Manager
from shared.db import UnitOfWork, unit_of_work
from shared.errors import Forbidden, StaleVersion
from shared.pagination import PageQuery, page, page_of
from shared.web import (
    Blueprint,
    build_service_app,
    created,
    current_principal,
    if_match_version,
    public,
    requires_roles,
    requires_sign_in,
    versioned,
)

api = Blueprint("training", __name__, url_prefix="/api/v1", description="WTGR and QI training")
T = TypeVar("T")
ACTS_FOR_OTHERS = ("trainer",)  # and admin, who passes every role check
CERTIFICATE_CODE = re.compile(r"^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$")
RECORD_CSV_COLUMNS = ("course_code", "course_title", "level_title", "starts_at", "venue", "session_status", "status",
                      "position", "attended", "certificate_code", "booked_by", "enrolled_at")


def _app() -> bootstrap.Training:
    return current_app.extensions["training"]


def _run(work: Callable[[UnitOfWork], T]) -> T:
    with unit_of_work(_app().pool, bootstrap.SERVICE) as uow:
        return work(uow)


def _caller() -> Caller:
    principal = current_principal()
    return Caller(principal.user, principal.has_any(ACTS_FOR_OTHERS))


def _manager() -> Manager:
    principal = current_principal()
    return Manager(principal.user, "admin" in principal.roles)


def _version() -> int:
    version = if_match_version()
    if version is None:
        raise StaleVersion('send If-Match with the ETag of the session as you read it, such as "1"')
    return version


# -- levels and courses ------------------------------------------------------------------------------

@api.route("/levels", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(LevelSchema))
def list_levels(query: dict) -> Any:
    """The programme's levels, lowest first (introductory, practitioner, leader unless configured)."""
    return _run(lambda uow: page(uow, store.LEVELS, query))


@api.route("/levels", methods=["POST"])
@requires_roles("admin")
@api.arguments(LevelSchema)
@api.response(201, LevelSchema)
@api.alt_response(409, description="a level has that code or rank already")
def create_level(fields: dict) -> Any:
    """Add a level to the programme (admins)."""
    level = _run(lambda uow: handlers.create_level(uow, fields))
    return created(level, "/api/v1/levels")


@api.route("/courses", methods=["POST"])
@requires_roles("trainer")
@api.arguments(CourseSchema)
@api.response(201, CourseSchema)
@api.alt_response(409, description="a course has that code already")
def create_course(fields: dict) -> Any:
    course = _run(lambda uow: handlers.create_course(uow, fields, current_principal().user))
    return created(course, f"/api/v1/courses/{course['code']}")


@api.route("/courses", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(CourseSchema))
def list_courses(query: dict) -> Any:
    return _run(lambda uow: page(uow, store.COURSES, query))


@api.route("/courses/<code>", methods=["GET"])
@requires_sign_in
@api.response(200, CourseSchema)
def get_course(code: str) -> Any:
    return _run(lambda uow: handlers.find_course(uow, code))


# -- sessions ----------------------------------------------------------------------------------------

@api.route("/courses/<code>/sessions", methods=["POST"])
@requires_roles("trainer")
@api.arguments(SessionInSchema)
@api.response(201, SessionSchema)
def schedule_session(fields: dict, code: str) -> Any:
    """Schedule a session of the course in the future (422 otherwise); the caller is its trainer."""
    session = _run(lambda uow: handlers.schedule_session(uow, code, fields, current_principal().user, _app().now()))
    return created(session, f"/api/v1/sessions/{session['id']}")


@api.route("/courses/<code>/sessions", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(SessionSchema))
def list_sessions(query: dict, code: str) -> Any:
    return _run(lambda uow: page(uow, store.SESSIONS, query, course_code=code))


@api.route("/sessions/<uuid:session_id>", methods=["GET"])
@requires_sign_in
@api.response(200, SessionSchema)
def get_session(session_id: UUID) -> Any:
    """One session; its ETag is its version, for rescheduling or cancelling it."""
    return versioned(_run(lambda uow: handlers.find_session(uow, str(session_id))))


@api.route("/sessions/<uuid:session_id>", methods=["PATCH"])
@requires_roles("trainer")
@api.arguments(SessionPatchSchema)
@api.response(200, SessionSchema)
@api.alt_response(403, description="a trainer who is not one of the session's trainers (admins may)")
@api.alt_response(409, description="the session is cancelled")
@api.alt_response(412, description="If-Match is missing or names a version the session is no longer at")
def reschedule_session(changes: dict, session_id: UUID) -> Any:
    """Move the session (a new start in the future, venue or link); everyone booked is told. Send If-Match.
    Only the session's own trainers, and admins."""
    version = _version()
    return versioned(_run(lambda uow: handlers.reschedule_session(
        uow, str(session_id), changes, version, _manager(), _app().now())))


@api.route("/sessions/<uuid:session_id>/cancellation", methods=["POST"])
@requires_roles("trainer")
@api.arguments(SessionCancelSchema)
@api.response(200, SessionSchema)
@api.alt_response(403, description="a trainer who is not one of the session's trainers (admins may)")
@api.alt_response(409, description="the session is cancelled already")
@api.alt_response(412, description="If-Match is missing or names a version the session is no longer at")
def cancel_session(said: dict, session_id: UUID) -> Any:
    """Cancel the session and every booking on it; everyone booked is told why. Send If-Match.
    Only the session's own trainers, and admins."""
    version = _version()
    return versioned(_run(lambda uow: handlers.cancel_session(
        uow, str(session_id), said["reason"], version, _manager())))


# -- bookings ----------------------------------------------------------------------------------------

@api.route("/sessions/<uuid:session_id>/enrolments", methods=["POST"])
@requires_roles("staff", "trainer")
@api.arguments(EnrolmentInSchema)
@api.response(201, EnrolmentSchema, description="a place (status enrolled) or a waitlist position (waitlisted)")
@api.alt_response(403, description="booking for someone else without the trainer or admin role")
@api.alt_response(409, description="already booked, the session started or is cancelled, or a prerequisite "
                                   "is not completed")
def enrol(body: dict, session_id: UUID) -> Any:
    """Book a place on a session; when it is full you join its waitlist. Leave ``user`` out to book
    yourself (your name and email come from your sign-in); a trainer or admin names someone else."""
    principal = current_principal()
    caller = _caller()
    if body["user"] in (None, principal.user):
        if "staff" not in principal.roles and not caller.may_act_for_others:
            raise Forbidden("booking yourself needs the staff role")
        learner = Learner(principal.user, body["name"] or principal.name, body["email"] or principal.email,
                          body["directorate"])
    else:
        learner = Learner(body["user"], body["name"], body["email"], body["directorate"])
    booking = _run(lambda uow: handlers.enrol(uow, str(session_id), learner, caller, _app().now()))
    return created(booking, f"/api/v1/sessions/{session_id}")


@api.route("/sessions/<uuid:session_id>/enrolments/<user>", methods=["DELETE"])
@requires_sign_in
@api.response(200, EnrolmentSchema, description="the booking as it was, now cancelled")
@api.alt_response(403, description="cancelling someone else's booking without the trainer or admin role")
@api.alt_response(409, description="no booking to cancel, or the session has started")
def cancel_booking(session_id: UUID, user: str) -> Any:
    """Cancel a booking (yours, or anyone's as a trainer or admin); the first on the waitlist then
    takes a freed place and is told. The booking is kept, marked cancelled."""
    return _run(lambda uow: handlers.cancel_booking(uow, str(session_id), user, _caller(), _app().now()))


@api.route("/me/enrolments", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(EnrolmentSchema))
def my_enrolments(query: dict) -> Any:
    """The caller's own bookings (places, waitlist positions and cancelled ones), newest first."""
    return _run(lambda uow: page(uow, store.MY_ENROLMENTS, query, user_id=current_principal().user))


# -- attendance --------------------------------------------------------------------------------------

@api.route("/sessions/<uuid:session_id>/register", methods=["GET"])
@requires_roles("trainer")
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(RegisterLineSchema))
def get_register(query: dict, session_id: UUID) -> Any:
    """The session's register: every booking in the order made, with who attended."""
    return _run(lambda uow: (handlers.find_session(uow, str(session_id)),
                             page(uow, store.REGISTER, query, session_id=str(session_id)))[1])


@api.route("/sessions/<uuid:session_id>/register", methods=["POST"])
@requires_roles("trainer")
@api.arguments(RegisterInSchema)
@api.response(200, RegisterResultSchema)
@api.alt_response(409, description="someone named has no confirmed place, or the session has not started; "
                                   "nobody is marked")
def take_register(body: dict, session_id: UUID) -> Any:
    """Mark everyone who attended in one request, all or none; each completes the course and gets
    a certificate. Those already marked are left as they were."""
    marked = _run(lambda uow: handlers.take_register(uow, str(session_id), body["attended"],
                                                     current_principal().user, _app().now()))
    return {"marked": marked}


@api.route("/sessions/<uuid:session_id>/attendance", methods=["POST"])
@requires_roles("trainer")
@api.arguments(AttendanceInSchema)
@api.response(201, AttendanceSchema)
@api.alt_response(409, description="no confirmed place, already marked, or the session has not started")
def mark_attended(attendance: dict, session_id: UUID) -> Any:
    """Mark one learner with a confirmed place attended: they complete the course (Location: the session)."""
    marked = _run(lambda uow: handlers.mark_attended(uow, str(session_id), attendance["user"],
                                                     current_principal().user, _app().now()))
    return created(marked, f"/api/v1/sessions/{session_id}")


@api.route("/me/attendance", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(AttendanceSchema))
def my_attendance(query: dict) -> Any:
    """Every session the caller was marked as having attended, newest first."""
    return _run(lambda uow: page(uow, store.MY_ATTENDANCE, query, user_id=current_principal().user))


# -- training record ---------------------------------------------------------------------------------

@api.route("/me/record", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(RecordLineSchema))
def my_record(query: dict) -> Any:
    """The caller's training record: every booking with its course, session, attendance and certificate."""
    return _run(lambda uow: page(uow, store.RECORD, query, user_id=current_principal().user))


@api.route("/me/record.csv", methods=["GET"])
@requires_sign_in
@api.response(200, {"type": "string"}, content_type="text/csv", description="the whole record, one booking a line")
def my_record_csv() -> Response:
    """The caller's whole training record as CSV, newest first."""
    rows = _run(lambda uow: store.record(uow, current_principal().user))
    out = io.StringIO()
    writer = csv.DictWriter(out, RECORD_CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({key: _csv_cell(row[key]) for key in RECORD_CSV_COLUMNS} for row in rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="training-record.csv"'})


def _csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (text starting =, +, - or @ gets a quote)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else value


@api.route("/people/<user>/record", methods=["GET"])
@requires_roles("trainer")
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(RecordLineSchema))
def person_record(query: dict, user: str) -> Any:
    """Someone's training record, for trainers and admins."""
    return _run(lambda uow: page(uow, store.RECORD, query, user_id=user))


# -- certificates ------------------------------------------------------------------------------------

@api.route("/me/certificates", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(CertificateSchema))
def my_certificates(query: dict) -> Any:
    return _run(lambda uow: page(uow, store.MY_CERTIFICATES, query, user_id=current_principal().user))


def _own_certificate(code: str) -> dict[str, Any]:
    """The certificate if the caller holds it or is a trainer or admin; 404 otherwise, as for an unknown code."""
    found = _run(lambda uow: handlers.find_certificate(uow, _checked_code(code)))
    principal = current_principal()
    if found["user_id"] != principal.user and not principal.has_any(ACTS_FOR_OTHERS):
        raise handlers.NotFound(f"no certificate of yours has the code {code}")
    return found


def _checked_code(code: str) -> str:
    if not CERTIFICATE_CODE.match(code):
        raise handlers.NotFound(f"no certificate has the code {code}")
    return code


@api.route("/certificates/<code>", methods=["GET"])
@requires_sign_in
@api.response(200, CertificateSchema)
def get_certificate(code: str) -> Any:
    """A certificate the caller holds (trainers and admins: any)."""
    return _own_certificate(code)


@api.route("/certificates/<code>/pdf", methods=["GET"])
@requires_sign_in
@api.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
              description="the certificate as a one-page PDF")
def get_certificate_pdf(code: str) -> Response:
    """The certificate as a PDF with its verification code and the public address to check it."""
    found = _own_certificate(code)
    document = certificate_pdf.render(certificate_pdf.Certificate(
        found["code"], found["name"], found["course_title"], found["level_title"], found["completed_on"],
        f"{_app().settings.portal_url.rstrip('/')}/training/verify/{found['code']}"), _app().fonts)
    return Response(document, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="wtgr-certificate-{found["code"]}.pdf"'})


@api.route("/public/certificates/<code>", methods=["GET"])
@public("anyone handed a certificate checks that its code is genuine; it shows only the holder's name, "
        "the course, its level and the date, which the certificate itself shows")
@api.response(200, PublicCertificateSchema)
def verify_certificate(code: str) -> Any:
    """Check a certificate's verification code: 200 with what it certifies, 404 when no certificate has it."""
    found = _run(lambda uow: handlers.find_certificate(uow, _checked_code(code)))
    return {**found, "valid": True, "issued_by": certificate_pdf.PROGRAMME}


def create_app(app_state: bootstrap.Training | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR training",
        description="WTGR and QI training: levels and courses, sessions, places, waitlists, registers, "
                    "certificates and training records.",
        blueprints=[api],
    )
