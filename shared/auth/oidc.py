"""Access tokens of an OpenID Connect provider, checked against the keys it publishes (its JWKS).

Guarantees: the signature (RS256 or ES256 only, pinned), ``iss``, ``aud``, ``exp``, ``iat`` and
``sub`` are checked as for the development issuer (``shared.auth.tokens``). The provider's keys are
fetched on first use from its discovery document's ``jwks_uri`` (or the URI configured), cached for
``cache_seconds``, and fetched again at once when a token names a key id the cache lacks (at most
once per ``refresh_cooldown_seconds``, so forged key ids cannot flood the provider): the provider can
rotate its keys without a restart. The roles come from a configurable claim, a dotted path for
providers that nest them (Keycloak's ``realm_access.roles``); the user from ``sub`` or another claim.
A provider that cannot be reached makes the token refused (``AuthError``), never a 5xx.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

import jwt

from shared.auth.tokens import AuthError, Principal, principal_from_claims, unverified_issuer

ALGORITHMS = ["RS256", "ES256"]


class JwksTokenVerifier:
    def __init__(
        self, issuer: str, audience: str, *, roles_claim: str = "roles", user_claim: str = "sub",
        jwks_uri: str | None = None, leeway_seconds: int = 30, cache_seconds: float = 300,
        refresh_cooldown_seconds: float = 30, timeout_seconds: float = 5,
    ):
        self.issuer = issuer
        self.audience = audience
        self.roles_claim = roles_claim
        self.user_claim = user_claim
        self.leeway = leeway_seconds
        self._jwks_uri = jwks_uri
        self._cache_seconds = cache_seconds
        self._cooldown = refresh_cooldown_seconds
        self._timeout = timeout_seconds
        self._client: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        return self.verified(token)[0]

    def verified(self, token: str) -> tuple[Principal, dict[str, Any]]:
        """The caller the token names and its claims, once everything is checked; else ``AuthError``."""
        try:
            key = self._keys().get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, key, algorithms=ALGORITHMS, issuer=self.issuer, audience=self.audience,
                leeway=self.leeway, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.PyJWKClientConnectionError:
            raise AuthError("the identity provider's keys could not be read; try again") from None
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise AuthError(f"the token is not valid: {exc}") from None
        return principal_from_claims(claims, roles=claim_at(claims, self.roles_claim, default=[]),
                                     user=claim_at(claims, self.user_claim, default=None)), claims

    def _keys(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._client is None:
                uri = self._jwks_uri or self._discovered_jwks_uri()
                self._client = jwt.PyJWKClient(uri, lifespan=self._cache_seconds, timeout=self._timeout,
                                               cooldown_duration=self._cooldown)
            return self._client

    def _discovered_jwks_uri(self) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as response:  # noqa: S310 (configured URL)
                document = json.load(response)
        except (OSError, ValueError):
            raise jwt.PyJWKClientConnectionError(f"discovery document {url} could not be read") from None
        uri = document.get("jwks_uri") if isinstance(document, dict) else None
        if not isinstance(uri, str):
            raise jwt.PyJWKClientConnectionError(f"discovery document {url} names no jwks_uri")
        return uri


def claim_at(claims: Mapping[str, Any], path: str, *, default: Any) -> Any:
    """The claim at a dotted path (``realm_access.roles``), or ``default`` when any step is missing."""
    found: Any = claims
    for step in path.split("."):
        if not isinstance(found, Mapping) or step not in found:
            return default
        found = found[step]
    return found


class TrustedIssuers:
    """Several issuers trusted at once (the OIDC provider and the development issuer): a token goes
    to the verifier of the issuer its unverified ``iss`` names, and that verifier checks everything.
    The ``iss`` is read from the payload alone (``unverified_issuer``), so a token is decoded and
    checked once, by its issuer's verifier."""

    def __init__(self, verifiers: Sequence[Any]):
        self.by_issuer = {verifier.issuer: verifier for verifier in verifiers}

    def verify(self, token: str) -> Principal:
        return self.verified(token)[0]

    def verified(self, token: str) -> tuple[Principal, dict[str, Any]]:
        issuer = unverified_issuer(token)
        verifier = self.by_issuer.get(issuer) if isinstance(issuer, str) else None
        if verifier is None:
            raise AuthError("the token is not valid: its issuer is not trusted")
        found: tuple[Principal, dict[str, Any]] = verifier.verified(token)
        return found
