"""JwksTokenVerifier against keys served over loopback HTTP, as a provider publishes them: discovery,
caching, rotation, the configurable roles claim, and the issuer dispatch of TrustedIssuers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import AuthError, JwksTokenVerifier, TokenIssuer, TokenVerifier, TrustedIssuers
from shared.auth.oidc import claim_at
from shared.tests.unit.test_tokens import PRIVATE, PUBLIC

AUDIENCE = "wtgr-platform"


class Provider:
    """Keys by kid, a discovery document and a JWKS; counts the JWKS fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.jwks_fetches = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def token(self, kid: str, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "sub": "alice.owner", "iat": now, "exp": now + 300,
                "roles": ["kpi_owner"], "email": "alice.owner@hospital.example", **claims}
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body: dict[str, Any]
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": provider.issuer + "/jwks"}
                elif self.path == "/jwks":
                    provider.jwks_fetches += 1
                    body = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
                                      "kid": kid, "use": "sig", "alg": "RS256"}
                                     for kid, key in provider.keys.items()]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def provider() -> Iterator[Provider]:
    found = Provider()
    found.add_key("k1")
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_a_provider_token_gives_the_user_roles_and_email_with_keys_found_by_discovery(provider):
    principal = JwksTokenVerifier(provider.issuer, AUDIENCE).verify(provider.token("k1"))
    assert (principal.user, principal.roles, principal.email) == ("alice.owner", {"kpi_owner"},
                                                                  "alice.owner@hospital.example")


def test_keys_are_cached_between_tokens(provider):
    verifier = JwksTokenVerifier(provider.issuer, AUDIENCE)
    for _ in range(3):
        verifier.verify(provider.token("k1"))
    assert provider.jwks_fetches == 1


def test_a_rotated_key_is_fetched_when_a_token_names_it(provider):
    verifier = JwksTokenVerifier(provider.issuer, AUDIENCE, refresh_cooldown_seconds=0)
    verifier.verify(provider.token("k1"))
    provider.add_key("k2")
    assert verifier.verify(provider.token("k2")).user == "alice.owner"
    assert provider.jwks_fetches == 2


def test_a_token_signed_by_a_key_the_provider_never_published_is_refused(provider):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode({"iss": provider.issuer, "aud": AUDIENCE, "sub": "mallory", "iat": now, "exp": now + 60,
                         "roles": ["admin"]}, stranger, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(AuthError, match="not valid"):
        JwksTokenVerifier(provider.issuer, AUDIENCE).verify(forged)


def test_another_audience_is_refused(provider):
    with pytest.raises(AuthError, match="(?i)audience"):
        JwksTokenVerifier(provider.issuer, AUDIENCE).verify(provider.token("k1", aud="another-api"))


def test_roles_come_from_the_configured_claim_even_when_nested(provider):
    token = provider.token("k1", roles=None, realm_access={"roles": ["trainer", "staff"]})
    verifier = JwksTokenVerifier(provider.issuer, AUDIENCE, roles_claim="realm_access.roles")
    assert verifier.verify(token).roles == {"trainer", "staff"}


def test_a_token_without_the_roles_claim_has_no_roles(provider):
    verifier = JwksTokenVerifier(provider.issuer, AUDIENCE, roles_claim="groups")
    assert verifier.verify(provider.token("k1")).roles == frozenset()


def test_an_unreachable_provider_refuses_the_token_instead_of_failing(provider):
    token = provider.token("k1")
    issuer = provider.issuer
    provider.server.shutdown()
    provider.server.server_close()
    with pytest.raises(AuthError, match="could not be read"):
        JwksTokenVerifier(issuer, AUDIENCE, timeout_seconds=1).verify(token)


def test_trusted_issuers_send_each_token_to_its_own_issuer(provider):
    dev_issuer = "https://wtgr.local/dev-issuer"
    both = TrustedIssuers([TokenVerifier(PUBLIC, dev_issuer, AUDIENCE), JwksTokenVerifier(provider.issuer, AUDIENCE)])
    assert both.verify(provider.token("k1")).user == "alice.owner"
    assert both.verify(TokenIssuer(PRIVATE, dev_issuer, AUDIENCE).issue("ops", ["admin"])).user == "ops"
    with pytest.raises(AuthError, match="issuer is not trusted"):
        both.verify(TokenIssuer(PRIVATE, "https://elsewhere.example", AUDIENCE).issue("ops", ["admin"]))


def test_a_claim_path_that_is_missing_gives_the_default():
    assert claim_at({"a": {"b": [1]}}, "a.b", default=None) == [1]
    assert claim_at({"a": 1}, "a.b", default="none") == "none"


def test_trusted_issuers_decode_a_token_once_and_refuse_one_they_cannot_read(provider, monkeypatch):
    dev_issuer = "https://wtgr.local/dev-issuer"
    both = TrustedIssuers([TokenVerifier(PUBLIC, dev_issuer, AUDIENCE), JwksTokenVerifier(provider.issuer, AUDIENCE)])
    decoded = []
    decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *args, **kwargs: decoded.append(1) or decode(*args, **kwargs))
    assert both.verify(TokenIssuer(PRIVATE, dev_issuer, AUDIENCE).issue("ops", ["admin"])).user == "ops"
    assert both.verify(provider.token("k1")).user == "alice.owner"
    assert len(decoded) == 2
    for garbage in ("not-a-token", "a.bm90IGpzb24.c"):
        with pytest.raises(AuthError, match="not valid"):
            both.verify(garbage)
