"""The portal's composition root: ``create_app()`` builds the Flask app from its settings.

Safe by default: server-side sessions (Flask-Session; the cookie holds only a random id, HttpOnly,
SameSite=Lax, Secure unless development over http), CSRF tokens on every form (Flask-WTF), Jinja's
autoescaping, and a Content-Security-Policy that allows no inline script (docs/security.md).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cachelib.file import FileSystemCache
from flask import Blueprint, Flask, redirect, render_template, request, send_from_directory, url_for
from flask_session import Session
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response

from portal import formatting, mdc
from portal.auth import init_auth
from portal.backend import Backend, ServiceError, ServiceUnavailable
from portal.navigation import navigation
from portal.settings import PortalSettings
from portal.views import (
    admin,
    board,
    board_packs,
    home,
    ideas,
    kpis,
    me,
    projects,
    signals,
    stories,
    tools,
    training,
    unsubscribe,
)

HERE = Path(__file__).resolve().parent


class UnsafeConfiguration(RuntimeError):
    """The portal was asked to serve outside development with development secrets."""


def create_app(settings: PortalSettings | None = None) -> Flask:
    settings = settings or PortalSettings.from_env()
    if not settings.is_development and settings.unsafe_reasons():
        raise UnsafeConfiguration("the portal refuses to start (WTGR_ENV="
                                  f"{settings.environment}): " + "; ".join(settings.unsafe_reasons()))
    app = Flask("portal", root_path=str(HERE), static_folder="static", static_url_path="/static")
    app.extensions["portal_settings"] = settings
    app.extensions["portal_backend"] = Backend(settings.service_urls)
    _configure_sessions(app, settings)
    app.before_request(_allow_uploads)  # before CSRF, which reads the form
    csrf = CSRFProtect(app)
    init_auth(app, settings)
    for blueprint in (home.blueprint, ideas.blueprint, projects.blueprint, kpis.blueprint, board.blueprint,
                      signals.blueprint, training.blueprint, stories.blueprint, tools.blueprint, me.blueprint,
                      admin.blueprint, unsubscribe.blueprint, board_packs.blueprint, board_packs.admin_blueprint):
        app.register_blueprint(blueprint)
    csrf.exempt(unsubscribe.one_click)  # a mail client's one-click POST has no session: the signed link suffices
    app.register_blueprint(_assets(settings))
    app.register_blueprint(_health())
    app.jinja_env.globals.update(mdc=mdc, navigation=navigation, unread_count=me.unread_count,
                                 following=me.following)
    app.jinja_env.filters.update(formatting.FILTERS)
    app.after_request(_security_headers(settings))
    _error_pages(app)
    return app


def _configure_sessions(app: Flask, settings: PortalSettings) -> None:
    Path(settings.session_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    lifetime = timedelta(hours=settings.session_hours)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=FileSystemCache(settings.session_dir, threshold=10_000,
                                         default_timeout=int(lifetime.total_seconds()), mode=0o600),
        SESSION_PERMANENT=True,
        PERMANENT_SESSION_LIFETIME=lifetime,
        SESSION_COOKIE_NAME="wtgr_portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax: the provider's redirect back is a top-level GET
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it is bound to
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    Session(app)


UPLOADS = {"tools.new": tools.MAX_FILE_BYTES + 64 * 1024}  # forms that carry a file: its bound and the fields'


def _allow_uploads() -> None:
    """A form with a file may be as large as the file it carries; every other request stays small."""
    if request.endpoint in UPLOADS:
        request.max_content_length = UPLOADS[request.endpoint]


def content_security_policy(settings: PortalSettings) -> str:
    """No inline script or style; forms may post here and, after sign-out, lead to the provider."""
    issuer = urlsplit(settings.oidc_issuer)
    provider = f"{issuer.scheme}://{issuer.netloc}"
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
        f"form-action 'self' {provider}", "frame-ancestors 'none'",
    ])


def _security_headers(settings: PortalSettings) -> Any:
    policy = content_security_policy(settings)

    def add(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if settings.secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint not in ("static", "assets.nhsuk"):
            response.headers["Cache-Control"] = "no-store"  # pages carry the person's data
        return response

    return add


def _assets(settings: PortalSettings) -> Blueprint:
    """The NHS design system's compiled CSS, JS and images, from the npm package (no CDN)."""
    assets = Blueprint("assets", __name__)

    @assets.route("/assets/nhsuk/<path:filename>")
    def nhsuk(filename: str) -> Response:
        return send_from_directory(settings.nhsuk_dir, filename, max_age=3600)

    return assets


def _health() -> Blueprint:
    health = Blueprint("health", __name__)

    @health.route("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return health


def _error_pages(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Any:
        if exc.status == 401:  # the token was refused: sign in again
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        status = exc.status if exc.status in (403, 404) else 400
        return render_template("error.html", status=status, detail=exc.detail), status

    @app.errorhandler(ServiceUnavailable)
    def unavailable(exc: ServiceUnavailable) -> Any:
        return render_template("error.html", status=503, detail=f"The {exc} service is not answering."), 503

    @app.errorhandler(requests.RequestException)
    def provider_unreachable(exc: requests.RequestException) -> Any:
        """Only sign-in talks to the provider with requests outside ``Backend``, which maps its own."""
        app.logger.warning("the OIDC provider did not answer: %s", exc)
        return render_template("error.html", status=503, detail="The sign-in service is not answering."), 503

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return render_template("error.html", status=400, detail="The form had expired. Please try again."), 400

    for status in (403, 404, 405):
        app.register_error_handler(status, lambda exc, status=status: (render_template(
            "error.html", status=status, detail=None), status))
