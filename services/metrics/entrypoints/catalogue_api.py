"""Managing the KPI catalogue and units: edits with history and ETags, targets, rebases, annotations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from services.metrics.adapters import catalogue_store, listings, store
from services.metrics.bootstrap import utc_today
from services.metrics.domain.measures import IMPROVEMENT_DIRECTIONS
from services.metrics.domain.rollup import AGGREGATIONS
from services.metrics.entrypoints.schemas import (
    InCqcOrder,
    VersionedKpiSchema,
    VersionedUnitSchema,
    cqc_field,
    decimal_places_field,
    measured_levels_field,
    run_centre_line_field,
    run_freeze_field,
)
from services.metrics.entrypoints.visibility import history_as_seen
from services.metrics.service_layer import catalogue
from shared.db import UnitOfWork, unit_of_work
from shared.errors import InvalidInput, NotFound
from shared.fields import FreeText, MonthField
from shared.pagination import Page, PageQuery, page, page_of
from shared.web import (
    Blueprint,
    created,
    current_principal,
    if_match_version,
    requires_roles,
    requires_sign_in,
    versioned,
)

catalogue_api = Blueprint("catalogue", __name__, url_prefix="/api/v1",
                          description="Editing KPIs and units, targets, rebase points and annotations (history kept)")


class KpiChangeSchema(InCqcOrder, Schema):
    name = FreeText(validate=validate.Length(min=1, max=200), metadata={"example": "Average length of stay"})
    description = FreeText(validate=validate.Length(max=4000),
                           metadata={"example": "Days from admission to discharge, mean of the month."})
    improvement_direction = fields.String(validate=validate.OneOf(IMPROVEMENT_DIRECTIONS),
                                          metadata={"example": "decrease"})
    owners = fields.List(fields.Email(), metadata={"example": ["ward7.manager@trust.example"]})
    data_source = FreeText(validate=validate.Length(max=200), metadata={"example": "PAS discharges extract"})
    expected_by_day = fields.Integer(validate=validate.Range(1, 28), metadata={"example": 10})
    aggregation = fields.String(validate=validate.OneOf(AGGREGATIONS), metadata={"example": "mean"})
    fix_after_n_points = fields.Integer(allow_none=True, validate=validate.Range(min=12), metadata={"example": 12})
    screen_outliers = fields.Boolean(metadata={"example": True})
    measured_levels = measured_levels_field()
    decimal_places = decimal_places_field()
    run_freeze = run_freeze_field()
    run_centre_line = run_centre_line_field()
    cqc = cqc_field()


class UnitChangeSchema(Schema):
    name = FreeText(validate=validate.Length(min=1, max=200), metadata={"example": "Ward 7 (acute medicine)"})
    parent_code = fields.String(metadata={"description": "move the unit under another", "example": "DIR-MED"})
    moved_from = MonthField(metadata={"description": "with parent_code: the first month the unit sits under it "
                                         "(YYYY-MM, not after this month; default this month). The months before "
                                         "stay rolled up under the parent they had; to correct a unit placed wrongly "
                                         "from the start, give its first month or earlier", "example": "2026-04"})
    closed_on = fields.Date(allow_none=True, metadata={"description": "the unit closes: no measures after it",
                                                       "example": None})


class PlacementSchema(Schema):
    parent_code = fields.String(allow_none=True, metadata={"example": "DIR-MED"})
    effective_from = MonthField(metadata={"description": "YYYY-MM", "example": "2026-04"})
    effective_to = MonthField(allow_none=True,
                              metadata={"description": "YYYY-MM, the month it no longer holds; null: holds now",
                                        "example": None})
    placed_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    placed_at = fields.DateTime(metadata={"example": "2026-04-03T08:20:00+00:00"})


class HistorySchema(Schema):
    changed_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    changed_at = fields.DateTime(metadata={"example": "2026-04-03T08:20:00+00:00"})
    before = fields.Dict(metadata={"example": {"expected_by_day": 15}})
    after = fields.Dict(metadata={"example": {"expected_by_day": 10}})


class TargetInSchema(Schema):
    effective_from = MonthField(required=True,
                                metadata={"description": "the first month the target applies to, YYYY-MM",
                                          "example": "2026-04"})
    target = fields.Float(required=True, allow_none=True, allow_nan=False,
                          metadata={"description": "null removes the target from that month on", "example": 4.5})


class TargetSchema(Schema):
    effective_from = MonthField(metadata={"description": "the first month the target applies to, YYYY-MM",
                                          "example": "2026-04"})
    target = fields.Float(allow_none=True, metadata={"example": 4.5})
    set_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    set_at = fields.DateTime(metadata={"example": "2026-04-03T08:20:00+00:00"})


class RebaseInSchema(Schema):
    period = MonthField(required=True, metadata={"description": "the first month of the new period, YYYY-MM",
                                                 "example": "2026-01"})
    reason = FreeText(required=True, validate=validate.Length(min=3, max=2000),
                      metadata={"description": "why the process changed (for example the PDSA cycle)",
                                     "example": "Discharge to assess started on WARD-7 (PDSA cycle 3)"})


class RebaseSchema(Schema):
    id = fields.Integer(metadata={"example": 12})
    period = MonthField(metadata={"description": "the first month of the new period, YYYY-MM", "example": "2026-01"})
    reason = fields.String(metadata={"example": "Discharge to assess started on WARD-7 (PDSA cycle 3)"})
    set_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    set_at = fields.DateTime(metadata={"example": "2026-04-03T08:20:00+00:00"})
    withdrawn_by = fields.String(allow_none=True, metadata={"example": None})
    withdrawn_at = fields.DateTime(allow_none=True, metadata={"example": None})


class AnnotationInSchema(Schema):
    period = MonthField(required=True, metadata={"description": "the month noted, YYYY-MM: this month at the latest "
                                                                "(a later one is refused, 422)", "example": "2026-02"})
    text = FreeText(required=True, validate=validate.Length(min=1, max=2000),
                    metadata={"description": "What happened at that month.",
                              "example": "Norovirus closure of 6 beds for 9 days"})
    pdsa_ref = FreeText(load_default=None, allow_none=True, validate=validate.Length(max=200),
                        metadata={"description": "the PDSA cycle that explains the point, if any",
                                  "example": None})


class AnnotationSchema(Schema):
    id = fields.Integer(metadata={"example": 31})
    period = MonthField(metadata={"description": "the month annotated, YYYY-MM", "example": "2026-02"})
    text = fields.String(metadata={"example": "Norovirus closure of 6 beds for 9 days"})
    pdsa_ref = fields.String(allow_none=True, metadata={"example": None})
    created_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    created_at = fields.DateTime(metadata={"example": "2026-04-03T08:20:00+00:00"})


def _run(change: Callable[..., Any], *args: Any) -> Any:
    """Run a catalogue change (or read) in one transaction."""
    state = current_app.extensions["metrics"]
    with unit_of_work(state.pool, "metrics") as uow:
        return change(uow, *args)


def _chart_url(kpi_code: str, unit_code: str) -> str:
    return f"/api/v1/kpis/{kpi_code}/units/{unit_code}/chart"


@catalogue_api.route("/kpis/<code>", methods=["PATCH"])
@requires_roles("kpi_owner")
@catalogue_api.arguments(KpiChangeSchema)
@catalogue_api.response(200, VersionedKpiSchema)
def change_kpi(changes: dict, code: str) -> Any:
    """Change a KPI (admins, or the KPI's owners). Send If-Match with its ETag to avoid lost updates."""
    if not changes:
        raise InvalidInput("nothing to change")
    return versioned(_run(catalogue.change_kpi, code, changes, if_match_version(), current_principal()))


@catalogue_api.route("/kpis/<code>/history", methods=["GET"])
@requires_sign_in
@catalogue_api.arguments(PageQuery, location="query")
@catalogue_api.response(200, page_of(HistorySchema))
def kpi_history(query: dict, code: str) -> Any:
    """Every edit of the KPI, oldest first; its owners' addresses only to admins and the owners."""
    def read(uow: UnitOfWork) -> Page:
        kpi = store.kpi(uow, code)
        found = page(uow, listings.KPI_HISTORY, query, kpi_code=code)
        return replace(found, items=history_as_seen(kpi.owners if kpi else (), found.items))
    return _run(read)


@catalogue_api.route("/kpis/<code>/targets", methods=["POST"])
@requires_roles("kpi_owner")
@catalogue_api.arguments(TargetInSchema)
@catalogue_api.response(201, TargetSchema(many=True))
def set_target(body: dict, code: str) -> Any:
    """Set the target from a month on; every earlier setting is kept and charts are recomputed. The
    answer is the KPI's target history (Location: the same list)."""
    month = body["effective_from"].first_day

    def set_and_list(uow: UnitOfWork) -> list[dict[str, Any]]:
        catalogue.set_target(uow, code, month, body["target"], current_principal())
        return catalogue_store.target_history(uow, code)

    return created(_run(set_and_list), f"/api/v1/kpis/{code}/targets")


@catalogue_api.route("/kpis/<code>/targets", methods=["GET"])
@requires_sign_in
@catalogue_api.arguments(PageQuery, location="query")
@catalogue_api.response(200, page_of(TargetSchema))
def targets(query: dict, code: str) -> Any:
    """Every target setting of the KPI, by the month it applies from, then when it was set."""
    return _run(lambda uow: page(uow, listings.TARGETS, query, kpi_code=code))


@catalogue_api.route("/units/<code>", methods=["PATCH"])
@requires_roles("admin")
@catalogue_api.arguments(UnitChangeSchema)
@catalogue_api.response(200, VersionedUnitSchema)
def change_unit(changes: dict, code: str) -> Any:
    """Rename, move or close a unit. Its history is kept. A move holds from a month (moved_from,
    default this month): earlier months stay rolled up under the old parent, and every month from
    it is rolled up again, out of the old parent and into the new one."""
    if not changes:
        raise InvalidInput("nothing to change")
    if "moved_from" in changes:
        changes = {**changes, "moved_from": changes["moved_from"].first_day}
    return versioned(_run(catalogue.change_unit, code, changes, if_match_version(), current_principal(),
                          utc_today()))


@catalogue_api.route("/units/<code>/placements", methods=["GET"])
@requires_sign_in
@catalogue_api.arguments(PageQuery, location="query")
@catalogue_api.response(200, page_of(PlacementSchema))
def unit_placements(query: dict, code: str) -> Any:
    """Where the unit sat in the hierarchy, month by month, oldest first."""
    def read(uow: UnitOfWork) -> Page:
        if store.unit(uow, code) is None:
            raise NotFound(f"unit {code} not found")
        return page(uow, listings.PLACEMENTS, query, unit_code=code)
    return _run(read)


@catalogue_api.route("/units/<code>/history", methods=["GET"])
@requires_sign_in
@catalogue_api.arguments(PageQuery, location="query")
@catalogue_api.response(200, page_of(HistorySchema))
def unit_history(query: dict, code: str) -> Any:
    """Every edit of the unit, oldest first."""
    return _run(lambda uow: page(uow, listings.UNIT_HISTORY, query, unit_code=code))


@catalogue_api.route("/kpis/<kpi_code>/units/<unit_code>/rebases", methods=["POST"])
@requires_roles("kpi_owner")
@catalogue_api.arguments(RebaseInSchema)
@catalogue_api.response(201, RebaseSchema)
def add_rebase(body: dict, kpi_code: str, unit_code: str) -> Any:
    """Start a new period of the chart, with its own limits, from a month; the reason is kept
    (Location: the chart, which lists its rebases)."""
    rebase = _run(catalogue.rebase, kpi_code, unit_code, body["period"].first_day, body["reason"],
                  current_principal())
    return created(rebase, _chart_url(kpi_code, unit_code))


@catalogue_api.route("/kpis/<kpi_code>/units/<unit_code>/rebases/<int:rebase_id>/withdraw", methods=["POST"])
@requires_roles("kpi_owner")
@catalogue_api.response(200, RebaseSchema)
def withdraw_rebase(kpi_code: str, unit_code: str, rebase_id: int) -> Any:
    """Withdraw a rebase point; it stays in the history with who withdrew it and when."""
    return _run(catalogue.withdraw_rebase, kpi_code, unit_code, rebase_id, current_principal())


@catalogue_api.route("/kpis/<kpi_code>/units/<unit_code>/annotations", methods=["POST"])
@requires_roles("kpi_owner")
@catalogue_api.arguments(AnnotationInSchema)
@catalogue_api.response(201, AnnotationSchema)
def annotate(body: dict, kpi_code: str, unit_code: str) -> Any:
    """Annotate a month of the chart, for example with the PDSA cycle that explains it (Location: the
    chart, which lists its annotations)."""
    note = _run(catalogue.annotate, kpi_code, unit_code, {**body, "period": body["period"].first_day},
                current_principal(), utc_today())
    return created(note, _chart_url(kpi_code, unit_code))
