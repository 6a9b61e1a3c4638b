"""Bearer JWT authentication as an OIDC identity provider would issue the tokens."""

from shared.auth.tokens import ROLES, AuthError, Principal, TokenIssuer, TokenVerifier

__all__ = ["ROLES", "AuthError", "Principal", "TokenIssuer", "TokenVerifier"]
