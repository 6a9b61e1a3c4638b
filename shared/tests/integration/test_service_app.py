from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask_smorest import Blueprint
from psycopg_pool import ConnectionPool

from shared.config import Settings
from shared.web import build_service_app, current_principal, requires_roles

pytestmark = pytest.mark.integration

probe = Blueprint("probe", __name__, url_prefix="/api/v1")


@probe.route("/whoami")
@requires_roles("staff")
def whoami() -> Any:
    return {"user": current_principal().user}


@dataclass
class State:
    settings: Settings
    pool: ConnectionPool


@pytest.fixture
def state(pool: ConnectionPool) -> State:
    return State(Settings.from_env("platform_test"), pool)


def test_one_call_gives_a_service_its_checks_its_tokens_and_its_state(state, issuer):
    app = build_service_app(state, title="Probe", description="a probe", blueprints=[probe])
    client = app.test_client()
    assert app.extensions["platform_test"] is state
    assert client.get("/healthz").get_json() == {"status": "ok", "service": "platform_test"}
    assert client.get("/readyz").get_json() == {"status": "ready", "checks": ["database", "kafka"]}
    assert client.get("/metrics").status_code == 200
    assert client.get("/openapi.json").get_json()["info"]["description"] == "a probe"
    assert client.get("/api/v1/whoami").status_code == 401
    token = issuer.issue("ann", ["staff"])
    assert client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}).get_json() == {"user": "ann"}
