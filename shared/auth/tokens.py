"""Token checking (signature, issuer, audience, expiry; RS256 pinned) and the development issuer."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt

ALGORITHM = "RS256"
ROLES = ("staff", "qi_lead", "kpi_owner", "trainer", "admin", "feed", "moderator", "comms_editor")


class AuthError(Exception):
    """Why a token was refused; the text is safe to show to the caller."""


@dataclass(frozen=True)
class Principal:
    user: str
    roles: frozenset[str]
    email: str | None = None
    name: str | None = None

    def has_any(self, roles: tuple[str, ...]) -> bool:
        return bool(self.roles & set(roles)) or "admin" in self.roles


class Verifier(Protocol):
    """Anything that turns a bearer token into the caller it names, or raises ``AuthError``."""

    def verify(self, token: str) -> Principal: ...


class ClaimsVerifier(Verifier, Protocol):
    """A verifier that also gives the verified token's claims (its ``exp`` for ``RememberedTokens``)."""

    def verified(self, token: str) -> tuple[Principal, dict[str, Any]]: ...


class TokenVerifier:
    def __init__(self, public_key_pem: bytes, issuer: str, audience: str, leeway_seconds: int = 30):
        self.public_key = public_key_pem
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds

    @classmethod
    def from_file(cls, path: str, issuer: str, audience: str) -> TokenVerifier:
        return cls(Path(path).read_bytes(), issuer, audience)

    def verify(self, token: str) -> Principal:
        return self.verified(token)[0]

    def verified(self, token: str) -> tuple[Principal, dict[str, Any]]:
        """The caller the token names and its claims, once everything is checked; else ``AuthError``."""
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=[ALGORITHM],  # pinned: "none" and HMAC-with-public-key are refused
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"the token is not valid: {exc}") from None
        return principal_from_claims(claims, roles=claims.get("roles", [])), claims


def principal_from_claims(claims: dict[str, Any], *, roles: Any, user: Any = None) -> Principal:
    """The caller a verified token names: ``user`` (else ``sub``), its roles (a list), email and name."""
    if not isinstance(roles, list):
        raise AuthError("the token's roles claim must be a list")
    return Principal(
        user=str(user if user is not None else claims["sub"]),
        roles=frozenset(str(role) for role in roles),
        email=claims.get("email"),
        name=claims.get("name"),
    )


def unverified_issuer(token: str) -> Any:
    """The ``iss`` a token claims, read from its payload without checking anything: only to choose
    which issuer's verifier checks it (which then checks everything, ``iss`` included). A token that
    is not three dot-separated parts with a JSON object in the middle one is refused."""
    parts = token.split(".")
    if len(parts) != 3:  # noqa: PLR2004 (header, payload, signature)
        raise AuthError("the token is not valid: not a JWS in compact form")
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        raise AuthError("the token is not valid: its payload is not base64url-encoded JSON") from None
    if not isinstance(payload, dict):
        raise AuthError("the token is not valid: its payload is not a JSON object")
    return payload.get("iss")


@dataclass(frozen=True)
class _Remembered:
    principal: Principal
    until: float


class RememberedTokens:
    """A verifier that remembers the callers of the tokens it verified, so a client sending the same
    bearer token with every request pays for one signature check, not one per request.

    A token is remembered (by its SHA-256) until it expires (``exp``, without the leeway: the last
    ``leeway`` seconds are verified again, and refused once past it) and at most ``max_age_seconds``
    (the keys' cache lifetime of the OIDC verifier: a key withdrawn from the provider's JWKS stops
    a remembered token no later than it would stop a verified one). Only tokens that verified are
    remembered; a refused token is checked in full every time. At most ``max_entries`` tokens, least
    recently used forgotten first. Checking a token's claims again later could not refuse it: the
    signature, issuer and audience are those of the same bytes, and only ``exp`` depends on the
    time, so within that window a remembered answer is the answer a full check would give."""

    def __init__(self, verifier: ClaimsVerifier, *, max_entries: int = 1024, max_age_seconds: float = 300,
                 clock: Callable[[], float] = time.time):
        self.verifier = verifier
        self.max_entries = max_entries
        self.max_age = max_age_seconds
        self._clock = clock
        self._tokens: OrderedDict[bytes, _Remembered] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        key = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        with self._lock:
            found = self._tokens.get(key)
            if found is not None and now < found.until:
                self._tokens.move_to_end(key)
                return found.principal
        principal, claims = self.verifier.verified(token)
        expires = claims.get("exp")
        if self.max_entries and isinstance(expires, int | float):
            with self._lock:
                self._tokens[key] = _Remembered(principal, min(float(expires), now + self.max_age))
                self._tokens.move_to_end(key)
                while len(self._tokens) > self.max_entries:
                    self._tokens.popitem(last=False)
        return principal

    def __len__(self) -> int:
        return len(self._tokens)


class TokenIssuer:
    """The local development issuer: signs tokens with the dev key pair for tests and the local run."""

    def __init__(self, private_key_pem: bytes, issuer: str, audience: str):
        self.private_key = private_key_pem
        self.issuer = issuer
        self.audience = audience

    @classmethod
    def from_file(cls, path: str, issuer: str, audience: str) -> TokenIssuer:
        return cls(Path(path).read_bytes(), issuer, audience)

    def issue(
        self, user: str, roles: list[str], *, email: str | None = None, ttl_seconds: int = 3600,
        now: float | None = None,
    ) -> str:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}; known: {', '.join(ROLES)}")
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "roles": roles,
            "email": email or f"{user}@hospital.example",
        }
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM)
