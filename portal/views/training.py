"""Training: the catalogue, a course's sessions with the places left, booking and cancelling a place,
booking for someone else and taking the register (trainers), moving or cancelling a session (its
trainers and admins, sending the version they read), my training record with its CSV, my
certificates as PDFs, and the public page where anyone checks a certificate's code."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.auth import User, current_user, requires_role
from portal.backend import ServiceError, backend
from portal.formatting import when

TRUST_TIME = ZoneInfo("Europe/London")  # sessions are planned in the trust's local time

blueprint = Blueprint("training", __name__, url_prefix="/training")


class BookForm(FlaskForm):
    """A button with its CSRF token: the session is in the path, the learner is the signed-in person."""


class BookForOtherForm(FlaskForm):
    """A trainer books a place for someone else: the learner's username, and their name and email."""

    user = StringField("Their username", validators=[DataRequired("Enter the learner's username"), Length(max=200)])
    name = StringField("Their name", validators=[Optional(), Length(max=200)])
    email = StringField("Their email address", validators=[Optional(), Length(max=254), Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address like name@hospital.example")])
    directorate = StringField("Their directorate code", validators=[Optional(), Regexp(
        r"^[A-Z0-9][A-Z0-9_-]{0,39}$", message="Enter a directorate code such as DIR-ELDER")])


class VerifyForm(FlaskForm):
    code = StringField("Verification code", validators=[DataRequired("Enter the code on the certificate"), Regexp(
        r"^\s*[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}\s*$",
        message="Enter the code as it is on the certificate, for example 7KQ2-M9XD-4TPA")])


class WhenForm(FlaskForm):
    """A session's date and start time, in the trust's time."""

    day = StringField("Date", validators=[DataRequired("Enter the date"), Regexp(
        r"^\d{1,2}/\d{1,2}/\d{4}$", message="Enter the date as day/month/year, for example 15/01/2027")])
    time = StringField("Start time", validators=[DataRequired("Enter the start time"), Regexp(
        r"^([01]?\d|2[0-3]):[0-5]\d$", message="Enter the time as hours:minutes, for example 09:30")])

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


class ScheduleForm(WhenForm):
    capacity = IntegerField("Places", validators=[DataRequired("Enter the number of places"),
                                                   NumberRange(1, 1000, "Enter a number of places from 1 to 1000")])
    location = StringField("Where", validators=[Optional(), Length(max=200)])


class MoveSessionForm(WhenForm):
    """A session's new date, time or venue, with the version of the session the trainer read."""

    location = StringField("Where", validators=[Optional(), Length(max=200)])
    online_url = StringField("Link to join online", validators=[Optional(), Length(max=500), Regexp(
        r"^https://\S+$", message="Enter a link that starts with https://, or leave it empty")])
    version = HiddenField()

    def fill(self, session: dict[str, Any]) -> None:
        starts_at = datetime.fromisoformat(session["starts_at"]).astimezone(TRUST_TIME)
        self.day.data = f"{starts_at:%d/%m/%Y}"
        self.time.data = f"{starts_at:%H:%M}"
        self.location.data = session["location"]
        self.online_url.data = session["online_url"]

    def changes(self, session: dict[str, Any]) -> dict[str, Any]:
        """What differs from the session as it is: a new start, venue or link."""
        changed: dict[str, Any] = {}
        if self.starts_at() != datetime.fromisoformat(session["starts_at"]):
            changed["starts_at"] = self.starts_at().isoformat()
        for name in ("location", "online_url"):
            if (self[name].data or "").strip() != session[name]:
                changed[name] = (self[name].data or "").strip()
        return changed


class CancelSessionForm(FlaskForm):
    reason = TextAreaField("Why is the session cancelled?", validators=[
        DataRequired("Enter why the session is cancelled: everyone booked is told"),
        Length(max=500, message="Write the reason in 500 characters or fewer")])
    version = HiddenField()


# Problem fields of the session's API -> the form's fields, so a 422 is shown beside what caused it.
MOVE_FIELDS = {"starts_at": "day", "location": "location", "online_url": "online_url"}
# The service's terse field messages, as a sentence saying what to do.
FIELD_MESSAGES = {"is in the past": "Enter a date and start time in the future"}
CHANGED_ELSEWHERE = ("Someone else changed this session after you opened this page, so your change was not saved. "
                     "The session as it is now is shown below; check your change and send it again.")


MY_LIST_SIZE = 20  # the newest bookings shown on the training page; the record page shows them all


@blueprint.route("/")
def index() -> str:
    courses = backend().all_items("training", "/api/v1/courses")
    bookings = [line for line in backend().get("training", "/api/v1/me/record", page_size=MY_LIST_SIZE)["items"]
                if line["status"] != "cancelled" or line["session_status"] == "cancelled"]
    return render_template("training/index.html", courses=courses, bookings=bookings)


@blueprint.route("/courses/<code>")
def course(code: str) -> str:
    return _course_page(code, ScheduleForm())


def _course_page(code: str, schedule: ScheduleForm) -> str:
    found = backend().get("training", f"/api/v1/courses/{code}")
    sessions = backend().all_items("training", f"/api/v1/courses/{code}/sessions")
    mine = {booking["session_id"]: booking
            for booking in backend().get("training", "/api/v1/me/enrolments", page_size=200)["items"]
            if booking["status"] != "cancelled"}
    user = current_user()
    prerequisite = (backend().get("training", f"/api/v1/courses/{found['prerequisite_code']}")
                    if found.get("prerequisite_code") else None)
    return render_template("training/course.html", course=found, sessions=sessions, form=BookForm(), mine=mine,
                           prerequisite=prerequisite, schedule=schedule,
                           may_schedule=bool(user and user.has_any("trainer")),
                           manages={item["id"] for item in sessions if manages(user, item)})


def manages(user: User | None, session: dict[str, Any]) -> bool:
    """Who may move or cancel a session: its trainers, and admins."""
    return user is not None and ("admin" in user.roles or (
        "trainer" in user.roles and user.sub in [session["trainer"], *session.get("trainers", [])]))


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
        user = current_user()
        me = {"name": user.name, "email": user.email} if user else {}
        booking = backend().post("training", f"/api/v1/sessions/{session_id}/enrolments", me)
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


@blueprint.route("/sessions/<uuid:session_id>/cancel", methods=["POST"])
def cancel(session_id: Any) -> Any:
    """The signed-in person cancels their own place or waitlist position."""
    form = BookForm()
    session = backend().get("training", f"/api/v1/sessions/{session_id}")
    back = url_for("training.course", code=session["course_code"])
    user = current_user()
    if not form.validate_on_submit() or user is None:
        return redirect(back)
    try:
        backend().call("DELETE", "training", f"/api/v1/sessions/{session_id}/enrolments/{user.sub}")
    except ServiceError as exc:
        if exc.status in (400, 409, 422):
            flash(exc.detail, "error")
            return redirect(back)
        raise
    flash("Your booking is cancelled.")
    return redirect(back)


@blueprint.route("/sessions/<uuid:session_id>/register", methods=["GET"])
@requires_role("trainer")
def register(session_id: Any) -> str:
    return _register_page(session_id, BookForOtherForm())


def _register_page(session_id: Any, book_for: BookForOtherForm) -> str:
    session = backend().get("training", f"/api/v1/sessions/{session_id}")
    found = backend().get("training", f"/api/v1/courses/{session['course_code']}")
    lines = backend().all_items("training", f"/api/v1/sessions/{session_id}/register")
    return render_template("training/register.html", session=session, course=found, lines=lines,
                           form=BookForm(), book_for=book_for, manages=manages(current_user(), session))


@blueprint.route("/sessions/<uuid:session_id>/register", methods=["POST"])
@requires_role("trainer")
def take_register(session_id: Any) -> Any:
    """The trainer ticks everyone who attended and sends the register in one request."""
    form = BookForm()
    back = url_for("training.register", session_id=session_id)
    attended = request.form.getlist("attended")
    if not form.validate_on_submit():
        return redirect(back)
    if not attended:
        flash("Tick everyone who attended, then send the register.", "error")
        return redirect(back)
    try:
        marked = backend().post("training", f"/api/v1/sessions/{session_id}/register", {"attended": attended})
    except ServiceError as exc:
        if exc.status in (400, 409, 422):
            flash(exc.detail, "error")
            return redirect(back)
        raise
    count = len(marked["marked"])
    flash(f"The register is saved: {count} {'learner' if count == 1 else 'learners'} marked attended, "
          "each with a certificate.")
    return redirect(back)


@blueprint.route("/sessions/<uuid:session_id>/book-for", methods=["POST"])
@requires_role("trainer")
def book_for(session_id: Any) -> Any:
    """A trainer books a place (or a waitlist position) for someone else."""
    form = BookForOtherForm()
    if form.validate_on_submit():
        body = {"user": form.user.data.strip(), "name": form.name.data or None, "email": form.email.data or None,
                "directorate": form.directorate.data or None}
        try:
            booking = backend().post("training", f"/api/v1/sessions/{session_id}/enrolments", body)
        except ServiceError as exc:
            if exc.status not in (400, 403, 409, 422):
                raise
            form.user.errors = [*form.user.errors, exc.detail]
        else:
            where = "has a place" if booking["status"] == "enrolled" else \
                f"is number {booking['position']} on the waiting list"
            flash(f"{booking['name'] or booking['user_id']} {where}.")
            return redirect(url_for("training.register", session_id=session_id))
    return _register_page(session_id, form), 400


# -- moving and cancelling a session (its trainers and admins) ----------------------------------------

def _session_to_manage(session_id: Any) -> tuple[dict[str, Any], str]:
    """The session and its ETag as read now; 403 for a trainer who is not one of its trainers."""
    answer = backend().call("GET", "training", f"/api/v1/sessions/{session_id}")
    session = answer.json()
    if not manages(current_user(), session):
        abort(403)
    session["starts_at"] = _trust_time(session["starts_at"])  # shown as the form takes it
    return session, answer.headers.get("ETag", "").strip('"') or str(session["version"])


def _trust_time(iso: str) -> str:
    """The same moment with the trust's offset, so ``when`` shows the clock the trainer plans in."""
    return datetime.fromisoformat(iso).astimezone(TRUST_TIME).isoformat()


@blueprint.route("/sessions/<uuid:session_id>/move", methods=["GET", "POST"])
@requires_role("trainer")
def move_session(session_id: Any) -> Any:
    """Change a session's date, time or venue; everyone booked is emailed the new details."""
    session, etag = _session_to_manage(session_id)
    form = MoveSessionForm()
    conflict = False
    if request.method == "GET":
        form.fill(session)
        form.version.data = etag
    elif form.validate_on_submit():
        changes = form.changes(session)
        if not changes:
            form.day.errors = [*form.day.errors, "Change the date, the start time or the venue, or go back"]
        else:
            try:
                moved = backend().patch("training", f"/api/v1/sessions/{session_id}", changes,
                                        if_match=form.version.data or None)
            except ServiceError as exc:
                conflict = _show_problem(form, exc, MOVE_FIELDS, "day")
            else:
                flash(f"The session is moved to {when(_trust_time(moved['starts_at']))}, "
                      f"{moved['location'] or moved['online_url'] or 'venue to be confirmed'}. "
                      "Everyone booked is emailed the new details.")
                return redirect(url_for("training.register", session_id=session_id))
        if conflict:
            form.version.data = etag  # they have now seen the session as it is: a second send may go ahead
    return _manage_page("training/move.html", session, form, conflict)


@blueprint.route("/sessions/<uuid:session_id>/cancellation", methods=["GET", "POST"])
@requires_role("trainer")
def cancel_session(session_id: Any) -> Any:
    """Cancel a session, with the reason everyone booked is emailed; their bookings are cancelled."""
    session, etag = _session_to_manage(session_id)
    form = CancelSessionForm()
    conflict = False
    if request.method == "GET":
        form.version.data = etag
    elif form.validate_on_submit():
        try:
            backend().post("training", f"/api/v1/sessions/{session_id}/cancellation",
                           {"reason": form.reason.data.strip()}, if_match=form.version.data or None)
        except ServiceError as exc:
            conflict = _show_problem(form, exc, {"reason": "reason"}, "reason")
            if conflict:
                form.version.data = etag
        else:
            flash(f"The session on {when(session['starts_at'])} is cancelled. Everyone who was booked is emailed "
                  "the reason, and their bookings are cancelled.")
            return redirect(url_for("training.register", session_id=session_id))
    return _manage_page("training/cancel_session.html", session, form, conflict)


def _manage_page(template: str, session: dict[str, Any], form: FlaskForm, conflict: bool) -> Any:
    found = backend().get("training", f"/api/v1/courses/{session['course_code']}")
    page = render_template(template, session=session, course=found, form=form, conflict=conflict,
                           conflict_message=CHANGED_ELSEWHERE)
    return page, 400 if request.method == "POST" else 200


def _show_problem(form: FlaskForm, exc: ServiceError, fields: dict[str, str], fallback: str) -> bool:
    """Put the service's problem beside the field it names; True when someone else changed the
    session first (412), which the page says above the form."""
    if exc.status == 412:
        return True
    if exc.status not in (400, 409, 422):
        raise exc
    for name, message in (exc.field_errors() or {"": exc.detail}).items():
        field = form[fields.get(name.split(".")[0], fallback)]
        field.errors = [*field.errors, FIELD_MESSAGES.get(message.strip().lower(), _sentence(message))]
    return False


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


@blueprint.route("/record")
def record() -> str:
    """My training record: every booking with its course, session, attendance and certificate."""
    lines = backend().all_items("training", "/api/v1/me/record")
    return render_template("training/record.html", lines=lines)


@blueprint.route("/record.csv")
def record_csv() -> Response:
    exported = backend().call("GET", "training", "/api/v1/me/record.csv")
    return Response(exported.content, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="training-record.csv"'})


@blueprint.route("/certificates/<code>")
def certificate(code: str) -> str:
    found = backend().get("training", f"/api/v1/certificates/{code}")
    return render_template("training/certificate.html", certificate=found)


@blueprint.route("/certificates/<code>.pdf")
def certificate_pdf(code: str) -> Response:
    document = backend().call("GET", "training", f"/api/v1/certificates/{code}/pdf")
    return Response(document.content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="wtgr-certificate-{code}.pdf"'})


@blueprint.route("/verify", methods=["GET", "POST"])
def verify() -> Any:
    """Anyone, signed in or not, checks the code on a certificate they were shown."""
    form = VerifyForm()
    if form.validate_on_submit():
        return redirect(url_for("training.verified", code=form.code.data.strip().upper()))
    return render_template("training/verify.html", form=form), 400 if request.method == "POST" else 200


@blueprint.route("/verify/<code>")
def verified(code: str) -> str:
    try:
        found = backend().get("training", f"/api/v1/public/certificates/{code}")
    except ServiceError as exc:
        if exc.status != 404:
            raise
        found = None
    return render_template("training/verified.html", code=code, certificate=found)
