"""Every service's web app keeps the conventions of shared/web: each route has an explicit auth
decision, the public ones are those of the one allow-list (tests/security/public_operations.py),
and the OpenAPI document states each operation's security and a unique operationId. The apps
are built without a database or a token key: no request here reaches a view."""

from __future__ import annotations

import importlib
import re
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from shared import platform
from shared.config import Settings
from shared.web import access_of, create_service_app
from tests.security.public_operations import PUBLIC_API_OPERATIONS

PLATFORM_ROUTES = {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs-static/{filename}"}
PUBLIC_OPERATIONS = {service: {path for (owner, _, path) in PUBLIC_API_OPERATIONS if owner == service}
                     for service in platform.service_names()}


def service_app(service: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The service's app as its create_app builds it, with no pool, Kafka check or token key."""
    module = importlib.import_module(f"services.{service}.entrypoints.api")

    def bare_app(state: Any, **options: Any) -> Flask:
        return create_service_app(state.settings, ready_checks={}, verifier=None, **options)

    monkeypatch.setattr(module, "build_service_app", bare_app)
    return module.create_app(SimpleNamespace(settings=Settings.from_env(service), pool=None, today=None))


@pytest.fixture(params=platform.service_names())
def app(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Flask:
    return service_app(request.param, monkeypatch)


def test_every_route_of_every_service_has_an_explicit_auth_decision(app: Flask) -> None:
    undecided = [rule.rule for rule in app.url_map.iter_rules() if access_of(app, rule.endpoint) is None]
    assert undecided == []


def test_only_the_platform_routes_and_the_allow_listed_operations_are_public(app: Flask) -> None:
    public = {openapi_path(rule.rule) for rule in app.url_map.iter_rules()
              if (access := access_of(app, rule.endpoint)) is not None and access.is_public}
    assert public == PLATFORM_ROUTES | PUBLIC_OPERATIONS.get(app.name, set())


def openapi_path(rule: str) -> str:
    """A Flask rule as OpenAPI writes its path: /ideas/<uuid:idea_id> is /ideas/{idea_id}."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_every_operation_states_its_security_and_has_a_unique_operation_id(app: Flask) -> None:
    paths = app.test_client().get("/openapi.json").get_json()["paths"]
    operations = [(path, op) for path, ops in paths.items() for method, op in ops.items() if method != "parameters"]
    public = {(method.upper(), path) for (owner, method, path) in PUBLIC_API_OPERATIONS if owner == app.name}
    for path, ops in paths.items():
        for method, operation in ops.items():
            if method == "parameters":
                continue
            # a path may hold a public read and a signed-in write (GET and POST /api/v1/stories)
            if (method.upper(), path) in public:
                assert operation["security"] == [], (method, path)
            else:
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
    ids = [operation["operationId"] for _, operation in operations]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", ["/api/v1/kpis", "/api/v1/kpis/ALOS", "/api/v1/units", "/api/v1/dashboards/kpis",
                                  "/api/v1/kpis/ALOS/units/W7/chart.csv", "/api/v1/kpis/ALOS/history"])
def test_metrics_reads_need_a_signed_in_user(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    response = service_app("metrics", monkeypatch).test_client().get(path)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
