"""The web defaults every service gets from one call, ``build_service_app`` (or, for a bare app
with checks of its own choosing, ``create_service_app``).

/healthz (liveness), /readyz (database and Kafka reachable), /metrics (Prometheus),
/openapi.json and the browsable /docs page, RFC 9457 problem+json errors with field detail,
a request size limit, bearer JWT roles, and a correlation id on every request and its logs.

The HTTP conventions are decided here once (docs/http-conventions.md tells the why):

- Default deny. Every route says who may call it, ``@requires_roles(...)`` (or
  ``@requires_sign_in``) or ``@public(reason)``, right under its ``route``; one before-request
  check enforces it, and a route with neither answers 401, whatever it does.
- One error map. Services raise ``shared.errors`` refusals, which carry no status; ``STATUS_OF``
  below maps them to problem+json. ``ServiceError`` is for this HTTP layer itself.
- Strict queries. ``Blueprint.arguments(..., location="query")`` refuses unknown query parameters;
  an operation that reads none refuses any with the same 422.
- One version story. ``versioned`` answers a row with its ``ETag``, ``created`` a 201 with its
  ``Location`` (and ETag), ``if_match_version`` reads the version an update was based on.
- The OpenAPI document states every operation's security and ``operationId`` from the same marks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol, TypeVar

import flask_smorest
import psycopg
import swagger_ui_bundle
from apispec import BasePlugin
from flask import Flask, Response, current_app, g, jsonify, request, send_from_directory
from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool
from werkzeug.exceptions import HTTPException, InternalServerError

from shared import correlation, security, telemetry
from shared.auth import (
    ROLES,
    AuthError,
    JwksTokenVerifier,
    Principal,
    RememberedTokens,
    TokenVerifier,
    TrustedIssuers,
)
from shared.auth.tokens import Verifier
from shared.collectors import OutboxGauges
from shared.config import Settings
from shared.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedRequest,
    NotFound,
    Refusal,
    StaleVersion,
    TooLarge,
)
from shared.health import database_check, kafka_check, run_checks

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
ReadyCheck = Callable[[], None]
View = TypeVar("View", bound=Callable[..., Any])

# The one map from a refusal to its HTTP answer: the first base class of the error found here wins.
STATUS_OF: dict[type[Refusal], int] = {
    MalformedRequest: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    StaleVersion: 412,
    TooLarge: 413,
    InvalidInput: 422,
}


RETRY_AFTER_SECONDS = 5  # what a 503 asks the caller to wait before trying again
# How long the OIDC provider's keys are cached, and so the longest a verified token is remembered
JWKS_CACHE_SECONDS = 300


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

    type = fields.String(metadata={"description": "about:blank: the title says what happened",
                                   "example": "about:blank"})
    title = fields.String(metadata={"example": "Unprocessable Entity"})
    status = fields.Integer(metadata={"example": 422})
    detail = fields.String(metadata={"description": "what went wrong, for a person",
                                     "example": "The request's input is not valid."})
    instance = fields.String(metadata={"description": "the path of the request", "example": "/api/v1/measures"})
    errors = fields.Raw(metadata={"description": "field by field, what is wrong with the input",
                                  "example": {"period": ["must be a month as YYYY-MM, from 1900"]}})
    correlation_id = fields.String(metadata={"description": "quote it when asking about this request",
                                             "example": "5c1f0e7a9b3d4e26a8f2c4d1b7e90a35"})


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
        # The exception's own headers (Allow on a 405) go with the problem, not only webargs' ones.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        return problem(error.code or 500, detail, errors=errors, headers={**headers, **(data.get("headers") or {})})


class ServiceError(Exception):
    """An answer decided by this HTTP layer itself (401, a malformed header), with its status.

    Service code raises ``shared.errors`` refusals instead; they carry no status and ``STATUS_OF``
    maps them.
    """

    def __init__(self, status: int, detail: str, errors: Any = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


# -- who may call a route ------------------------------------------------------------------------

@dataclass(frozen=True)
class Access:
    """A route's explicit auth decision: the roles it needs (admin always passes), or public and why."""

    roles: tuple[str, ...] = ()
    public_reason: str | None = None

    @property
    def is_public(self) -> bool:
        return self.public_reason is not None


