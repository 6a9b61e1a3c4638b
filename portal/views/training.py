"""Training: the catalogue, a course's sessions with the places left, and booking a place."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.auth import current_user, requires_role
from portal.backend import ServiceError, backend

TRUST_TIME = ZoneInfo("Europe/London")  # sessions are planned in the trust's local time

blueprint = Blueprint("training", __name__, url_prefix="/training")


class BookForm(FlaskForm):
    """A button with its CSRF token: the session is in the path, the learner is the signed-in person."""


class ScheduleForm(FlaskForm):
    day = StringField("Date", validators=[DataRequired("Enter the date"), Regexp(
        r"^\d{1,2}/\d{1,2}/\d{4}$", message="Enter the date as day/month/year, for example 15/01/2027")])
    time = StringField("Start time", validators=[DataRequired("Enter the start time"), Regexp(
        r"^([01]?\d|2[0-3]):[0-5]\d$", message="Enter the time as hours:minutes, for example 09:30")])
    capacity = IntegerField("Places", validators=[DataRequired("Enter the number of places"),
                                                   NumberRange(1, 1000, "Enter a number of places from 1 to 1000")])
    location = StringField("Where", validators=[Optional(), Length(max=200)])

    def starts_at(self) -> datetime:
        day, month, year = (int(part) for part in self.day.data.split("/"))
        hour, minute = (int(part) for part in self.time.data.split(":"))
        return datetime(year, month, day, hour, minute, tzinfo=TRUST_TIME)

    def validate_day(self, field: StringField) -> None:
        try:
            day, month, year = (int(part) for part in field.data.split("/"))
            datetime(year, month, day)
        except ValueError:
            raise ValidationError("Enter a real date, for example 15/01/2027") from None


MY_LIST_SIZE = 20  # the newest bookings and records shown; each costs a call for its session


@blueprint.route("/")
def index() -> str:
    courses = backend().all_items("training", "/api/v1/courses")
    titles = {course["code"]: course["title"] for course in courses}
    bookings = _with_sessions(backend().get("training", "/api/v1/me/enrolments", page_size=MY_LIST_SIZE)["items"],
                              titles)
    record = _with_sessions(backend().get("training", "/api/v1/me/attendance", page_size=MY_LIST_SIZE)["items"],
                            titles)
    return render_template("training/index.html", courses=courses, bookings=bookings, record=record)


def _with_sessions(rows: list[dict[str, Any]], titles: dict[str, str]) -> list[dict[str, Any]]:
    """Each row with its session and its course's title."""
    found = []
    for row in rows:
        session = backend().get("training", f"/api/v1/sessions/{row['session_id']}")
        found.append({**row, "session": session, "course_title": titles.get(session["course_code"],
                                                                            session["course_code"])})
    return found


@blueprint.route("/courses/<code>")
def course(code: str) -> str:
    return _course_page(code, ScheduleForm())


def _course_page(code: str, schedule: ScheduleForm) -> str:
    found = backend().get("training", f"/api/v1/courses/{code}")
    sessions = backend().all_items("training", f"/api/v1/courses/{code}/sessions")
    user = current_user()
    return render_template("training/course.html", course=found, sessions=sessions, form=BookForm(),
                           schedule=schedule, may_schedule=bool(user and user.has_any("trainer")))


@blueprint.route("/courses/<code>/sessions", methods=["POST"])
@requires_role("trainer")
def schedule(code: str) -> Any:
    """A trainer schedules a session of the course; they are its trainer."""
    form = ScheduleForm()
    if form.validate_on_submit():
        body = {"starts_at": form.starts_at().isoformat(), "capacity": form.capacity.data,
                "location": form.location.data or ""}
        try:
            backend().post("training", f"/api/v1/courses/{code}/sessions", body)
        except ServiceError as exc:
            if exc.status not in (400, 409, 422):
                raise
            form.day.errors = [*form.day.errors, exc.detail]
        else:
            flash("The session is scheduled.")
            return redirect(url_for("training.course", code=code))
    return _course_page(code, form), 400 if request.method == "POST" else 200


@blueprint.route("/sessions/<uuid:session_id>/book", methods=["POST"])
def book(session_id: Any) -> Any:
    form = BookForm()
    session = backend().get("training", f"/api/v1/sessions/{session_id}")
    back = url_for("training.course", code=session["course_code"])
    if not form.validate_on_submit():
        return redirect(back)
    try:
        booking = backend().post("training", f"/api/v1/sessions/{session_id}/enrolments", {})
    except ServiceError as exc:
        if exc.status in (400, 409, 422):
            flash(exc.detail, "error")
            return redirect(back)
        raise
    if booking["status"] == "enrolled":
        flash("You are booked on this session.")
    else:
        flash(f"The session is full: you are number {booking['position']} on its waiting list.")
    return redirect(back)
