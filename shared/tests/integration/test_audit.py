"""The audit trail on the real PostgreSQL: rows commit with their change, cannot be changed or
removed by the service's own role, and admins alone list them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask_smorest import Blueprint
from psycopg_pool import ConnectionPool

from shared import audit
from shared.config import Settings
from shared.db import unit_of_work
from shared.web import build_service_app, requires_roles

pytestmark = pytest.mark.integration

things = Blueprint("things", __name__, url_prefix="/api/v1")


@things.route("/things/<thing_id>", methods=["POST"])
@requires_roles("kpi_owner")
def change_thing(thing_id: str) -> dict:
    state = State.of_app()
    with unit_of_work(state.pool, "platform_test") as uow:
        audit.record(uow, "thing.changed", "thing", thing_id, before_version=1, after_version=2)
    return {"id": thing_id}


@dataclass
class State:
    settings: Settings
    pool: ConnectionPool

    @staticmethod
    def of_app() -> State:
        from flask import current_app

        return current_app.extensions["platform_test"]


@pytest.fixture
def bearer(issuer):
    def make(*roles: str, user: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.issue(user, list(roles))}"}

    return make


@pytest.fixture
def app(pool: ConnectionPool) -> Flask:
    return build_service_app(State(Settings.from_env("platform_test"), pool), title="Probe", description="a probe",
                             blueprints=[things])


def rows_for(pool: ConnectionPool, resource_id: str) -> list[Any]:
    with pool.connection() as conn:
        return conn.execute("SELECT * FROM audit_log WHERE resource_id = %s ORDER BY id", (resource_id,)).fetchall()


def test_a_change_made_through_the_api_is_recorded_with_who_and_the_correlation_id(app, pool, bearer):
    thing = uuid.uuid4().hex
    response = app.test_client().post(f"/api/v1/things/{thing}", headers={**bearer("kpi_owner", "staff", user="kim"),
                                                                          "X-Correlation-ID": "corr-42"})
    assert response.status_code == 200
    [row] = rows_for(pool, thing)
    assert (row["actor"], row["actor_roles"], row["operation"], row["resource_type"]) == (
        "kim", ["kpi_owner", "staff"], "thing.changed", "thing")
    assert (row["before_version"], row["after_version"], row["correlation_id"]) == (1, 2, "corr-42")
    assert row["occurred_at"] is not None


def test_a_change_that_rolls_back_leaves_no_audit_row(pool):
    thing = uuid.uuid4().hex
    with pytest.raises(RuntimeError), unit_of_work(pool, "platform_test") as uow:
        audit.record(uow, "thing.changed", "thing", thing)
        raise RuntimeError("the change is refused")
    assert rows_for(pool, thing) == []


def test_outside_a_request_the_actor_is_the_system(pool):
    thing = uuid.uuid4().hex
    with unit_of_work(pool, "platform_test") as uow:
        audit.record(uow, "thing.expired", "thing", thing)
    assert rows_for(pool, thing)[0]["actor"] == "system"


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log",
                                       "TRUNCATE audit_log"])
def test_the_services_own_role_cannot_change_or_remove_audit_rows(pool, statement):
    thing = uuid.uuid4().hex
    with unit_of_work(pool, "platform_test") as uow:
        audit.record(uow, "thing.changed", "thing", thing)
    with pool.connection() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege, match="cannot be changed"):
        conn.execute(statement)
    assert len(rows_for(pool, thing)) == 1


def test_admins_list_the_trail_newest_first_filtered_and_a_page_at_a_time(app, pool, bearer):
    thing = uuid.uuid4().hex
    client = app.test_client()
    for _ in range(3):
        client.post(f"/api/v1/things/{thing}", headers=bearer("kpi_owner", user="kim"))
    admin = bearer("admin", user="ada")
    first = client.get(f"/api/v1/audit?resource_type=thing&resource_id={thing}&page_size=2", headers=admin)
    assert first.status_code == 200
    page = first.get_json()
    assert [item["resource_id"] for item in page["items"]] == [thing, thing]
    assert page["items"][0]["id"] > page["items"][1]["id"]
    rest = client.get(f"/api/v1/audit?resource_id={thing}&before={page['next_before']}", headers=admin).get_json()
    assert len(rest["items"]) == 1 and rest["next_before"] is None
    assert client.get(f"/api/v1/audit?actor=kim&resource_id={thing}", headers=admin).get_json()["items"]
    assert client.get(f"/api/v1/audit?actor=nobody&resource_id={thing}", headers=admin).get_json()["items"] == []


@pytest.mark.parametrize("roles", [(), ("staff",), ("kpi_owner", "qi_lead", "trainer", "feed")])
def test_only_an_admin_reads_the_trail(app, bearer, roles):
    headers = bearer(*roles) if roles else {}
    assert app.test_client().get("/api/v1/audit", headers=headers).status_code == (403 if roles else 401)


def test_a_page_is_bounded(app, bearer):
    answer = app.test_client().get("/api/v1/audit?page_size=100000", headers=bearer("admin"))
    assert answer.status_code == 422