ACCESS_ATTRIBUTE = "_wtgr_access"
READS_QUERY_ATTRIBUTE = "_wtgr_reads_query"


def requires_roles(*roles: str) -> Callable[[View], View]:
    """Only callers whose bearer token carries one of ``roles`` (or admin) get through.

    Put it right under the route decorator. 401 without a valid token, 403 with a valid token but
    none of the roles, both decided before the view runs (and before its input is read). The
    principal is available as ``current_principal()`` inside the view.
    """
    if not roles:
        raise ValueError("requires_roles needs at least one role; for an open route use public(reason)")
    return _mark(Access(roles=tuple(roles)))


def public(reason: str) -> Callable[[View], View]:
    """The route answers without a token; ``reason`` says why that is safe (it is kept for review)."""
    if not reason.strip():
        raise ValueError("a public route says why it is public")
    return _mark(Access(public_reason=reason))


def _mark(access: Access) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        setattr(view, ACCESS_ATTRIBUTE, access)
        return view

    return decorate


requires_sign_in = requires_roles(*ROLES)
"""Any signed-in caller, whatever their role: for reads every member of staff may make."""


def access_of(app: Flask, endpoint: str) -> Access | None:
    """The explicit decision for ``endpoint``, or None when the route has none (and is refused)."""
    decided = app.extensions.get("wtgr_access", {})
    if endpoint in decided:
        return decided[endpoint]
    return getattr(app.view_functions.get(endpoint), ACCESS_ATTRIBUTE, None)


def current_principal() -> Principal:
    return g.principal


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint whose query arguments refuse unknown parameters, as bodies do."""

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Callable[[View], View]:
        if location != "query":
            return super().arguments(schema, location=location, **kwargs)
        decorate = super().arguments(schema, location=location, unknown=RAISE, **kwargs)

        def reads_query(view: View) -> View:
            wrapped = decorate(view)
            setattr(wrapped, READS_QUERY_ATTRIBUTE, True)
            return wrapped

        return reads_query


# -- the app ---------------------------------------------------------------------------------------

def create_service_app(
    settings: Settings,
    *,
    title: str,
    description: str,
    blueprints: list[flask_smorest.Blueprint],
    ready_checks: dict[str, ReadyCheck],
    verifier: Verifier | None,
    scrape_collectors: Iterable[Collector] = (),
    opened: Mapping[str, str] | None = None,
) -> Flask:
    """A bare service app; ``scrape_collectors`` add what they read at scrape time to /metrics."""
    app = Flask(settings.service, static_folder=None)
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
    api.spec.plugins.append(_OperationPlugin(app))
    app.extensions["wtgr_access"] = {  # flask-smorest's own routes: the OpenAPI document and its page
        endpoint: Access(public_reason="the API's own description") for endpoint in app.view_functions
    }
    # Operations a deployment opened to everyone by configuration: endpoint -> why that is safe.
    app.extensions["wtgr_access"].update({endpoint: Access(public_reason=reason)
                                          for endpoint, reason in (opened or {}).items()})
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    _install_operations(app, settings.service, ready_checks, tuple(scrape_collectors))
    _install_request_hooks(app, settings.service)
    security.install(app, settings, problem)
    return app


class ServiceState(Protocol):
    """What a service's composition root holds that its web app needs."""

    @property
    def settings(self) -> Settings: ...

    @property
    def pool(self) -> ConnectionPool: ...


def build_service_app(
    state: ServiceState, *, title: str, description: str, blueprints: list[flask_smorest.Blueprint],
    scrape_collectors: Iterable[Collector] = (),
    opened: Mapping[str, str] | None = None,
) -> Flask:
    """A service's web app from its composition root: JSON logs configured, every default of
    ``create_service_app``, /readyz checking the service's database pool and Kafka, /metrics with
    the outbox's backlog read from the database at scrape time (and ``scrape_collectors``), bearer
    tokens verified with the configured public key, GET /api/v1/audit (shared.audit_api), and
    ``state`` in ``app.extensions[settings.service]`` for the views. ``opened`` makes operations
    that are marked for a role public instead (endpoint -> why), when the deployment's configuration
    says so: the OpenAPI document and the access check both follow it."""
    from shared import audit, audit_api  # audit_api builds on this module

    settings = state.settings
    security.refuse_to_run_unsafely(settings)
    correlation.configure_logging(settings.service, settings.log_level)
    audit.use_actor_source(audit_api.actor_of_request)
    app = create_service_app(
        settings,
        title=title,
        description=description,
        blueprints=[*blueprints, audit_api.blueprint],
        ready_checks={
            "database": database_check(state.pool),
            "kafka": kafka_check(settings.kafka_bootstrap, f"{settings.service}-readyz"),
        },
        verifier=build_verifier(settings),
        scrape_collectors=[OutboxGauges(settings.service, state.pool), *scrape_collectors],
        opened=opened,
    )
    app.extensions[settings.service] = state
    return app


