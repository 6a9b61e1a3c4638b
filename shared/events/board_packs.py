"""Payload schema of what metrics publishes before a month's board pack (on ``wtgr.kpis``, keyed
by the month and the person told): the feeds still missing for the month, and the feed rows that
were dead-lettered, told once per person and board pack."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.audience import audience, path, title
from shared.events.payloads import event_month

MAX_LISTED = 500  # rows listed in one event; ``missing_count`` and ``dead_lettered_count`` say how many there are


class MissingFeedV1(Schema):
    kpi_code = fields.String(required=True)
    kpi_name = fields.String(required=True)
    unit_code = fields.String(required=True)
    unit_name = fields.String(required=True)
    data_source = fields.String(required=True)


class DeadLetteredRowV1(Schema):
    kpi_code = fields.String(allow_none=True, load_default=None)
    unit_code = fields.String(allow_none=True, load_default=None)
    period = fields.String(allow_none=True, load_default=None, metadata={"description": "as the feed sent it"})
    data_source = fields.String(required=True)
    reason = fields.String(required=True)
    dead_lettered_at = fields.DateTime(required=True)


class BoardPackFeedsMissingV1(Schema):
    """Before a month's board pack: the feeds missing for the month that concern one person (as the
    owner of their data source or of their KPI) and the dead-lettered rows of the data sources they
    own. One event per person and board pack."""

    month = event_month(required=True, metadata={"description": "the month the board pack reports"})
    board_pack_on = fields.Date(required=True)
    recipient = fields.Email(required=True)
    relations = fields.List(fields.String(validate=validate.OneOf(("data_source_owner", "kpi_owner"))),
                            required=True)
    missing = fields.List(fields.Nested(MissingFeedV1), required=True)
    missing_count = fields.Integer(required=True)
    dead_lettered = fields.List(fields.Nested(DeadLetteredRowV1), required=True)
    dead_lettered_count = fields.Integer(required=True)
    audience = audience()
    title = title()
    path = path()


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("board_pack.feeds_missing", 1, BoardPackFeedsMissingV1),
]
