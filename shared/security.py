"""What every service app gets for safety, installed by ``shared.web.create_service_app``.

- Bounded request parsing: before any view runs, a JSON request body is read once (within the
  size limit, else 413) and parsed with a bounded nesting depth. A body that is not UTF-8 JSON, or
  nests deeper than ``Settings.max_json_depth``, is answered 400 application/problem+json and no
  view sees it; so every operation, including any added later, is covered in one place.
- Security headers on every response: ``X-Content-Type-Options: nosniff``, no framing
  (``Content-Security-Policy: frame-ancestors 'none'`` and ``X-Frame-Options: DENY``),
  ``Referrer-Policy: no-referrer``, and ``Cache-Control: no-store`` unless the view chose its own
  (API responses carry personal data). JSON and other non-HTML responses get
  ``default-src 'none'``; the HTML /docs page may load its own scripts and styles, and run only
  the inline scripts it was served with (by hash).
- CORS only for the origins listed in ``WTGR_CORS_ORIGINS`` (none by default: the portal calls
  the APIs server-side).
- Refusal to run unsafely: outside a development environment (``WTGR_ENV``, see
  ``shared.config.DEVELOPMENT_ENVIRONMENTS``) ``refuse_to_run_unsafely`` stops a process that
  holds the development key pair, trusts the development issuer, connects with a default
  database password or allows any CORS origin.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from shared.config import DEV_CURSOR_SECRET, DEV_ISSUER, Settings

ProblemFactory = Any  # shared.web.problem; passed in so this module does not import shared.web


class UnreadableBody(ValueError):
    """The request body cannot be taken as JSON; the text says why and is safe to show."""


def parse_json_body(data: bytes, max_depth: int) -> Any:
    """The JSON document in ``data``, or ``UnreadableBody`` when it is not UTF-8, not JSON, or
    nests arrays and objects more than ``max_depth`` deep.

    The parser's own recursion guard stops a hostile document long before the stack runs out;
    the depth is then measured without recursion.
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise UnreadableBody("The body is not UTF-8 text.") from None
    except RecursionError:
        raise UnreadableBody(f"The JSON body nests deeper than {max_depth} levels.") from None
    except ValueError as exc:
        raise UnreadableBody(f"The body is not valid JSON: {exc}.") from None
    if nesting_depth(document) > max_depth:
        raise UnreadableBody(f"The JSON body nests deeper than {max_depth} levels.")
    return document


def nesting_depth(document: Any) -> int:
    """How deep arrays and objects nest in a parsed JSON document (a scalar is 0)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth + 1)
            pending.extend((child, depth + 1) for child in node)
    return deepest


def install(app: Flask, settings: Settings, problem: ProblemFactory) -> None:
    """Everything this module gives a service app (after its correlation id hook)."""
    install_body_limits(app, settings, problem)
    install_security_headers(app)
    install_cors(app, settings)


def install_body_limits(app: Flask, settings: Settings, problem: ProblemFactory) -> None:
    """Refuse, before any view, a JSON body that cannot be parsed safely (400 problem+json)."""

    @app.before_request
    def refuse_unreadable_json() -> Response | None:
        if not request.is_json:
            return None
        data = request.get_data(cache=True)  # beyond MAX_CONTENT_LENGTH this raises 413
        if not data:
            return None
        try:
            parse_json_body(data, settings.max_json_depth)
        except UnreadableBody as exc:
            return problem(400, str(exc))
        return None


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(response: Response) -> str:
    """``default-src 'none'`` for anything but HTML; for an HTML page, its own files and the
    inline scripts it carries (by their sha256), and never inside a frame."""
    if response.mimetype != "text/html" or response.direct_passthrough:
        return API_CSP
    hashes = [base64.b64encode(hashlib.sha256(script).digest()).decode()
              for script in INLINE_SCRIPT.findall(response.get_data())]
    return PAGE_CSP.format(scripts=" ".join(f"'sha256-{digest}'" for digest in hashes))


def install_security_headers(app: Flask) -> None:
    """The headers every response of every service carries (see the module docstring)."""

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        response.headers["Content-Security-Policy"] = content_security_policy(response)
        response.headers.setdefault("Cache-Control", "no-store")
        return response


CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match, If-None-Match, X-Correlation-ID",
    "Access-Control-Expose-Headers": "ETag, Location, X-Correlation-ID",
    "Access-Control-Max-Age": "600",
}


def install_cors(app: Flask, settings: Settings) -> None:
    """Cross-origin reads and writes for the listed origins only (none unless configured)."""
    allowed = set(settings.cors_origins)

    @app.after_request
    def allow_listed_origin(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin and (origin in allowed or "*" in allowed):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers.update(CORS_HEADERS)
        response.vary.add("Origin")
        return response


class UnsafeConfiguration(RuntimeError):
    """The process was asked to run outside development with development secrets."""


def unsafe_settings(settings: Settings) -> list[str]:
    """Why these settings are unsafe outside development (empty when they are not)."""
    reasons = []
    if _is_devstack_file(settings.jwt_public_key_file):
        reasons.append("the JWT key is the development key pair devstack made under .local/"
                       " (WTGR_JWT_PUBLIC_KEY_FILE): point it at the identity provider's key")
    if Path(settings.jwt_private_key_file).is_file():
        reasons.append(f"the token signing key {settings.jwt_private_key_file} is readable"
                       " (WTGR_JWT_PRIVATE_KEY_FILE): only the development issuer holds one")
    if settings.jwt_issuer == DEV_ISSUER:
        reasons.append(f"the token issuer is the development issuer {DEV_ISSUER} (WTGR_JWT_ISSUER)")
    if is_default_password(settings.database_url):
        reasons.append(f"the database password is a default one ({settings.service.upper()}_DATABASE_URL)")
    if settings.cursor_secret == DEV_CURSOR_SECRET:
        reasons.append("list cursors are signed with the development secret (WTGR_CURSOR_SECRET): anyone"
                       " could forge one")
    if "*" in settings.cors_origins:
        reasons.append("any origin may call the API (WTGR_CORS_ORIGINS=*): list the origins instead")
    return reasons


def refuse_to_run_unsafely(settings: Settings) -> None:
    """Raise ``UnsafeConfiguration`` naming every reason, unless the environment is development
    or the settings are safe. Every service process calls it before it starts serving."""
    reasons = [] if settings.is_development else unsafe_settings(settings)
    if reasons:
        raise UnsafeConfiguration(
            f"{settings.service} refuses to start in environment {settings.environment!r} (WTGR_ENV): "
            + "; ".join(reasons))


DEFAULT_PASSWORD_ENDINGS = ("-local-dev", "change-me")


def is_default_password(database_url: str) -> bool:
    """No password, the user's own name, or one of the documented development and deploy
    defaults (``<service>-local-dev``, ``<service>-change-me``)."""
    parts = urlsplit(database_url)
    password = parts.password or ""
    return not password or password == parts.username or password.endswith(DEFAULT_PASSWORD_ENDINGS)


def _is_devstack_file(path: str) -> bool:
    return ".local" in Path(path).absolute().parts
