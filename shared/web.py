"""The web defaults every service gets from one call, ``build_service_app`` (or, for a bare app
with checks of its own choosing, ``create_service_app``).

/healthz (liveness), /readyz (database and Kafka reachable), /metrics (Prometheus),
/openapi.json and the browsable /docs page, RFC 9457 problem+json errors with field detail,
a request size limit, bearer JWT roles, and a correlation id on every request and its logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any, Protocol

import flask_smorest
import psycopg
import swagger_ui_bundle
from flask import Flask, Response, current_app, g, jsonify, request, send_from_directory
from marshmallow import Schema, fields
from psycopg_pool import ConnectionPool
from werkzeug.exceptions import HTTPException, InternalServerError

from shared import correlation, telemetry
from shared.auth import AuthError, Principal, TokenVerifier
from shared.config import Settings
from shared.health import database_check, kafka_check

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
ReadyCheck = Callable[[], None]


def problem(status: int, detail: str | None = None, *, errors: Any = None, title: str | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "instance": request.path,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if correlation.current():
        body["correlation_id"] = correlation.current()
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error is answered."""

    type = fields.String(metadata={"description": "about:blank: the title says what happened"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(metadata={"description": "what went wrong, for a person"})
    instance = fields.String(metadata={"description": "the path of the request"})
    errors = fields.Raw(metadata={"description": "field by field, what is wrong with the input"})
    correlation_id = fields.String(metadata={"description": "quote it when asking about this request"})


class ProblemApi(flask_smorest.Api):
    """flask-smorest's Api, answering every HTTP error as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # The error responses flask-smorest documents are ours: problem+json, not plain JSON.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE

    def handle_http_exception(self, error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        errors = data.get("messages")
        if isinstance(errors, dict) and set(errors) <= {"json", "query", "headers", "form", "path"}:
            errors = errors.get("json") or errors.get("query") or errors
        detail = "The request has invalid fields; see errors." if errors else error.description
        return problem(error.code or 500, detail, errors=errors, headers=data.get("headers"))


class ServiceError(Exception):
    """A domain refusal the API reports as a 4xx problem (not found, conflict, precondition)."""

    def __init__(self, status: int, detail: str, errors: Any = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


def create_service_app(
    settings: Settings,
    *,
    title: str,
    description: str,
    blueprints: list[flask_smorest.Blueprint],
    ready_checks: dict[str, ReadyCheck],
    verifier: TokenVerifier | None,
) -> Flask:
    app = Flask(settings.service)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SECRET_KEY=settings.cursor_secret,  # signs list cursors (shared.pagination)
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs-static/",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                               "bearerFormat": "JWT"}}},
        },
    )
    app.extensions["wtgr_verifier"] = verifier
    api = ProblemApi(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    _install_operations(app, settings.service, ready_checks)
    _install_request_hooks(app, settings.service)
    return app


class ServiceState(Protocol):
    """What a service's composition root holds that its web app needs."""

    @property
    def settings(self) -> Settings: ...

    @property
    def pool(self) -> ConnectionPool: ...


def build_service_app(
    state: ServiceState, *, title: str, description: str, blueprints: list[flask_smorest.Blueprint]
) -> Flask:
    """A service's web app from its composition root: JSON logs configured, every default of
    ``create_service_app``, /readyz checking the service's database pool and Kafka, bearer tokens
    verified with the configured public key, and ``state`` in ``app.extensions[settings.service]``
    for the views."""
    settings = state.settings
    correlation.configure_logging(settings.service, settings.log_level)
    app = create_service_app(
        settings,
        title=title,
        description=description,
        blueprints=blueprints,
        ready_checks={
            "database": database_check(state.pool),
            "kafka": kafka_check(settings.kafka_bootstrap, f"{settings.service}-readyz"),
        },
        verifier=TokenVerifier.from_file(settings.jwt_public_key_file, settings.jwt_issuer, settings.jwt_audience),
    )
    app.extensions[settings.service] = state
    return app


def _install_operations(app: Flask, service: str, ready_checks: dict[str, ReadyCheck]) -> None:
    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok", "service": service}

    @app.get("/readyz")
    def readyz() -> Any:
        failures = {}
        for name, check in ready_checks.items():
            try:
                check()
            except Exception as exc:  # a readiness probe reports, it does not raise
                failures[name] = f"{type(exc).__name__}: {exc}"
        if failures:
            return problem(503, "not ready", errors=failures)
        return {"status": "ready", "checks": sorted(ready_checks)}

    @app.get("/metrics")
    def metrics() -> Response:
        body, content_type = telemetry.exposition()
        return Response(body, content_type=content_type)

    @app.get("/docs-static/<path:filename>")
    def docs_static(filename: str) -> Response:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _install_request_hooks(app: Flask, service: str) -> None:
    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        g.correlation_token = correlation.use(request.headers.get("X-Correlation-ID"))

    @app.after_request
    def finish(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        telemetry.REQUEST_DURATION.labels(service, request.method, route, str(response.status_code)).observe(elapsed)
        if correlation.current():
            response.headers["X-Correlation-ID"] = correlation.current() or ""
        return response

    @app.teardown_request
    def forget(_: BaseException | None) -> None:
        token = g.pop("correlation_token", None)
        if token is not None:
            correlation.reset(token)

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> Response:
        return problem(error.status, error.detail, errors=error.errors, headers=getattr(error, "headers", None))

    @app.errorhandler(psycopg.DataError)
    @app.errorhandler(UnicodeEncodeError)
    def unstorable(error: Exception) -> Response:
        # Text PostgreSQL cannot hold (a NUL character, a lone surrogate), or a figure out of its
        # range: the caller's data, so a 4xx; the transaction has rolled back, nothing is stored.
        log.info("request data the database refused", extra={"error": repr(error)})
        return problem(422, "The request holds text or a number the database cannot store "
                            "(for example a NUL character).")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, InternalServerError.description)


def requires_roles(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only callers whose bearer token carries one of ``roles`` (or admin) get through.

    401 without a valid token, 403 with a valid token but none of the roles. The principal is
    available as ``current_principal()`` inside the view.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = _authenticate()
            if not principal.has_any(roles):
                raise ServiceError(403, f"this needs one of the roles: {', '.join(roles)}")
            g.principal = principal
            return view(*args, **kwargs)

        return guarded

    return decorate


def current_principal() -> Principal:
    return g.principal


def _authenticate() -> Principal:
    verifier: TokenVerifier | None = current_app.extensions.get("wtgr_verifier")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="wtgr"'}
    if scheme.lower() != "bearer" or not token:
        raise _Unauthorized("a bearer token is required", challenge)
    if verifier is None:
        raise _Unauthorized("authentication is not configured", challenge)
    try:
        return verifier.verify(token.strip())
    except AuthError as exc:
        raise _Unauthorized(str(exc), {"WWW-Authenticate": 'Bearer realm="wtgr", error="invalid_token"'}) from None


class _Unauthorized(ServiceError):
    def __init__(self, detail: str, headers: dict[str, str]):
        super().__init__(401, detail)
        self.headers = headers


def etag_of(version: int) -> dict[str, str]:
    """The ETag header for a row's version number."""
    return {"ETag": f'"{version}"'}


def if_match_version() -> int | None:
    """The version the caller last saw (from If-Match), or None when it did not say (or said *).

    Updates compare it with the row's version and refuse with 412 when someone else changed it first.
    """
    header = request.headers.get("If-Match", "").strip()
    if header in ("", "*"):
        return None
    tag = header.removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ServiceError(412, 'If-Match must be an ETag this API gave, such as "3"')
    return int(tag)
