"""The env file (.local/<env>/env) that services and tests read, and the dev JWT issuer key."""

from __future__ import annotations

import os
from pathlib import Path

from devstack.config import BOUNCE_MAILBOX_PASSWORD, BOUNCE_MAILBOX_USER, StackConfig, service_password
from shared import platform

# Development-only secrets of the portal and the local OIDC provider (the portal refuses to start
# with them outside development: portal/settings.py).
PORTAL_CLIENT_ID = "wtgr-portal"
PORTAL_CLIENT_SECRET = "wtgr-portal-local-dev-client-secret"
PORTAL_SECRET_KEY = "wtgr-portal-local-dev-secret"
OIDC_COOKIE_KEY = "wtgr-oidc-local-dev-cookie-key"


def ensure_jwt_keys(config: StackConfig) -> tuple[Path, Path]:
    """An RSA 2048 key pair for the local development token issuer (made once per env)."""
    private = config.jwt_dir / "private.pem"
    public = config.jwt_dir / "public.pem"
    if private.is_file() and public.is_file():
        return private, public
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    config.jwt_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    _write(private, private_pem, 0o600)
    _write(public, public_pem, 0o644)
    return private, public


def ensure_oidc_keys(config: StackConfig) -> Path:
    """The development OIDC provider's signing key as a private JWKS (made once per env, so its
    tokens stay valid when it restarts; rotate by adding a key in front and restarting it)."""
    path = config.oidc_dir / "jwks.json"
    if path.is_file():
        return path
    import json
    import uuid

    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    config.oidc_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**RSAAlgorithm.to_jwk(key, as_dict=True), "kid": uuid.uuid4().hex[:16], "use": "sig", "alg": "RS256"}
    jwk.pop("key_ops", None)  # the provider publishes the JWK's public half as is: "sign" would forbid verifying
    _write(path, json.dumps({"keys": [jwk]}).encode(), 0o600)
    return path


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, mode)
    tmp.replace(path)


def build_env(config: StackConfig) -> dict[str, str]:
    private = config.jwt_dir / "private.pem"
    public = config.jwt_dir / "public.pem"
    values = {
        "WTGR_ENV": config.env,
        "WTGR_KAFKA_BOOTSTRAP": config.kafka_bootstrap,
        "WTGR_SMTP_HOST": "127.0.0.1",
        "WTGR_SMTP_PORT": str(config.ports.smtp),
        "WTGR_MAIL_HTTP": config.mail_http_url,
        # bounces go to bounces+<email id>@ (VERP); the mail catcher's POP3 server is the bounce mailbox
        "WTGR_BOUNCE_ADDRESS": "bounces@hospital.example",
        "WTGR_BOUNCE_POP3_HOST": "127.0.0.1",
        "WTGR_BOUNCE_POP3_PORT": str(config.ports.mail_pop3),
        "WTGR_BOUNCE_POP3_USERNAME": BOUNCE_MAILBOX_USER,
        "WTGR_BOUNCE_POP3_PASSWORD": BOUNCE_MAILBOX_PASSWORD,
        "WTGR_PG_ADMIN_URL": config.admin_database_url,
        "WTGR_WORKER_ENDPOINT_HOST": "127.0.0.1",  # workers' /healthz and /metrics (shared/liveness.py)
        # The demo trust shares its published stories and tools library with visitors who do not
        # sign in: the stories service answers their reads without a token, the portal shows them.
        "WTGR_STORIES_PUBLIC": "true",
        "WTGR_PORTAL_PUBLIC_STORIES": "true",
    }
    if config.env in ("test", "chaos"):
        # an alert waits this long for the same KPI's month at other levels (30 s in a trust): the
        # suites' alerts arrive together, and their recovery times are not the hold's
        values["WTGR_ALERT_HOLD_SECONDS"] = "5"
        values["WTGR_BOUNCE_POLL_SECONDS"] = "1"  # a bounce shows within a second or two
    for process in platform.PLATFORM_PROCESSES:
        values[process.port_env_var] = str(config.ports.platform[process.name])
    for service in config.services:
        prefix = service.upper()
        values[f"{prefix}_DATABASE_URL"] = config.database_url(service, service_password(service))
        values[f"{prefix}_PORT"] = str(config.ports.services[service])
    values["WTGR_JWT_PRIVATE_KEY_FILE"] = str(private.resolve())
    values["WTGR_JWT_PUBLIC_KEY_FILE"] = str(public.resolve())
    values.update(oidc_env(config))
    return values


def oidc_env(config: StackConfig) -> dict[str, str]:
    """The OIDC provider's settings (read by it, the services and the portal) and the portal's."""
    portal = config.portal_url
    return {
        "WTGR_OIDC_PORT": str(config.ports.oidc),
        "WTGR_OIDC_ISSUER": config.oidc_issuer,
        "WTGR_OIDC_JWKS_FILE": str((config.oidc_dir / "jwks.json").resolve()),
        "WTGR_OIDC_COOKIE_KEY": OIDC_COOKIE_KEY,
        "WTGR_OIDC_CLIENT_ID": PORTAL_CLIENT_ID,
        "WTGR_OIDC_CLIENT_SECRET": PORTAL_CLIENT_SECRET,
        "WTGR_OIDC_REDIRECT_URIS": f"{portal}/auth/callback",
        "WTGR_OIDC_POST_LOGOUT_REDIRECT_URIS": f"{portal}/signed-out",
        "WTGR_OIDC_ROLES_CLAIM": "roles",
        "WTGR_PORTAL_PORT": str(config.ports.portal),
        "WTGR_PORTAL_URL": portal,
        "WTGR_PORTAL_SECRET_KEY": PORTAL_SECRET_KEY,
        "WTGR_PORTAL_SESSION_DIR": str(config.portal_session_dir.resolve()),
    }


def write_env_file(config: StackConfig) -> dict[str, str]:
    values = build_env(config)
    text = "".join(f"{key}={value}\n" for key, value in values.items())
    _write(config.env_file, text.encode(), 0o644)
    return values


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values
