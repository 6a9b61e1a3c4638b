"""Bearer JWT authentication: tokens of the trust's OpenID Connect provider (checked against its
JWKS) and of the local development issuer (checked against its PEM public key)."""

from shared.auth.oidc import JwksTokenVerifier, TrustedIssuers
from shared.auth.tokens import ROLES, AuthError, Principal, RememberedTokens, TokenIssuer, TokenVerifier

__all__ = ["ROLES", "AuthError", "JwksTokenVerifier", "Principal", "RememberedTokens", "TokenIssuer", "TokenVerifier",
           "TrustedIssuers"]
