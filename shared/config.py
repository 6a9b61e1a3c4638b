"""Settings from environment variables. Every variable is listed, with its default, in README.md."""

from __future__ import annotations

import os
from dataclasses import dataclass

from shared import platform

DEV_ISSUER = "https://wtgr.local/dev-issuer"
DEV_CURSOR_SECRET = "wtgr-local-dev-cursor-secret"
# WTGR_ENV names the environment. These are development (devstack's `run`, `test` and `chaos`
# envs among them): only there may a service start with development secrets (see shared/security.py).
# Unset means production, so a forgotten variable never relaxes the checks.
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test", "run", "chaos"})


def _default_port(service: str) -> int:
    names = platform.service_names()
    return platform.service(service).port if service in names else 8000


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    kafka_bootstrap: str
    port: int
    jwt_public_key_file: str
    jwt_private_key_file: str
    jwt_issuer: str
    jwt_audience: str
    smtp_host: str
    smtp_port: int
    mail_from: str
    max_request_bytes: int
    max_event_bytes: int
    consumer_max_attempts: int
    log_level: str
    cursor_secret: str
    environment: str = "production"
    max_json_depth: int = 32
    cors_origins: tuple[str, ...] = ()
    oidc_issuer: str = ""
    oidc_audience: str = ""
    oidc_roles_claim: str = "roles"
    oidc_user_claim: str = "sub"
    oidc_jwks_uri: str = ""
    portal_url: str = "http://localhost:8000"

    @property
    def is_development(self) -> bool:
        return self.environment in DEVELOPMENT_ENVIRONMENTS

    @classmethod
    def from_env(cls, service: str) -> Settings:
        upper = service.upper()
        return cls(
            service=service,
            database_url=_env(
                f"{upper}_DATABASE_URL",
                f"postgresql://{service}:{service}-local-dev@127.0.0.1:5433/wtgr",
            ),
            kafka_bootstrap=_env("WTGR_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            port=int(_env(f"{upper}_PORT", str(_default_port(service)))),
            jwt_public_key_file=_env("WTGR_JWT_PUBLIC_KEY_FILE", ".local/run/jwt/public.pem"),
            jwt_private_key_file=_env("WTGR_JWT_PRIVATE_KEY_FILE", ".local/run/jwt/private.pem"),
            jwt_issuer=_env("WTGR_JWT_ISSUER", DEV_ISSUER),
            jwt_audience=_env("WTGR_JWT_AUDIENCE", "wtgr-platform"),
            smtp_host=_env("WTGR_SMTP_HOST", "127.0.0.1"),
            smtp_port=int(_env("WTGR_SMTP_PORT", "1025")),
            mail_from=_env("WTGR_MAIL_FROM", "WTGR Platform <wtgr-noreply@hospital.example>"),
            max_request_bytes=int(_env("WTGR_MAX_REQUEST_BYTES", str(1024 * 1024))),
            max_event_bytes=int(_env("WTGR_MAX_EVENT_BYTES", str(256 * 1024))),
            consumer_max_attempts=int(_env("WTGR_CONSUMER_MAX_ATTEMPTS", "5")),
            log_level=_env("WTGR_LOG_LEVEL", "INFO"),
            environment=_env("WTGR_ENV", "production").lower(),
            max_json_depth=int(_env("WTGR_MAX_JSON_DEPTH", "32")),
            cors_origins=tuple(o.strip() for o in _env("WTGR_CORS_ORIGINS", "").split(",") if o.strip()),
            cursor_secret=_env("WTGR_CURSOR_SECRET", DEV_CURSOR_SECRET),
            oidc_issuer=_env("WTGR_OIDC_ISSUER", ""),
            oidc_audience=_env("WTGR_OIDC_AUDIENCE", _env("WTGR_JWT_AUDIENCE", "wtgr-platform")),
            oidc_roles_claim=_env("WTGR_OIDC_ROLES_CLAIM", "roles"),
            oidc_user_claim=_env("WTGR_OIDC_USER_CLAIM", "sub"),
            oidc_jwks_uri=_env("WTGR_OIDC_JWKS_URI", ""),
            portal_url=_env("WTGR_PORTAL_URL", "http://localhost:8000"),
        )
