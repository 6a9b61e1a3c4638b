from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from services.conftest import service_state


@pytest.fixture(scope="session")
def metrics_state():
    from services.metrics import bootstrap

    yield from service_state(bootstrap)


@pytest.fixture(scope="session")
def metrics_client(metrics_state, issuer):
    """The metrics API as a signed-in member of staff calls it; a request's own Authorization header wins."""
    from services.metrics.entrypoints.api import create_app

    client = create_app(metrics_state).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issuer.issue('reader', ['staff'])}"
    return client


@pytest.fixture(scope="session")
def anonymous_metrics_client(metrics_state):
    """The metrics API as a caller with no token calls it."""
    from services.metrics.entrypoints.api import create_app

    return create_app(metrics_state).test_client()


@pytest.fixture
def catalogue(metrics_client, bearer) -> Iterator[dict[str, str]]:
    """A fresh trust, ward and KPI of the test's own (codes are unique per test)."""
    suffix = uuid.uuid4().hex[:8].upper()
    admin = bearer("admin")
    trust, ward, kpi = f"TRUST-{suffix}", f"WARD-{suffix}", f"ALOS-{suffix}"
    assert metrics_client.post("/api/v1/units", json={"code": trust, "name": "Trust", "level": "trust"},
                               headers=admin).status_code == 201
    assert metrics_client.post("/api/v1/units", json={"code": ward, "name": "Ward 7", "level": "ward",
                                                      "parent_code": trust}, headers=admin).status_code == 201
    assert metrics_client.post("/api/v1/kpis", json={
        "code": kpi, "name": "Average length of stay", "unit_of_measure": "days",
        "improvement_direction": "decrease", "owners": ["owner@hospital.example"]}, headers=admin).status_code == 201
    yield {"trust": trust, "ward": ward, "kpi": kpi}
