"""Sign-in with OpenID Connect (authorization code + PKCE, with Authlib) and who is signed in.

The tokens stay in the server-side session (``portal.app``): the browser holds only the session's
random id in an HttpOnly cookie. Every page needs a signed-in person unless its endpoint is listed in
``PUBLIC`` with the reason; pages for some roles only use ``requires_role``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from portal.settings import PortalSettings
from shared.auth.oidc import claim_at

auth = Blueprint("auth", __name__)

# Endpoints anyone may open, and why (everything else needs a signed-in person).
PUBLIC = {
    "auth.sign_in": "starts signing in",
    "auth.callback": "where the provider sends people back",
    "auth.signed_out": "says that the person has signed out",
    "home.index": "the front page says what WTGR is and offers to sign in",
    "ideas.share": "the idea form for patients, carers and partners, who have no account (moderated first)",
    "ideas.shared": "tells a patient, carer or partner their idea arrived, with their private follow link",
    "ideas.followed": "a private follow link: the token is the credential, the page shows no names",
    "assets.nhsuk": "the NHS design system's styles and scripts",
    "static": "the portal's own styles and scripts",
    "health.healthz": "liveness for the supervisor",
    "training.verify": "anyone shown a WTGR certificate checks its verification code",
    "training.verified": "the answer to a certificate check: only what the certificate itself shows",
    "unsubscribe.confirm": "an email's unsubscribe link: its signed token is the authority",
    "unsubscribe.one_click": "a mail client's one-click unsubscribe (RFC 8058): its signed token is the authority",
}
# Endpoints anyone may open when the trust shares its stories and tools with visitors who do not sign
# in (WTGR_PORTAL_PUBLIC_STORIES; the stories service must answer them too: WTGR_STORIES_PUBLIC).
SHARED_WITH_VISITORS = {
    "stories.index": "the library of published stories",
    "stories.story": "a published story and its chart (a draft is 404 to all but editors, said the service)",
    "tools.index": "the tools library",
    "tools.resource": "a tool of the library",
    "tools.download": "a tool's file",
}


@dataclass(frozen=True)
class User:
    sub: str
    name: str
    email: str
    roles: frozenset[str]

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles & set(roles)) or "admin" in self.roles


def init_auth(app: Flask, settings: PortalSettings) -> None:
    # One registry per app: authlib keeps a client, and the provider's metadata it has read, per
    # registry, so a module-wide one would serve a second app the first app's provider.
    oauth = OAuth(app)
    app.extensions["portal_oauth"] = oauth
    oauth.register(
        "wtgr",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256", "timeout": 10},
    )
    app.register_blueprint(auth)
    app.before_request(_require_sign_in)
    app.context_processor(lambda: {"current_user": current_user()})


def _provider() -> Any:
    """The app's OpenID Connect client (authlib)."""
    return current_app.extensions["portal_oauth"].wtgr


def _settings() -> PortalSettings:
    found: PortalSettings = current_app.extensions["portal_settings"]
    return found


def current_user() -> User | None:
    """The signed-in person, or None (also once their access token has expired)."""
    found = session.get("user")
    if not found or session.get("expires_at", 0) <= time.time():
        return None
    return User(found["sub"], found["name"], found["email"], frozenset(found["roles"]))


def access_token() -> str | None:
    return session.get("access_token") if current_user() else None


def is_open_to_visitors(endpoint: str | None) -> bool:
    """May someone who has not signed in open this endpoint?"""
    return endpoint is None or endpoint in PUBLIC or (endpoint in SHARED_WITH_VISITORS and _settings().public_stories)


def _require_sign_in() -> Response | None:
    if is_open_to_visitors(request.endpoint):
        return None
    if current_user() is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return None


def requires_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only people with one of ``roles`` (or admin) may open the page; others get 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None or not user.has_any(*roles):
                abort(403)
            return view(*args, **kwargs)

        return checked

    return decorate


def _local(target: str | None) -> str:
    """Only a path on this site may be returned to (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@auth.route("/sign-in")
def sign_in() -> Response:
    session["after_sign_in"] = _local(request.args.get("next"))
    response: Response = _provider().authorize_redirect(_settings().public_url + url_for("auth.callback"))
    return response


@auth.route("/auth/callback")
def callback() -> Any:
    if request.args.get("error"):
        return render_template("sign_in_problem.html", reason=request.args.get("error_description")
                               or request.args["error"]), 400
    try:
        token = _provider().authorize_access_token()
    except OAuthError as exc:
        return render_template("sign_in_problem.html", reason=exc.description or exc.error), 400
    claims = token.get("userinfo") or {}
    after = session.get("after_sign_in", "/")
    current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]  # no session fixation
    session.clear()
    session.permanent = True
    roles = claim_at(claims, _settings().oidc_roles_claim, default=[])
    session["user"] = {"sub": str(claims["sub"]), "name": str(claims.get("name") or claims["sub"]),
                       "email": str(claims.get("email") or ""),
                       "roles": [str(r) for r in roles] if isinstance(roles, list) else []}
    session["access_token"] = token["access_token"]
    session["expires_at"] = int(token.get("expires_at") or time.time() + int(token.get("expires_in", 300)))
    session["id_token"] = token.get("id_token")
    return redirect(_local(after))


@auth.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    """End the portal's session, then the provider's (RP-initiated logout) when it offers one."""
    id_token = session.get("id_token")
    session.clear()
    settings = _settings()
    ending = _provider().load_server_metadata().get("end_session_endpoint")
    back = settings.public_url + url_for("auth.signed_out")
    if not ending:
        return redirect(back)
    query = {"post_logout_redirect_uri": back, "client_id": settings.oidc_client_id}
    if id_token:
        query["id_token_hint"] = id_token
    return redirect(f"{ending}?{urlencode(query)}")


@auth.route("/signed-out")
def signed_out() -> str:
    return render_template("signed_out.html")
