"""Before the board pack: each month's board pack date (a rule, or set by an admin), the feeds it is
still missing, the data sources' owners and the feed rows that were dead-lettered."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from services.metrics import bootstrap
from services.metrics.adapters import board_pack_store
from services.metrics.domain.board_pack import BoardPack
from services.metrics.service_layer import board_packs
from shared.db import unit_of_work
from shared.fields import FreeText, MonthField
from shared.month import Month
from shared.pagination import PageQuery, page_by_offset, page_of
from shared.web import Blueprint, current_principal, if_match_version, requires_roles, requires_sign_in, versioned

board_pack_api = Blueprint("board_packs", __name__, url_prefix="/api/v1",
                           description="Board pack dates, the feeds missing before each, data sources' owners "
                                       "and dead-lettered feed rows")
MAX_MONTHS = 24


class BoardPackSchema(Schema):
    month = MonthField(metadata={"description": "the month the board pack reports, YYYY-MM", "example": "2026-11"})
    due_on = fields.Date(metadata={"description": "when the board pack is due", "example": "2026-12-14"})
    overridden = fields.Boolean(metadata={"description": "true when an admin set the date; false: the rule's (the "
                                                         "Nth working day of the month after)", "example": False})
    chase_on = fields.Date(metadata={"description": "from when the feeds still missing are chased (once per person)",
                                     "example": "2026-12-09"})


class BoardPackQuery(PageQuery):
    until = MonthField(metadata={"description": "the newest month listed (default: last month)", "example": "2026-11"})
    months = fields.Integer(load_default=12, validate=validate.Range(1, MAX_MONTHS), metadata={
        "description": f"how many months, newest first (1-{MAX_MONTHS})", "example": 12})


class BoardPackDateSchema(Schema):
    due_on = fields.Date(required=True, allow_none=True, metadata={
        "description": "the board pack's date, after the month has ended; null gives the month back to the rule",
        "example": "2026-12-16"})


class MissingFeedSchema(Schema):
    kpi_code = fields.String(metadata={"example": "ALOS"})
    kpi_name = fields.String(metadata={"example": "Average length of stay"})
    unit_code = fields.String(metadata={"example": "WARD-7"})
    unit_name = fields.String(metadata={"example": "Ward 7 (acute medicine)"})
    data_source = fields.String(metadata={"example": "PAS discharges extract"})


class MissingFeedsSchema(page_of(MissingFeedSchema)):  # type: ignore[misc]
    board_pack = fields.Nested(BoardPackSchema, metadata={"description": "the month's board pack"})


class DataSourceSchema(Schema):
    name = fields.String(metadata={"description": "as the KPIs name it (their data_source)",
                                   "example": "PAS discharges extract"})
    owners = fields.List(fields.Email(), metadata={"description": "told of its missing feeds and dead-lettered rows",
                                                   "example": ["pas.team@trust.example"]})
    kpis = fields.Integer(metadata={"description": "how many KPIs fed by a feed name it", "example": 3})
    version = fields.Integer(metadata={"description": "also the ETag (0: no owners set yet)", "example": 1})
    changed_by = fields.String(allow_none=True, metadata={"example": "ada.admin"})
    changed_at = fields.DateTime(allow_none=True, metadata={"example": "2026-12-01T09:00:00+00:00"})


class DataSourceOwnersSchema(Schema):
    owners = fields.List(fields.Email(), required=True, validate=validate.Length(max=20),
                         metadata={"example": ["pas.team@trust.example"]})


class DeadLetterQuery(PageQuery):
    data_source = FreeText(validate=validate.Length(min=1, max=200), metadata={
        "description": "only this data source's rows", "example": "PAS discharges extract"})


class FeedDeadLetterSchema(Schema):
    dl_partition = fields.Integer(metadata={"description": "where the dead letter sits on wtgr.metrics.deadletter",
                                            "example": 0})
    dl_offset = fields.Integer(metadata={"example": 12})
    data_source = fields.String(allow_none=True, metadata={
        "description": "its KPI's data source, or the one its source field names; null when neither is known",
        "example": "PAS discharges extract"})
    kpi_code = fields.String(allow_none=True, metadata={"description": "as the feed sent it", "example": "ALOS"})
    unit_code = fields.String(allow_none=True, metadata={"example": "WARD-77"})
    period = fields.String(allow_none=True, metadata={"example": "2026-11"})
    reason = fields.String(metadata={"example": "rejected: unknown unit WARD-77"})
    category = fields.String(metadata={"example": "rejected"})
    dead_lettered_at = fields.DateTime(metadata={"example": "2026-12-02T06:00:00+00:00"})
    reported_in = MonthField(allow_none=True, metadata={
        "description": "the board pack whose chase told the data source's owners of it; null: not yet",
        "example": None})


def _uow() -> Any:
    state: bootstrap.Metrics = current_app.extensions["metrics"]
    return unit_of_work(state.pool, bootstrap.SERVICE)


def _today() -> Any:
    state: bootstrap.Metrics = current_app.extensions["metrics"]
    return state.today()


def _shown(pack: BoardPack) -> dict[str, Any]:
    return {"month": pack.month, "due_on": pack.due_on, "overridden": pack.overridden, "chase_on": pack.chase_on}


@board_pack_api.route("/board-packs", methods=["GET"])
@requires_sign_in
@board_pack_api.arguments(BoardPackQuery, location="query")
@board_pack_api.response(200, page_of(BoardPackSchema))
def list_board_packs(query: dict) -> Any:
    """The board pack of each month, newest first, from `until` (default last month) back `months`
    months: its date (by the rule, or as an admin set it) and when its missing feeds are chased.
    Bounded by design (at most 24 months), so its cursors carry an offset."""
    newest = query.get("until") or Month.of(_today()).previous()
    months = [newest - back for back in range(query["months"])]
    with _uow() as uow:
        packs = board_packs.calendar(uow, months, bootstrap.board_pack_rule())
    return page_by_offset("board-packs", query, len(packs),
                          lambda limit, offset: [_shown(pack) for pack in packs[offset:offset + limit]],
                          until=str(newest), months=query["months"])


@board_pack_api.route("/board-packs/<month>", methods=["PUT"])
@requires_roles("admin")
@board_pack_api.arguments(BoardPackDateSchema)
@board_pack_api.response(200, BoardPackSchema)
def set_board_pack_date(body: dict, month: str) -> Any:
    """Set a month's board pack date (admins), after the month has ended (422 otherwise); null gives
    the month back to the rule. Kept with who set it (audit trail)."""
    with _uow() as uow:
        pack = board_packs.set_date(uow, _month(month), body["due_on"], current_principal(),
                                    bootstrap.board_pack_rule())
    return _shown(pack)


@board_pack_api.route("/board-packs/<month>/missing-feeds", methods=["GET"])
@requires_sign_in
@board_pack_api.arguments(PageQuery, location="query")
@board_pack_api.response(200, MissingFeedsSchema)
def missing_feeds(query: dict, month: str) -> Any:
    """The feeds the month's board pack is still missing: each KPI fed by a data feed and unit that
    has reported it before, is open in that month and has not reported it, by KPI and unit code.
    Bounded by design (at most one row per KPI and unit of the catalogue), so its cursors carry an
    offset."""
    wanted = _month(month)
    with _uow() as uow:
        [pack] = board_packs.calendar(uow, [wanted], bootstrap.board_pack_rule())
        feeds = board_packs.missing_feeds(uow, wanted)
    found = page_by_offset("missing-feeds", query, len(feeds),
                           lambda limit, offset: [vars(feed) for feed in feeds[offset:offset + limit]],
                           month=str(wanted))
    return {**vars(found), "board_pack": _shown(pack)}


@board_pack_api.route("/data-sources", methods=["GET"])
@requires_roles("admin")
@board_pack_api.arguments(PageQuery, location="query")
@board_pack_api.response(200, page_of(DataSourceSchema))
def list_data_sources(query: dict) -> Any:
    """Every data source the KPIs name, by name, with its owners (admins). Bounded by design (at most
    one per KPI), so its cursors carry an offset."""
    with _uow() as uow:
        return page_by_offset("data-sources", query, board_pack_store.data_source_count(uow),
                              lambda limit, offset: board_pack_store.data_sources(uow, limit, offset))


@board_pack_api.route("/data-sources/<path:name>", methods=["PUT"])
@requires_roles("admin")
@board_pack_api.arguments(DataSourceOwnersSchema)
@board_pack_api.response(200, DataSourceSchema)
def set_data_source_owners(body: dict, name: str) -> Any:
    """Set who owns a data source (admins): they are told of its feeds missing before each board
    pack and of its dead-lettered rows. Send If-Match with its ETag to avoid lost updates."""
    if not 1 <= len(name) <= 200:
        from shared.errors import InvalidInput
        raise InvalidInput("a data source's name is 1 to 200 characters", field="name")
    with _uow() as uow:
        return versioned(board_packs.set_owners(uow, name, body["owners"], current_principal(), if_match_version()))


@board_pack_api.route("/feed-dead-letters", methods=["GET"])
@requires_roles("kpi_owner")
@board_pack_api.arguments(DeadLetterQuery, location="query")
@board_pack_api.response(200, page_of(FeedDeadLetterSchema))
def feed_dead_letters(query: dict) -> Any:
    """The feed rows metrics dead-lettered, newest first, with why, each with the data source it
    came from (KPI owners and admins); `data_source` keeps one source's."""
    source = query.get("data_source")
    with _uow() as uow:
        return page_by_offset("feed-dead-letters", query, board_pack_store.dead_letter_count(uow, source),
                              lambda limit, offset: board_pack_store.dead_letters_page(uow, source, limit, offset),
                              data_source=source)


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError:
        from shared.errors import MalformedRequest
        raise MalformedRequest("the month is YYYY-MM, for example 2026-11") from None
