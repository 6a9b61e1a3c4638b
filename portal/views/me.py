"""Me: who the portal knows the signed-in person to be, their notifications (the feed), how they hear
of things (preferences), what they follow, and the follow button other pages reuse (POST /me/follows,
macros/follow.html)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.auth import current_user
from portal.backend import ServiceError, ServiceUnavailable, backend

blueprint = Blueprint("me", __name__, url_prefix="/me")
FEED_PAGE_SIZE = 20
CADENCES = [("immediately", "Straight away"), ("daily", "In a daily digest"), ("weekly", "In a weekly digest"),
            ("off", "Never")]


class ButtonForm(FlaskForm):
    """A button with its CSRF token: what it acts on is in the path."""


class FollowForm(FlaskForm):
    topic = HiddenField(validators=[DataRequired(), Length(max=200)])
    title = HiddenField(validators=[DataRequired(), Length(max=300)])
    path = HiddenField(validators=[Optional(), Regexp(r"^/[^\s]{0,500}$")])
    action = HiddenField(validators=[DataRequired(), Regexp(r"^(follow|unfollow)$")])


@blueprint.route("/")
def index() -> str:
    return render_template("me.html", unread=unread_count())


def unread_count() -> int | None:
    """The signed-in person's unread notifications (once per request; None when it cannot be read)."""
    if "unread_count" not in g:
        try:
            g.unread_count = backend().get("notifications", "/api/v1/me/notifications/unread-count")["unread"]
        except (ServiceError, ServiceUnavailable):
            g.unread_count = None
    return g.unread_count


@blueprint.route("/notifications")
def notifications() -> str:
    unread_only = request.args.get("show") == "unread"
    page = backend().get("notifications", "/api/v1/me/notifications", page_size=FEED_PAGE_SIZE,
                         cursor=request.args.get("cursor") or None, unread="true" if unread_only else None)
    return render_template("me/notifications.html", page=page, unread=unread_count(), unread_only=unread_only,
                           button=ButtonForm())


@blueprint.route("/notifications/<uuid:notification_id>/read", methods=["POST"])
def mark_read(notification_id: Any) -> Any:
    if not ButtonForm().validate_on_submit():
        abort(400)
    backend().post("notifications", f"/api/v1/me/notifications/{notification_id}/read", {})
    return redirect(_back(url_for("me.notifications")))


@blueprint.route("/notifications/read-all", methods=["POST"])
def mark_all_read() -> Any:
    if not ButtonForm().validate_on_submit():
        abort(400)
    marked = backend().post("notifications", "/api/v1/me/notifications/read-all",
                            {"seen_until": datetime.now(UTC).isoformat()})["marked"]
    flash(f"{marked} notification{'s' if marked != 1 else ''} marked as read.")
    return redirect(url_for("me.notifications"))


@blueprint.route("/preferences", methods=["GET", "POST"])
def preferences() -> Any:
    form = ButtonForm()
    current = backend().get("notifications", "/api/v1/me/preferences")["items"]
    if request.method == "POST" and form.validate_on_submit():
        choices = dict(CADENCES)
        for item in current:
            email = request.form.get(f"{item['kind']}-email", item["email"])
            in_app = "immediately" if request.form.get(f"{item['kind']}-in_app") == "on" else "off"
            if email not in choices:
                abort(400)
            if (email, in_app) != (item["email"], item["in_app"]):
                backend().call("PUT", "notifications", f"/api/v1/me/preferences/{item['kind']}",
                               body={"email": email, "in_app": in_app})
        flash("Your choices are saved.")
        return redirect(url_for("me.preferences"))
    return render_template("me/preferences.html", items=current, cadences=CADENCES, form=form)


@blueprint.route("/follows", methods=["GET"])
def follows() -> str:
    page = backend().get("notifications", "/api/v1/me/follows", page_size=50, active="true",
                         cursor=request.args.get("cursor") or None)
    return render_template("me/follows.html", page=page)


@blueprint.route("/follows", methods=["POST"])
def follow() -> Any:
    """Follow or stop following (the follow macro's form); back to the page it was on."""
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400)
    if form.action.data == "follow":
        backend().post("notifications", "/api/v1/me/follows", {
            "topic": form.topic.data, "title": form.title.data, "path": form.path.data or None})
        flash(f"You now follow {form.title.data}. Choose how often you hear about it in your preferences.")
    else:
        try:
            backend().call("DELETE", "notifications", f"/api/v1/me/follows/{quote(form.topic.data, safe=':@')}")
        except ServiceError as exc:
            if exc.status != 404:
                raise
        flash(f"You no longer follow {form.title.data}.")
    return redirect(_back(form.path.data or url_for("me.follows")))


def following(topic: str) -> bool | None:
    """Whether the signed-in person hears about ``topic`` (for the follow macro); None if unknown."""
    if current_user() is None:
        return None
    try:
        found: bool = backend().get("notifications", f"/api/v1/me/follows/{quote(topic, safe=':@')}")["following"]
        return found
    except (ServiceError, ServiceUnavailable):
        return None


def _back(default: str) -> str:
    """Where to go after a button: the local page named by ``next``, else ``default``."""
    target = request.form.get("next") or default
    return target if target.startswith("/") and not target.startswith("//") else default
