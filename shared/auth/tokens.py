"""Token checking (signature, issuer, audience, expiry; RS256 pinned) and the development issuer."""

from __future__ import annotations

import time
import uuid
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
        return principal_from_claims(claims, roles=claims.get("roles", []))


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
