"""Outside development a service refuses to start with development secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from shared.config import DEV_CURSOR_SECRET, DEV_ISSUER, Settings
from shared.security import UnsafeConfiguration, is_default_password, refuse_to_run_unsafely, unsafe_settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def safe(tmp_path: Path) -> Settings:
    """Settings a production deployment could run with."""
    public = tmp_path / "idp-public.pem"
    public.write_text("-----BEGIN PUBLIC KEY-----\n")
    return replace(Settings.from_env("ideas"), environment="production", jwt_public_key_file=str(public),
                   jwt_private_key_file=str(tmp_path / "absent.pem"), jwt_issuer="https://login.trust.nhs.uk",
                   database_url="postgresql://ideas:Xq3-long-random@db.trust:5432/wtgr", cors_origins=(),
                   cursor_secret="a-long-random-secret-from-the-vault")


def test_safe_settings_start_anywhere(safe):
    assert unsafe_settings(safe) == []
    refuse_to_run_unsafely(safe)


@pytest.mark.parametrize("change, reason", [
    ({"jwt_public_key_file": str(ROOT / ".local/run/jwt/public.pem")}, "development key pair"),
    ({"jwt_issuer": DEV_ISSUER}, "development issuer"),
    ({"database_url": "postgresql://ideas:ideas-local-dev@db:5432/wtgr"}, "default one"),
    ({"database_url": "postgresql://ideas:ideas-change-me@db:5432/wtgr"}, "default one"),
    ({"database_url": "postgresql://ideas@db:5432/wtgr"}, "default one"),
    ({"cors_origins": ("https://portal.trust.nhs.uk", "*")}, "any origin"),
    ({"cursor_secret": DEV_CURSOR_SECRET}, "development secret"),
])
def test_production_refuses_each_development_secret(safe, change, reason):
    unsafe = replace(safe, **change)
    with pytest.raises(UnsafeConfiguration, match=reason) as refusal:
        refuse_to_run_unsafely(unsafe)
    assert "ideas refuses to start in environment 'production'" in str(refusal.value)


def test_a_readable_signing_key_is_refused_outside_development(safe, tmp_path):
    key = tmp_path / "private.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    assert any("signing key" in reason for reason in unsafe_settings(replace(safe, jwt_private_key_file=str(key))))


@pytest.mark.parametrize("environment", ["development", "test", "run", "chaos"])
def test_development_environments_may_use_development_secrets(safe, environment):
    refuse_to_run_unsafely(replace(safe, environment=environment, jwt_issuer=DEV_ISSUER, cors_origins=("*",)))


def test_an_unnamed_environment_is_production(monkeypatch):
    monkeypatch.delenv("WTGR_ENV", raising=False)
    settings = Settings.from_env("ideas")
    assert settings.environment == "production"
    assert not settings.is_development


@pytest.mark.parametrize("url", ["postgresql://metrics:metrics@h/db", "postgresql://a:change-me@h/db"])
def test_default_passwords_are_recognised(url):
    assert is_default_password(url)


def test_a_service_process_exits_non_zero_naming_the_reasons():
    env = {**os.environ, "WTGR_ENV": "production", "WTGR_JWT_ISSUER": DEV_ISSUER,
           "IDEAS_DATABASE_URL": "postgresql://ideas:ideas-local-dev@127.0.0.1:1/wtgr"}
    done = subprocess.run([sys.executable, "-m", "services.ideas.entrypoints.migrate"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "ideas refuses to start in environment 'production'" in done.stderr
    assert "development issuer" in done.stderr and "default one" in done.stderr
