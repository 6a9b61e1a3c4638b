"""Managing the KPI catalogue and units: edits with history and ETags, targets, rebases, annotations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.metrics.adapters import catalogue_store, listings, store
from services.metrics.bootstrap import utc_today
from services.metrics.domain.measures import IMPROVEMENT_DIRECTIONS, format_period, parse_period
from services.metrics.domain.rollup import AGGREGATIONS
from services.metrics.entrypoints.schemas import KpiSchema, UnitSchema
from services.metrics.service_layer import catalogue
from shared.db import UnitOfWork, unit_of_work
from shared.events.payloads import MONTH, month_field
from shared.pagination import Page, PageQuery, page, page_of
from shared.web import BEARER, ServiceError, current_principal, etag_of, if_match_version, requires_roles

catalogue_api = Blueprint("catalogue", __name__, url_prefix="/api/v1",
                          description="Editing KPIs and units, targets, rebase points and annotations (history kept)")


class KpiChangeSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=4000))
    improvement_direction = fields.String(validate=validate.OneOf(IMPROVEMENT_DIRECTIONS))
    owners = fields.List(fields.Email())
    data_source = fields.String(validate=validate.Length(max=200))
    expected_by_day = fields.Integer(validate=validate.Range(1, 28))
    aggregation = fields.String(validate=validate.OneOf(AGGREGATIONS))
    fix_after_n_points = fields.Integer(allow_none=True, validate=validate.Range(min=12))
    screen_outliers = fields.Boolean()


class UnitChangeSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    parent_code = fields.String(metadata={"description": "move the unit under another"})
    moved_from = fields.String(validate=validate.Regexp(MONTH, error="must be a month as YYYY-MM, from 1900"),
                               metadata={"description": "with parent_code: the first month the unit sits under it "
                                         "(YYYY-MM, not after this month; default this month). The months before "
                                         "stay rolled up under the parent they had; to correct a unit placed wrongly "
                                         "from the start, give its first month or earlier"})
    closed_on = fields.Date(allow_none=True, metadata={"description": "the unit closes: no measures after it"})


class PlacementSchema(Schema):
    parent_code = fields.String(allow_none=True)
    effective_from = fields.Method("first_month", metadata={"description": "YYYY-MM"})
    effective_to = fields.Method("after_last_month", allow_none=True,
                                 metadata={"description": "YYYY-MM, the month it no longer holds; null: holds now"})
    placed_by = fields.String()
    placed_at = fields.DateTime()

    def first_month(self, row: dict[str, Any]) -> str:
        return format_period(row["effective_from"])

    def after_last_month(self, row: dict[str, Any]) -> str | None:
        return format_period(row["effective_to"]) if row["effective_to"] else None


class HistorySchema(Schema):
    changed_by = fields.String()
    changed_at = fields.DateTime()
    before = fields.Dict()
    after = fields.Dict()


class TargetInSchema(Schema):
    effective_from = month_field(metadata={"description": "the first month the target applies to, YYYY-MM"})
    target = fields.Float(required=True, allow_none=True, allow_nan=False,
                          metadata={"description": "null removes the target from that month on"})


class TargetSchema(Schema):
    effective_from = fields.Date()
    target = fields.Float(allow_none=True)
    set_by = fields.String()
    set_at = fields.DateTime()


class RebaseInSchema(Schema):
    period = month_field(metadata={"description": "the first month of the new period, YYYY-MM"})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000),
                           metadata={"description": "why the process changed (for example the PDSA cycle)"})


class RebaseSchema(Schema):
    id = fields.Integer()
    period = fields.Date()
    reason = fields.String()
    set_by = fields.String()
    set_at = fields.DateTime()
    withdrawn_by = fields.String(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)


class AnnotationInSchema(Schema):
    period = month_field()
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "free text: no patient-identifiable data"})
    pdsa_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                             metadata={"description": "the PDSA cycle that explains the point, if any"})


class AnnotationSchema(Schema):
    id = fields.Integer()
    period = fields.Date()
    text = fields.String()
    pdsa_ref = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()


class VersionedKpiSchema(KpiSchema):
    version = fields.Integer(dump_only=True, metadata={"description": "also the ETag; send it back as If-Match"})


class VersionedUnitSchema(UnitSchema):
    version = fields.Integer(dump_only=True)


def _run(change: Callable[..., Any], *args: Any) -> Any:
    """Run a catalogue change in one transaction, turning its refusals into problems."""
    state = current_app.extensions["metrics"]
    try:
        with unit_of_work(state.pool, "metrics") as uow:
            return change(uow, *args)
    except catalogue.Refused as exc:
        errors = {exc.field: [exc.detail]} if exc.field else None
        raise ServiceError(exc.status, exc.detail, errors=errors) from None


@catalogue_api.route("/kpis/<code>", methods=["PATCH"])
@catalogue_api.doc(security=BEARER)
@requires_roles("kpi_owner")
@catalogue_api.arguments(KpiChangeSchema)
@catalogue_api.response(200, VersionedKpiSchema)
def change_kpi(changes: dict, code: str) -> Any:
    """Change a KPI (admins, or the KPI's owners). Send If-Match with its ETag to avoid lost updates."""
    if not changes:
        raise ServiceError(422, "nothing to change")
    kpi = _run(catalogue.change_kpi, code, changes, if_match_version(), current_principal())
    return kpi, 200, etag_of(kpi["version"])


@catalogue_api.route("/kpis/<code>/history", methods=["GET"])
@catalogue_api.arguments(PageQuery, location="query")
@catalogue_api.response(200, page_of(HistorySchema))
def kpi_history(query: dict, code: str) -> Any:
    """Every edit of the KPI, oldest first."""
    return _run(lambda uow: page(uow, listings.KPI_HISTORY, query, kpi_code=code))


@catalogue_api.route("/kpis/<code>/targets", methods=["POST"])
@catalogue_api.doc(security=BEARER)
@requires_roles("kpi_owner")
@catalogue_api.arguments(TargetInSchema)
@catalogue_api.response(201, TargetSchema(many=True))
def set_target(body: dict, code: str) -> Any:
    """Set the target from a month on; every earlier setting is kept and charts are recomputed."""
    month = parse_period(body["effective_from"])

    def set_and_list(uow: UnitOfWork) -> list[dict[str, Any]]:
        catalogue.set_target(uow, code, month, body["target"], current_principal())
        return catalogue_store.target_history(uow, code)

    return _run(set_and_list)


@catalogue_api.route("/kpis/<code>/targets", methods=["GET"])
@catalogue_api.arguments(PageQuery, location="query")
@catalogue_api.response(200, page_of(TargetSchema))
def targets(query: dict, code: str) -> Any:
    """Every target setting of the KPI, by the month it applies from, then when it was set."""
    return _run(lambda uow: page(uow, listings.TARGETS, query, kpi_code=code))


@catalogue_api.route("/units/<code>", methods=["PATCH"])
@catalogue_api.doc(security=BEARER)
@requires_roles("admin")
@catalogue_api.arguments(UnitChangeSchema)
@catalogue_api.response(200, VersionedUnitSchema)
def change_unit(changes: dict, code: str) -> Any:
    """Rename, move or close a unit. Its history is kept. A move holds from a month (moved_from,
    default this month): earlier months stay rolled up under the old parent, and every month from
    it is rolled up again, out of the old parent and into the new one."""
    if not changes:
        raise ServiceError(422, "nothing to change")
    if "moved_from" in changes:
        changes = {**changes, "moved_from": parse_period(changes["moved_from"])}
    unit = _run(catalogue.change_unit, code, changes, if_match_version(), current_principal(), utc_today())
    return unit, 200, etag_of(unit["version"])


@catalogue_api.route("/units/<code>/placements", methods=["GET"])
@catalogue_api.arguments(PageQuery, location="query")
@catalogue_api.response(200, page_of(PlacementSchema))
def unit_placements(query: dict, code: str) -> Any:
    """Where the unit sat in the hierarchy, month by month, oldest first."""
    def read(uow: UnitOfWork) -> Page:
        if store.unit(uow, code) is None:
            raise catalogue.Refused(404, f"unit {code} not found")
        return page(uow, listings.PLACEMENTS, query, unit_code=code)
    return _run(read)


@catalogue_api.route("/units/<code>/history", methods=["GET"])
@catalogue_api.arguments(PageQuery, location="query")
@catalogue_api.response(200, page_of(HistorySchema))
def unit_history(query: dict, code: str) -> Any:
    """Every edit of the unit, oldest first."""
    return _run(lambda uow: page(uow, listings.UNIT_HISTORY, query, unit_code=code))


@catalogue_api.route("/kpis/<kpi_code>/units/<unit_code>/rebases", methods=["POST"])
@catalogue_api.doc(security=BEARER)
@requires_roles("kpi_owner")
@catalogue_api.arguments(RebaseInSchema)
@catalogue_api.response(201, RebaseSchema)
def add_rebase(body: dict, kpi_code: str, unit_code: str) -> Any:
    """Start a new period of the chart, with its own limits, from a month; the reason is kept."""
    return _run(catalogue.rebase, kpi_code, unit_code, parse_period(body["period"]), body["reason"],
                current_principal())


@catalogue_api.route("/kpis/<kpi_code>/units/<unit_code>/rebases/<int:rebase_id>/withdraw", methods=["POST"])
@catalogue_api.doc(security=BEARER)
@requires_roles("kpi_owner")
@catalogue_api.response(200, RebaseSchema)
def withdraw_rebase(kpi_code: str, unit_code: str, rebase_id: int) -> Any:
    """Withdraw a rebase point; it stays in the history with who withdrew it and when."""
    return _run(catalogue.withdraw_rebase, kpi_code, unit_code, rebase_id, current_principal())


@catalogue_api.route("/kpis/<kpi_code>/units/<unit_code>/annotations", methods=["POST"])
@catalogue_api.doc(security=BEARER)
@requires_roles("kpi_owner")
@catalogue_api.arguments(AnnotationInSchema)
@catalogue_api.response(201, AnnotationSchema)
def annotate(body: dict, kpi_code: str, unit_code: str) -> Any:
    """Annotate a month of the chart, for example with the PDSA cycle that explains it."""
    return _run(catalogue.annotate, kpi_code, unit_code, {**body, "period": parse_period(body["period"])},
                current_principal())
