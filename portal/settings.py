"""The portal's settings, from environment variables (docs/configuration.md lists every one)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shared import platform
from shared.config import DEVELOPMENT_ENVIRONMENTS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "wtgr-portal-local-dev-secret"
DEV_CLIENT_SECRET = "wtgr-portal-local-dev-client-secret"
DEFAULT_PORT = 8000
NHSUK_DIST = REPO_ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


def _service_url(service: str) -> str:
    port = _env(f"{service.upper()}_PORT", str(platform.service(service).port))
    return _env(f"WTGR_{service.upper()}_URL", f"http://127.0.0.1:{port}")


@dataclass(frozen=True)
class PortalSettings:
    port: int
    environment: str
    secret_key: str
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str
    oidc_scopes: str
    oidc_roles_claim: str
    public_url: str
    session_dir: str
    session_hours: int
    service_urls: dict[str, str]
    nhsuk_dir: str
    axe_enabled: bool = False
    public_stories: bool = False  # published stories and the tools library open without signing in

    @property
    def is_development(self) -> bool:
        return self.environment in DEVELOPMENT_ENVIRONMENTS

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure unless this is development served over plain http."""
        return not (self.is_development and self.public_url.startswith("http://"))

    @classmethod
    def from_env(cls) -> PortalSettings:
        port = int(_env("WTGR_PORTAL_PORT", str(DEFAULT_PORT)))
        environment = _env("WTGR_ENV", "production").lower()
        return cls(
            port=port,
            environment=environment,
            secret_key=_env("WTGR_PORTAL_SECRET_KEY", DEV_SECRET_KEY),
            oidc_issuer=_env("WTGR_OIDC_ISSUER", "http://127.0.0.1:8091"),
            oidc_client_id=_env("WTGR_OIDC_CLIENT_ID", "wtgr-portal"),
            oidc_client_secret=_env("WTGR_OIDC_CLIENT_SECRET", DEV_CLIENT_SECRET),
            oidc_scopes=_env("WTGR_OIDC_SCOPES", "openid email profile roles"),
            oidc_roles_claim=_env("WTGR_OIDC_ROLES_CLAIM", "roles"),
            public_url=_env("WTGR_PORTAL_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            session_dir=_env("WTGR_PORTAL_SESSION_DIR", str(REPO_ROOT / ".local" / "run" / "portal-sessions")),
            session_hours=int(_env("WTGR_PORTAL_SESSION_HOURS", "8")),
            service_urls={name: _service_url(name) for name in platform.service_names()},
            nhsuk_dir=_env("WTGR_PORTAL_NHSUK_DIR", str(NHSUK_DIST)),
            public_stories=_flag(_env("WTGR_PORTAL_PUBLIC_STORIES",
                                      "true" if environment in DEVELOPMENT_ENVIRONMENTS else "false")),
        )

    def unsafe_reasons(self) -> list[str]:
        """Why these settings must not serve outside development (empty when they are safe)."""
        reasons = []
        if self.secret_key == DEV_SECRET_KEY:
            reasons.append("the session and CSRF secret is the development one (WTGR_PORTAL_SECRET_KEY)")
        if self.oidc_client_secret == DEV_CLIENT_SECRET:
            reasons.append("the OIDC client secret is the development one (WTGR_OIDC_CLIENT_SECRET)")
        if not self.public_url.startswith("https://"):
            reasons.append(f"the portal's address {self.public_url} is not https (WTGR_PORTAL_URL)")
        return reasons
