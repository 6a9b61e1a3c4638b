"""The metrics REST API: KPI catalogue, organisational units, monthly measures."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_smorest import Blueprint

from services.metrics import bootstrap
from services.metrics.adapters import listings, store
from services.metrics.domain.measures import MeasureRejected, parse_period
from services.metrics.entrypoints.catalogue_api import catalogue_api
from services.metrics.entrypoints.dashboard_api import dashboard_api
from services.metrics.entrypoints.schemas import (
    KpiSchema,
    MeasureInSchema,
    MeasureOutSchema,
    RevisionSchema,
    SeriesPointSchema,
    UnitSchema,
)
from services.metrics.entrypoints.spc_api import spc_api
from services.metrics.service_layer import handlers
from shared.db import unit_of_work
from shared.pagination import PageQuery, page, page_of
from shared.web import BEARER, ServiceError, build_service_app, current_principal, requires_roles

api = Blueprint("metrics", __name__, url_prefix="/api/v1", description="KPIs, units and monthly measures")


def _app() -> bootstrap.Metrics:
    return current_app.extensions["metrics"]


def _uow() -> Any:
    return unit_of_work(_app().pool, bootstrap.SERVICE)


@api.route("/kpis", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("admin")
@api.arguments(KpiSchema)
@api.response(201, KpiSchema)
def create_kpi(fields: dict) -> Any:
    with _uow() as uow:
        created = store.add_kpi(uow, fields)
    if created is None:
        raise ServiceError(409, f"KPI {fields['code']} already exists")
    return created


@api.route("/kpis", methods=["GET"])
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(KpiSchema))
def list_kpis(query: dict) -> Any:
    with _uow() as uow:
        return page(uow, listings.KPIS, query)


@api.route("/kpis/<code>", methods=["GET"])
@api.response(200, KpiSchema)
def get_kpi(code: str) -> Any:
    with _uow() as uow:
        return _found(store.kpi(uow, code), f"KPI {code}")


@api.route("/units", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("admin")
@api.arguments(UnitSchema)
@api.response(201, UnitSchema)
def create_unit(fields: dict) -> Any:
    with _uow() as uow:
        if fields["parent_code"] and store.unit(uow, fields["parent_code"]) is None:
            raise ServiceError(422, "unknown parent unit", errors={"parent_code": ["no such unit"]})
        created = store.add_unit(uow, fields, current_principal().user)
    if created is None:
        raise ServiceError(409, f"unit {fields['code']} already exists")
    return created


@api.route("/units", methods=["GET"])
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(UnitSchema))
def list_units(query: dict) -> Any:
    with _uow() as uow:
        return page(uow, listings.UNITS, query)


@api.route("/measures", methods=["POST"])
@api.doc(security=BEARER)
@requires_roles("feed", "kpi_owner")
@api.arguments(MeasureInSchema)
@api.response(201, MeasureOutSchema, description="a new month or a new revision was stored")
@api.alt_response(200, schema=MeasureOutSchema, description="the same figures were already current")
def record_measure(payload: dict) -> Any:
    """Record a month's value; a different value for a month already recorded is a new revision."""
    payload = {**payload, "recorded_by": payload["recorded_by"] or current_principal().user}
    try:
        with _uow() as uow:
            result = handlers.record_measure(uow, handlers.measure_from_payload(payload), _app().today())
    except MeasureRejected as exc:
        raise ServiceError(422, str(exc), errors={exc.field: [exc.reason]}) from None
    return {**result.row, "changed": result.changed}, 201 if result.changed else 200


@api.route("/kpis/<kpi_code>/units/<unit_code>/measures", methods=["GET"])
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(SeriesPointSchema))
def series(query: dict, kpi_code: str, unit_code: str) -> Any:
    """The current value of every month, oldest first."""
    with _uow() as uow:
        _found(store.kpi(uow, kpi_code), f"KPI {kpi_code}")
        return page(uow, listings.SERIES, query, kpi_code=kpi_code, unit_code=unit_code)


@api.route("/kpis/<kpi_code>/units/<unit_code>/measures/<period>/revisions", methods=["GET"])
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(RevisionSchema))
def revisions(query: dict, kpi_code: str, unit_code: str, period: str) -> Any:
    """Every revision of one month, oldest first: nothing recorded is ever lost."""
    try:
        month = parse_period(period)
    except ValueError:
        raise ServiceError(400, "period must be YYYY-MM") from None
    with _uow() as uow:
        found = page(uow, listings.REVISIONS, query, kpi_code=kpi_code, unit_code=unit_code, period=month)
    if query["cursor"] is None:
        _found(found.items, f"measures for {kpi_code}/{unit_code}/{period}")
    return found


def _found(row: Any, what: str) -> Any:
    if not row:
        raise ServiceError(404, f"{what} not found")
    return row


def create_app(app_state: bootstrap.Metrics | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR metrics",
        description="KPI catalogue, organisational units and monthly measures (no patient-identifiable data).",
        blueprints=[api, spc_api, catalogue_api, dashboard_api],
    )
