"""devstack's part in the portal and its OIDC provider, without servers: ports, the env file, the
provider's signing key."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

from devstack.config import load_config, resolve_ports
from devstack.envfile import build_env, ensure_oidc_keys
from devstack.oidc_provider import demo_users
from shared.auth import ROLES

SERVICES = ("ideas", "projects", "metrics", "training", "notifications")


def test_the_portal_and_the_provider_have_ports_in_each_env_and_can_be_moved():
    run, test = resolve_ports("run", SERVICES, {}), resolve_ports("test", SERVICES, {})
    assert (run.portal, run.oidc, test.portal, test.oidc) == (8000, 8091, 28000, 28091)
    moved = resolve_ports("test", SERVICES, {"WTGR_PORTAL_PORT": "17000", "WTGR_OIDC_PORT": "17090"})
    assert (moved.portal, moved.oidc) == (17000, 17090)


def test_the_env_file_points_the_services_and_the_portal_at_the_provider(tmp_path: Path):
    config = replace(load_config("test", {}, use_recorded=False), state_dir=tmp_path)
    values = build_env(config)
    assert values["WTGR_OIDC_ISSUER"] == "http://127.0.0.1:28091"
    assert values["WTGR_PORTAL_URL"] == "http://127.0.0.1:28000"
    assert values["WTGR_OIDC_REDIRECT_URIS"] == "http://127.0.0.1:28000/auth/callback"
    assert values["WTGR_OIDC_POST_LOGOUT_REDIRECT_URIS"] == "http://127.0.0.1:28000/signed-out"
    assert values["WTGR_PORTAL_SESSION_DIR"] == str(tmp_path / "portal-sessions")
    assert values["WTGR_STORIES_PUBLIC"] == values["WTGR_PORTAL_PUBLIC_STORIES"] == "true"  # the demo shares them


def test_the_providers_key_is_private_made_once_and_usable_for_verifying(tmp_path: Path):
    config = replace(load_config("test", {}, use_recorded=False), state_dir=tmp_path)
    path = ensure_oidc_keys(config)
    [key] = json.loads(path.read_text())["keys"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key["kty"] == "RSA" and "d" in key and key["alg"] == "RS256" and key["kid"]
    assert "key_ops" not in key  # published as is, "sign" would forbid relying parties to verify
    assert ensure_oidc_keys(config).read_text() == path.read_text()


def test_there_is_a_demo_user_for_every_person_role():
    roles = {role for user in demo_users() for role in user["roles"]}
    assert roles == set(ROLES) - {"feed"}  # feed is for integration clients, not people
