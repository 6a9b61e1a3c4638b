"""The notifications API's request and response schemas (HTTP only; the event schemas are shared/events)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notifications.domain.kinds import CADENCES, KINDS
from shared.pagination import PageQuery
from shared.web import PatchSchema

# What a person can follow: a KPI at a unit, an idea, a project, a campaign, a story, or the stories.
TOPIC = r"^(kpi:[A-Za-z0-9_.-]{1,50}@[A-Za-z0-9_.-]{1,50}|(idea|project|campaign|story):[0-9a-f-]{36}|stories)$"


class EmailQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(["pending", "sent", "failed", "bounced"]), metadata={
        "description": "failed: refused by the SMTP server, or kept failing; bounced: sent, then a delivery status "
                       "notification said it could not be delivered"})


class EmailSchema(Schema):
    id = fields.String(metadata={"example": "0d9a7e42-6b1c-4f38-a5e2-91c7b3d8f604"})
    caused_by = fields.String(metadata={"description": "id of the event that caused it, or the digest and its slot",
                                        "example": "e4b82f19-7c3d-4a06-b9e5-2d1f8a6c0b73"})
    event_type = fields.String(metadata={"example": "kpi.special_cause_detected"})
    kind = fields.String(metadata={"description": "single, alert (gathering a KPI's month at several levels) or "
                                                  "digest", "example": "alert"})
    recipients = fields.List(fields.String(), metadata={"example": ["ward7.manager@trust.example"]})
    subject = fields.String(metadata={"example": "[WTGR alert] Average length of stay: special cause in "
                                                 "September 2026 at 4 levels of the hierarchy"})
    body = fields.String(metadata={"description": "the plain-text part", "example": "Dear Alice, ..."})
    message_id = fields.String(allow_none=True, metadata={
        "description": "the same on every attempt", "example": "<0d9a7e42-6b1c-4f38-a5e2-91c7b3d8f604@trust.example>"})
    status = fields.String(metadata={"description": "pending, sent, failed or bounced", "example": "failed"})
    attempts = fields.Integer(metadata={"example": 1})
    last_error = fields.String(allow_none=True, metadata={"description": "the SMTP server's last refusal",
                                                          "example": "SMTPRecipientsRefused: 550 no such mailbox"})
    smtp_code = fields.Integer(allow_none=True, metadata={"example": 550})
    refused = fields.Boolean(metadata={"description": "the server refused it for good (a 5xx reply); not retried",
                                       "example": True})
    created_at = fields.DateTime(metadata={"example": "2026-04-02T06:00:04+00:00"})
    sent_at = fields.DateTime(allow_none=True, metadata={"example": None})
    bounced_at = fields.DateTime(allow_none=True, metadata={
        "description": "when a report (RFC 3464) said it could not be delivered, for good (status bounced)",
        "example": None})
    bounce_status = fields.String(allow_none=True, metadata={"description": "the report's status code",
                                                             "example": "5.1.1"})
    bounce_diagnostic = fields.String(allow_none=True, metadata={
        "description": "the remote server's words", "example": "550 5.1.1 <left.the.trust@nhs.example>: User unknown"})
    delayed_at = fields.DateTime(allow_none=True, metadata={
        "description": "when a report last said delivery was delayed or refused for now (a soft bounce: a note)",
        "example": None})
    delay_status = fields.String(allow_none=True, metadata={"example": "4.2.2"})
    delay_diagnostic = fields.String(allow_none=True, metadata={"example": "452 4.2.2 Mailbox full"})


class FeedQuery(PageQuery):
    unread = fields.Boolean(metadata={"description": "only the unread (true) or only the read (false)",
                                      "example": True})


class NotificationSchema(Schema):
    id = fields.String(metadata={"example": "5b0c2d7e-8a41-4f6b-9c3e-1d2a7f60b9e4"})
    event_type = fields.String(metadata={"example": "idea.stage_changed"})
    kind = fields.String(metadata={"example": "my_work"})
    topic = fields.String(metadata={"example": "idea:7b4a1f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"})
    subject = fields.String(metadata={"example": "[WTGR] Idea accepted: Quieter nights on Ward 7"})
    body = fields.String(metadata={"example": "Your idea has been accepted."})
    link = fields.String(metadata={"example": "https://wtgr.trust.example/ideas/7b4a1f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"})
    occurred_at = fields.DateTime(metadata={"example": "2026-09-14T10:02:00+00:00"})
    created_at = fields.DateTime(metadata={"example": "2026-09-14T10:02:01+00:00"})
    read_at = fields.DateTime(allow_none=True, metadata={"example": None})
    unread = fields.Boolean(metadata={"example": True})


class UnreadSchema(Schema):
    unread = fields.Integer(metadata={"example": 3})


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "how many were unread", "example": 3})


class PreferenceSchema(Schema):
    kind = fields.String(metadata={"example": "kpi_alert"})
    label = fields.String(metadata={"example": "Special-cause alerts on KPIs you own or follow"})
    alert = fields.Boolean(metadata={"description": "alerts are not held back by the daily email cap",
                                     "example": True})
    email = fields.String(metadata={"example": "immediately"})
    in_app = fields.String(metadata={"example": "immediately"})
    chosen = fields.Boolean(metadata={"description": "false: the kind's defaults", "example": False})


class PreferencesSchema(Schema):
    items = fields.List(fields.Nested(PreferenceSchema))


class PreferenceInSchema(PatchSchema):
    email = fields.String(validate=validate.OneOf(CADENCES), metadata={
        "description": "immediately, a daily or weekly digest, or off", "example": "weekly"})
    in_app = fields.String(validate=validate.OneOf(["immediately", "off"]), metadata={"example": "immediately"})


KIND_NAMES = list(KINDS)


class FollowInSchema(Schema):
    topic = fields.String(required=True, validate=validate.Regexp(TOPIC), metadata={
        "description": "kpi:<KPI code>@<unit code>, idea:<id>, project:<id>, campaign:<id>, story:<id> or stories",
        "example": "kpi:ALOS@WARD-7"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=300), metadata={
        "example": "Average length of stay, Ward 7"})
    path = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^/[^\s]{0,500}$"),
                         metadata={"description": "the portal page it is about", "example": "/kpis/ALOS/units/WARD-7"})


class FollowQuery(PageQuery):
    active = fields.Boolean(metadata={"description": "only current (true) or only left (false) subscriptions",
                                      "example": True})


class SubscriptionSchema(Schema):
    topic = fields.String(metadata={"example": "kpi:ALOS@WARD-7"})
    title = fields.String(metadata={"example": "Average length of stay, Ward 7"})
    path = fields.String(allow_none=True, metadata={"example": "/kpis/ALOS/units/WARD-7"})
    origin = fields.String(metadata={"description": "follow: asked for; event: as an owner, team member, submitter",
                                     "example": "follow"})
    relation = fields.String(metadata={"example": "follower"})
    active = fields.Boolean(metadata={"example": True})
    created_at = fields.DateTime(metadata={"example": "2026-09-01T09:00:00+00:00"})
    updated_at = fields.DateTime(metadata={"example": "2026-09-01T09:00:00+00:00"})


class FollowingSchema(Schema):
    following = fields.Boolean(metadata={"example": True})
    subscription = fields.Nested(SubscriptionSchema, allow_none=True, metadata={
        "description": "the subscription, null when there never was one",
        "example": {"topic": "kpi:ALOS@WARD-7", "title": "Average length of stay, Ward 7",
                    "path": "/kpis/ALOS/units/WARD-7", "origin": "follow", "relation": "follower", "active": True,
                    "created_at": "2026-09-01T09:00:00+00:00", "updated_at": "2026-09-01T09:00:00+00:00"}})


class UnsubscribeSchema(Schema):
    what = fields.String(metadata={"description": "a kind of notification, or digest:daily / digest:weekly",
                                   "example": "kpi_update"})
    words = fields.String(metadata={"example": "emails about new and revised monthly values of KPIs you own or follow"})
    address = fields.String(metadata={"description": "the address, partly hidden", "example": "al***@trust.example"})
    done = fields.Boolean(metadata={"description": "true once the emails are stopped", "example": True})


class ReadAllSchema(Schema):
    seen_until = fields.AwareDateTime(required=True, metadata={
        "description": "marks read every notification that arrived up to this time (when the person's feed was "
                       "shown), so one arriving since stays unread",
        "example": "2026-09-21T10:15:00+01:00"})


class DigestRunInSchema(Schema):
    now = fields.AwareDateTime(required=True, metadata={
        "description": "the time to run as (the present, or another time to catch up or for a test); digests due "
                       "by then are sent once",
        "example": "2026-09-21T07:05:00+01:00"})


class DigestRunSchema(Schema):
    queued = fields.Integer(metadata={"example": 12})