def build_verifier(settings: Settings) -> Verifier:
    """The issuers a service trusts: the one whose PEM public key is configured (the development
    issuer, or a key pair of the trust's own for scripts), and the OpenID Connect provider when
    WTGR_OIDC_ISSUER names one (its keys fetched from its JWKS). Tokens that verified are remembered
    until they expire, at most as long as the provider's keys are cached (``RememberedTokens``)."""
    static = TokenVerifier.from_file(settings.jwt_public_key_file, settings.jwt_issuer, settings.jwt_audience)
    if not settings.oidc_issuer:
        return RememberedTokens(static, max_age_seconds=JWKS_CACHE_SECONDS)
    provider = JwksTokenVerifier(settings.oidc_issuer, settings.oidc_audience, roles_claim=settings.oidc_roles_claim,
                                 user_claim=settings.oidc_user_claim, jwks_uri=settings.oidc_jwks_uri or None,
                                 cache_seconds=JWKS_CACHE_SECONDS)
    return RememberedTokens(TrustedIssuers([static, provider]), max_age_seconds=JWKS_CACHE_SECONDS)


class PatchSchema(Schema):
    """A PATCH body: every field optional, at least one sent. The OpenAPI document says so
    (``minProperties: 1``); an empty body is a 422 naming no field (``_schema``)."""

    MIN_PROPERTIES = 1

    @validates_schema
    def _says_what_to_change(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("send at least one field to change")


class _OperationPlugin(BasePlugin):
    """Writes into the OpenAPI document what the marks on each view decide: its security (bearer,
    or none for a public operation), the 401/403 it may answer, and an ``operationId`` (the view's
    name) so clients can be generated."""

    def __init__(self, app: Flask):
        self.app = app

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        """A schema's own bounds that marshmallow fields cannot say: a PATCH body is not empty."""
        schema = kwargs.get("schema")
        least = getattr(schema, "MIN_PROPERTIES", None)
        return {"minProperties": least} if least else None

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        access = access_of(self.app, rule.endpoint)
        name = rule.endpoint.rpartition(".")[2]
        for method, operation in operations.items():
            operation.setdefault("operationId", name if len(operations) == 1 else f"{method}_{name}")
            if access is None or access.is_public:
                operation["security"] = []
                continue
            operation["security"] = BEARER
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", "UNAUTHORIZED")
            responses.setdefault("403", "FORBIDDEN")


def _install_operations(app: Flask, service: str, ready_checks: dict[str, ReadyCheck],
                        scrape_collectors: tuple[Collector, ...]) -> None:
    @app.get("/healthz")
    @public("liveness probe: says the process answers, nothing more")
    def healthz() -> Any:
        return {"status": "ok", "service": service}

    @app.get("/readyz")
    @public("readiness probe: names which dependency is down, no data")
    def readyz() -> Any:
        failures = run_checks(ready_checks)  # within a second, whatever is down
        if failures:
            return problem(503, "not ready", errors=failures)
        return {"status": "ready", "checks": sorted(ready_checks)}

    @app.get("/metrics")
    @public("Prometheus scrapes it; counts and durations, no personal data")
    def metrics() -> Response:
        body, content_type = telemetry.exposition(scrape_collectors)  # within seconds, whatever is down
        return Response(body, content_type=content_type)

    @app.get("/docs-static/<path:filename>")
    @public("the browsable API page's scripts and styles")
    def docs_static(filename: str) -> Response:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _install_request_hooks(app: Flask, service: str) -> None:
    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        g.correlation_token = correlation.use(request.headers.get("X-Correlation-ID"))

    @app.before_request
    def authorize() -> None:
        if request.url_rule is None or request.endpoint is None:
            return  # no route: 404 or 405 follows
        _check_access(access_of(app, request.endpoint))
        _check_query_is_read(app.view_functions[request.endpoint])

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

    _install_error_map(app)


def _install_error_map(app: Flask) -> None:
    @app.errorhandler(Refusal)
    def refusal(error: Refusal) -> Response:
        return problem(status_of(error), error.detail, errors=error.errors)

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

    @app.errorhandler(psycopg.OperationalError)
    def database_unavailable(error: psycopg.OperationalError) -> Response:
        # PostgreSQL unreachable, restarting or no connection free within the pool's timeout
        # (psycopg_pool.PoolTimeout is one): nothing was stored; the same request may succeed soon.
        log.warning("database unavailable", extra={"error": repr(error)})
        return problem(503, "The database is not answering; nothing was changed. Try again shortly.",
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, InternalServerError.description)


def status_of(error: Refusal) -> int:
    """The HTTP status of a refusal: that of the nearest of its base classes in ``STATUS_OF``."""
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 422  # a bare Refusal: the request cannot be done as asked


def _check_access(access: Access | None) -> None:
    if access is None:
        log.error("route without an auth decision refused", extra={"endpoint": request.endpoint})
        raise _Unauthorized("this route has no auth decision, so it is refused",
                            {"WWW-Authenticate": 'Bearer realm="wtgr"'})
    if access.is_public:
        g.principal = _caller_if_any()
        return
    principal = _authenticate()
    if not principal.has_any(access.roles):
        raise ServiceError(403, f"this needs one of the roles: {', '.join(access.roles)}")
    g.principal = principal


def _check_query_is_read(view: Callable[..., Any]) -> None:
    """An operation that declares no query arguments refuses any, as a declared schema refuses
    the ones it does not know."""
    is_operation = isinstance(current_app.blueprints.get(request.blueprint or ""), flask_smorest.Blueprint)
    if request.args and is_operation and not getattr(view, READS_QUERY_ATTRIBUTE, False):
        raise ServiceError(422, "The request has invalid fields; see errors.", errors=unknown_fields(request.args))


def _caller_if_any() -> Principal | None:
    """On a public route, the caller a valid bearer token names (an editor reading a draft where
    published stories are open to all, say); None without a token or with one that does not
    verify: the route then answers them as it answers anyone."""
    if not request.headers.get("Authorization"):
        return None
    try:
        return _authenticate()
    except _Unauthorized:
        return None


def _authenticate() -> Principal:
    verifier: Verifier | None = current_app.extensions.get("wtgr_verifier")
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


# -- versions --------------------------------------------------------------------------------------

def etag_of(version: int) -> dict[str, str]:
    """The ETag header for a row's version number."""
    return {"ETag": f'"{version}"'}


def versioned(body: Any, status: int = 200) -> tuple[Any, int, dict[str, str]]:
    """A view's answer for a versioned row: the row (with its ``version``) and its ETag."""
    return body, status, etag_of(_version_of(body))


def created(body: Any, location: str) -> tuple[Any, int, dict[str, str]]:
    """A view's 201 answer: the new thing, where to read it (``Location``), and its ETag when it
    has a version."""
    headers = {"Location": location}
    version = _version_of(body, required=False)
    if version is not None:
        headers.update(etag_of(version))
    return body, 201, headers


def _version_of(body: Any, *, required: bool = True) -> Any:
    version = body.get("version") if isinstance(body, Mapping) else getattr(body, "version", None)
    if version is None and required:
        raise TypeError("a versioned answer needs a row with a version")
    return version


def if_match_version() -> int | None:
    """The version the caller last saw (from If-Match), or None when it did not say (or said *).

    Updates compare it with the row's version and refuse with ``StaleVersion`` (412) when someone
    else changed it first.
    """
    header = request.headers.get("If-Match", "").strip()
    if header in ("", "*"):
        return None
    tag = header.removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise StaleVersion('If-Match must be an ETag this API gave, such as "3"')
    return int(tag)


def unknown_fields(names: Iterable[str]) -> dict[str, list[str]]:
    """Field errors for names the request should not have sent."""
    return {name: ["Unknown field."] for name in names}
