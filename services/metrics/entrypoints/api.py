"""The metrics REST API: KPI catalogue, organisational units, monthly measures."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Flask, current_app

from services.metrics import bootstrap
from services.metrics.adapters import catalogue_store, listings, store
from services.metrics.domain.levels import nesting_problem
from services.metrics.entrypoints.board_pack_api import board_pack_api
from services.metrics.entrypoints.catalogue_api import catalogue_api
from services.metrics.entrypoints.dashboard_api import MATRIX_CACHE, dashboard_api
from services.metrics.entrypoints.matrix_cache import BodyCache
from services.metrics.entrypoints.schemas import (
    KpiListQuery,
    KpiSchema,
    MeasureInSchema,
    MeasureOutSchema,
    RevisionSchema,
    SeriesPointSchema,
    UnitSchema,
    VersionedKpiSchema,
    VersionedUnitSchema,
)
from services.metrics.entrypoints.scrape import OverdueFeedGauges
from services.metrics.entrypoints.signals_api import signals_api
from services.metrics.entrypoints.spc_api import spc_api
from services.metrics.entrypoints.visibility import kpi_as_seen
from services.metrics.service_layer import handlers
from shared import audit
from shared.db import unit_of_work
from shared.errors import Conflict, InvalidInput, MalformedRequest, NotFound
from shared.month import first_day_of
from shared.pagination import PageQuery, page, page_of
from shared.web import (
    Blueprint,
    build_service_app,
    created,
    current_principal,
    requires_roles,
    requires_sign_in,
    versioned,
)

api = Blueprint("metrics", __name__, url_prefix="/api/v1", description="KPIs, units and monthly measures")


def _app() -> bootstrap.Metrics:
    return current_app.extensions["metrics"]


def _uow() -> Any:
    return unit_of_work(_app().pool, bootstrap.SERVICE)


@api.route("/kpis", methods=["POST"])
@requires_roles("admin")
@api.arguments(KpiSchema)
@api.response(201, KpiSchema)
def create_kpi(fields: dict) -> Any:
    with _uow() as uow:
        kpi = store.add_kpi(uow, fields)
        if kpi is not None:
            audit.record(uow, "kpi.created", "kpi", kpi.code)
    if kpi is None:
        raise Conflict(f"KPI {fields['code']} already exists")
    return created(kpi, f"/api/v1/kpis/{kpi.code}")


@api.route("/kpis", methods=["GET"])
@requires_sign_in
@api.arguments(KpiListQuery, location="query")
@api.response(200, page_of(KpiSchema))
def list_kpis(query: dict) -> Any:
    """The catalogue by code; `cqc` keeps the KPIs serving one CQC key question. Owners' email
    addresses are shown to admins and to the owners only."""
    with _uow() as uow:
        found = page(uow, listings.KPIS, query)
    return replace(found, items=[kpi_as_seen(row) for row in found.items])


@api.route("/kpis/<code>", methods=["GET"])
@requires_sign_in
@api.response(200, VersionedKpiSchema)
def get_kpi(code: str) -> Any:
    """One KPI with its version (also the ETag: send it back as If-Match when changing it). Its
    owners' email addresses are shown to admins and to the owners only."""
    with _uow() as uow:
        return versioned(kpi_as_seen(_found(catalogue_store.kpi_with_version(uow, code), f"KPI {code}")))


@api.route("/units", methods=["POST"])
@requires_roles("admin")
@api.arguments(UnitSchema)
@api.response(201, UnitSchema)
def create_unit(fields: dict) -> Any:
    with _uow() as uow:
        parent = store.unit(uow, fields["parent_code"]) if fields["parent_code"] else None
        if fields["parent_code"] and parent is None:
            raise InvalidInput("unknown parent unit", field="parent_code", reason="no such unit")
        problem = nesting_problem(fields["level"], parent.level) if parent else None
        if problem:
            raise InvalidInput(problem, field="parent_code", reason="levels nest in order")
        unit = store.add_unit(uow, fields, current_principal().user)
        if unit is not None:
            audit.record(uow, "unit.created", "unit", unit.code)
    if unit is None:
        raise Conflict(f"unit {fields['code']} already exists")
    return created(unit, f"/api/v1/units/{unit.code}")


@api.route("/units", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(UnitSchema))
def list_units(query: dict) -> Any:
    with _uow() as uow:
        return page(uow, listings.UNITS, query)


@api.route("/measures", methods=["POST"])
@requires_sign_in
@api.arguments(MeasureInSchema)
@api.response(201, MeasureOutSchema, description="a new month or a new revision was stored")
@api.alt_response(200, schema=MeasureOutSchema, description="the same figures were already current")
def record_measure(payload: dict) -> Any:
    """Record a month's value; a different value for a month already recorded is a new revision.
    Feeds (role `feed`), KPI owners (role `kpi_owner`) and admins record any KPI; any other caller
    only a KPI whose owners list their email (a QI project's lead records the project's measures):
    403 otherwise."""
    who = current_principal()
    payload = {**payload, "recorded_by": payload["recorded_by"] or who.user}
    with _uow() as uow:
        handlers.check_may_record(uow, payload["kpi_code"], who)
        result = handlers.record_measure(uow, handlers.measure_from_payload(payload), _app().today())
    body = {**result.row, "changed": result.changed}
    if not result.changed:
        return body, 200
    return created(body, f"/api/v1/kpis/{payload['kpi_code']}/units/{payload['unit_code']}/measures/"
                         f"{payload['period']}/revisions")


@api.route("/kpis/<kpi_code>/units/<unit_code>/measures", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(SeriesPointSchema))
def series(query: dict, kpi_code: str, unit_code: str) -> Any:
    """The current value of every month, oldest first."""
    with _uow() as uow:
        _found(store.kpi(uow, kpi_code), f"KPI {kpi_code}")
        return page(uow, listings.SERIES, query, kpi_code=kpi_code, unit_code=unit_code)


@api.route("/kpis/<kpi_code>/units/<unit_code>/measures/<period>/revisions", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(RevisionSchema))
def revisions(query: dict, kpi_code: str, unit_code: str, period: str) -> Any:
    """Every revision of one month, oldest first: nothing recorded is ever lost."""
    try:
        month = first_day_of(period)
    except ValueError:
        raise MalformedRequest("period must be YYYY-MM") from None
    with _uow() as uow:
        found = page(uow, listings.REVISIONS, query, kpi_code=kpi_code, unit_code=unit_code, period=month)
    if query["cursor"] is None:
        _found(found.items, f"measures for {kpi_code}/{unit_code}/{period}")
    return found


def _found(row: Any, what: str) -> Any:
    if not row:
        raise NotFound(f"{what} not found")
    return row


@api.route("/units/<code>", methods=["GET"])
@requires_sign_in
@api.response(200, VersionedUnitSchema)
def get_unit(code: str) -> Any:
    """One unit with its version (also the ETag: send it back as If-Match when changing it)."""
    with _uow() as uow:
        return versioned(_found(catalogue_store.unit_with_version(uow, code), f"unit {code}"))


def create_app(app_state: bootstrap.Metrics | None = None) -> Flask:
    state = app_state or bootstrap.build()
    app = build_service_app(
        state,
        title="WTGR metrics",
        description="KPI catalogue, organisational units and monthly measures (no patient-identifiable data).",
        blueprints=[api, spc_api, catalogue_api, dashboard_api, signals_api, board_pack_api],
        scrape_collectors=[OverdueFeedGauges(state.pool, state.today)],
    )
    app.extensions[MATRIX_CACHE] = BodyCache.from_env(bootstrap.SERVICE)
    return app
