"""Training: the catalogue, a course's sessions with the places left, and booking a place."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from portal.backend import ServiceError, backend

blueprint = Blueprint("training", __name__, url_prefix="/training")


class BookForm(FlaskForm):
    """A button with its CSRF token: the session is in the path, the learner is the signed-in person."""


@blueprint.route("/")
def index() -> str:
    return render_template("training/index.html", courses=backend().all_items("training", "/api/v1/courses"))


@blueprint.route("/courses/<code>")
def course(code: str) -> str:
    found = backend().get("training", f"/api/v1/courses/{code}")
    sessions = backend().all_items("training", f"/api/v1/courses/{code}/sessions")
    return render_template("training/course.html", course=found, sessions=sessions, form=BookForm())


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
