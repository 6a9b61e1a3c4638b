"""The notifications REST API: the outbound email log."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from marshmallow import Schema, fields, validate

from services.notifications import bootstrap
from services.notifications.adapters import store
from shared.pagination import PageQuery, page, page_of
from shared.web import Blueprint, build_service_app, requires_roles

api = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Emails the platform sends")


class EmailQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(["pending", "sent", "failed"]))


class EmailSchema(Schema):
    id = fields.String(metadata={"example": "0d9a7e42-6b1c-4f38-a5e2-91c7b3d8f604"})
    caused_by = fields.String(metadata={"description": "id of the event that caused it",
                                        "example": "e4b82f19-7c3d-4a06-b9e5-2d1f8a6c0b73"})
    event_type = fields.String(metadata={"example": "kpi.special_cause_detected"})
    recipients = fields.List(fields.String(), metadata={"example": ["ward7.manager@trust.example"]})
    subject = fields.String(metadata={"example": "ALOS on WARD-7: special cause of concern in 2026-03"})
    body = fields.String(metadata={"example": "Average length of stay on WARD-7 was 6.8 days in 2026-03, above "
                                              "the upper process limit of 6.1."})
    status = fields.String(metadata={"example": "sent"})
    attempts = fields.Integer(metadata={"example": 1})
    last_error = fields.String(allow_none=True, metadata={"example": None})
    created_at = fields.DateTime(metadata={"example": "2026-04-02T06:00:04+00:00"})
    sent_at = fields.DateTime(allow_none=True, metadata={"example": "2026-04-02T06:00:05+00:00"})


@api.route("/emails", methods=["GET"])
@requires_roles("admin")
@api.arguments(EmailQuery, location="query")
@api.response(200, page_of(EmailSchema))
def list_emails(query: dict) -> Any:
    """The outbound email log, newest first; nothing sent is ever deleted."""
    state: bootstrap.Notifications = current_app.extensions["notifications"]
    with state.pool.connection() as conn:
        return page(conn, store.EMAILS, query)


def create_app(app_state: bootstrap.Notifications | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR notifications",
        description="The outbound email log: the emails sent to KPI owners about their KPIs (a new or revised month, "
                    "a special cause, an overdue measure), and to the people each step of the improvement cycle "
                    "concerns (submitters, followers, project teams, approvers, story editors), once per event and "
                    "person. There are no subscriptions to manage.",
        blueprints=[api],
    )
