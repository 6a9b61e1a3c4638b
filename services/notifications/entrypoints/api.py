"""The notifications REST API: a person's feed, preferences and follows; one-click unsubscribe; the
outbound email log and the digest run for admins."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Flask, current_app

from services.notifications import bootstrap
from services.notifications.adapters import store
from services.notifications.domain import kinds
from services.notifications.entrypoints import schemas as s
from services.notifications.service_layer import people
from services.notifications.service_layer.delivery import run_digests
from shared.db import unit_of_work
from shared.errors import NotFound
from shared.pagination import page, page_of
from shared.web import Blueprint, build_service_app, current_principal, public, requires_roles, requires_sign_in

api = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="Notifications: a person's feed, preferences and follows; the emails sent")


def _state() -> bootstrap.Notifications:
    state: bootstrap.Notifications = current_app.extensions["notifications"]
    return state


def _uow() -> Any:
    return unit_of_work(_state().pool, bootstrap.SERVICE)


def _me() -> str:
    return people.person_of(current_principal().email)


# -- the feed -------------------------------------------------------------------------------------

@api.route("/me/notifications", methods=["GET"])
@requires_sign_in
@api.arguments(s.FeedQuery, location="query")
@api.response(200, page_of(s.NotificationSchema))
def my_notifications(query: dict) -> Any:
    """Your notifications, newest first (what the portal shows whatever your email choices). Needs a
    token with your email address (403 without)."""
    person = _me()
    with _state().pool.connection() as conn:
        return page(conn, store.FEED, query, person=person)


@api.route("/me/notifications/unread-count", methods=["GET"])
@requires_sign_in
@api.response(200, s.UnreadSchema)
def my_unread_count() -> Any:
    """How many of your notifications are unread."""
    person = _me()
    with _state().pool.connection() as conn:
        return {"unread": store.unread_count(conn, person)}


@api.route("/me/notifications/<uuid:notification_id>/read", methods=["POST"])
@requires_sign_in
@api.response(200, s.NotificationSchema)
@api.alt_response(404, description="No notification of yours has this id")
def mark_read(notification_id: UUID) -> Any:
    """Mark one of your notifications read (again: no change)."""
    person = _me()
    with _uow() as uow:
        row = store.mark_read(uow, person, str(notification_id))
    if row is None:
        raise NotFound("You have no notification with this id.")
    return row


@api.route("/me/notifications/read-all", methods=["POST"])
@requires_sign_in
@api.arguments(s.ReadAllSchema)
@api.response(200, s.MarkedSchema)
def mark_all_read(fields: dict) -> Any:
    """Mark read every one of your notifications that arrived up to ``seen_until``."""
    person = _me()
    with _uow() as uow:
        return {"marked": store.mark_all_read(uow, person, fields["seen_until"])}


# -- preferences ----------------------------------------------------------------------------------

@api.route("/me/preferences", methods=["GET"])
@requires_sign_in
@api.response(200, s.PreferencesSchema)
def my_preferences() -> Any:
    """Every kind of notification with how it reaches you, by email and in the portal (a kind you
    never chose for shows its defaults: alerts immediately, routine updates in a weekly digest)."""
    person = _me()
    with _state().pool.connection() as conn:
        return {"items": kinds.all_preferences(store.choices(conn, person))}


@api.route("/me/preferences/<any(" + ",".join(s.KIND_NAMES) + "):kind>", methods=["PUT"])
@requires_sign_in
@api.arguments(s.PreferenceInSchema)
@api.response(200, s.PreferenceSchema)
def choose(fields: dict, kind: str) -> Any:
    """Choose how one kind of notification reaches you: by email immediately, in a daily or weekly
    digest or not at all; in the portal or not. What you leave out stays as it was."""
    person = _me()
    with _uow() as uow:
        for channel, cadence in fields.items():
            store.choose(uow, person, kind, channel, cadence)
        chosen = store.choices(uow.conn, person)
    return next(item for item in kinds.all_preferences(chosen) if item["kind"] == kind)


# -- follows --------------------------------------------------------------------------------------

@api.route("/me/follows", methods=["GET"])
@requires_sign_in
@api.arguments(s.FollowQuery, location="query")
@api.response(200, page_of(s.SubscriptionSchema))
def my_follows(query: dict) -> Any:
    """What you hear about: what you follow and what events subscribed you to (as an owner, a team
    member, a submitter), with what you left (``active`` false), newest first."""
    person = _me()
    with _state().pool.connection() as conn:
        return page(conn, store.SUBSCRIPTIONS, query, person=person)


@api.route("/me/follows", methods=["POST"])
@requires_sign_in
@api.arguments(s.FollowInSchema)
@api.response(200, s.FollowingSchema)
def follow(fields: dict) -> Any:
    """Follow a KPI at a unit, an idea, a project, a campaign, a story or the stories (again after
    leaving it, too). Following twice changes nothing."""
    person = _me()
    with _uow() as uow:
        store.subscribe(uow, person, fields["topic"], fields["title"], fields["path"], "follow", "follower")
        row = store.subscription(uow.conn, person, fields["topic"])
    return {"following": True, "subscription": row}


@api.route("/me/follows/<path:topic>", methods=["GET"])
@requires_sign_in
@api.response(200, s.FollowingSchema)
def following(topic: str) -> Any:
    """Whether you hear about ``topic`` (for a follow button)."""
    person = _me()
    with _state().pool.connection() as conn:
        row = store.subscription(conn, person, topic)
    return {"following": bool(row and row["active"]), "subscription": row}


@api.route("/me/follows/<path:topic>", methods=["DELETE"])
@requires_sign_in
@api.response(200, s.FollowingSchema)
@api.alt_response(404, description="You neither follow it nor were subscribed to it")
def leave(topic: str) -> Any:
    """Stop hearing about ``topic``, whether you followed it or an event subscribed you (the next
    event about it will not subscribe you again)."""
    person = _me()
    with _uow() as uow:
        if not store.leave(uow, person, topic):
            raise NotFound("You do not hear about this.")
        row = store.subscription(uow.conn, person, topic)
    return {"following": False, "subscription": row}


# -- one-click unsubscribe --------------------------------------------------------------------------

UNSUBSCRIBE_REASON = ("one-click unsubscribe (RFC 8058): the signed token in the email is the authority, and "
                      "it only turns emails off for the address it was sent to")


@api.route("/unsubscribe/<string(maxlength=600):token>", methods=["GET"])
@public(UNSUBSCRIBE_REASON)
@api.response(200, s.UnsubscribeSchema)
@api.alt_response(404, description="The token is not one this service signed")
def describe_unsubscribe(token: str) -> Any:
    """What the unsubscribe link of an email stops, without stopping it (for the confirmation page)."""
    return people.describe(_state().hub.tokens.read(token), done=False)


@api.route("/unsubscribe/<string(maxlength=600):token>", methods=["POST"])
@public(UNSUBSCRIBE_REASON)
@api.response(200, s.UnsubscribeSchema)
@api.alt_response(404, description="The token is not one this service signed")
def unsubscribe(token: str) -> Any:
    """Stop what the email's unsubscribe link names: that kind of notification, or that digest, by
    email (the portal's feed still shows them). Doing it twice changes nothing."""
    unsubscription = _state().hub.tokens.read(token)
    with _uow() as uow:
        people.unsubscribe(uow, unsubscription)
    return people.describe(unsubscription, done=True)


# -- admins ---------------------------------------------------------------------------------------

@api.route("/emails", methods=["GET"])
@requires_roles("admin")
@api.arguments(s.EmailQuery, location="query")
@api.response(200, page_of(s.EmailSchema))
def list_emails(query: dict) -> Any:
    """The outbound email log, newest first; nothing sent is ever deleted. ``status=failed`` lists
    the emails the SMTP server refused (``refused``, ``smtp_code`` and ``last_error`` say how) or
    that kept failing; ``status=bounced`` those a delivery status notification said later could not
    be delivered (``bounce_status``, ``bounce_diagnostic``). A delay reported later is a note on the
    email (``delayed_at``, ``delay_status``, ``delay_diagnostic``)."""
    with _state().pool.connection() as conn:
        return page(conn, store.EMAILS, query)


@api.route("/digests/run", methods=["POST"])
@requires_roles("admin")
@api.arguments(s.DigestRunInSchema)
@api.response(200, s.DigestRunSchema)
def run_digest(fields: dict) -> Any:
    """Queue the digests due at ``now`` that are not yet sent: the mailer does this every
    minute; this runs it at once, or as of another time (for a test, or to catch up). Idempotent."""
    return {"queued": run_digests(_state().pool, _state().hub, fields["now"])}


def create_app(app_state: bootstrap.Notifications | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR notifications",
        description="One notification hub: who hears of what (follows, and the owners, teams and submitters events "
                    "subscribe), how (preferences per kind: immediately, daily or weekly digest, or off, by email "
                    "and in the portal), each person's feed, one-click unsubscribe, and the outbound email log.",
        blueprints=[api],
    )
