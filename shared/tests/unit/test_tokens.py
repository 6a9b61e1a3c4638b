import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import AuthError, TokenIssuer, TokenVerifier

ISSUER, AUDIENCE = "https://idp.example/wtgr", "wtgr-platform"


def key_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


PRIVATE, PUBLIC = key_pair()
VERIFIER = TokenVerifier(PUBLIC, ISSUER, AUDIENCE)


def test_a_token_from_the_issuer_gives_the_user_and_roles():
    token = TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue("alice", ["kpi_owner"])
    principal = VERIFIER.verify(token)
    assert principal.user == "alice"
    assert principal.roles == {"kpi_owner"}
    assert principal.has_any(("kpi_owner", "feed"))
    assert not principal.has_any(("trainer",))


def test_an_admin_passes_every_role_check():
    principal = VERIFIER.verify(TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue("root", ["admin"]))
    assert principal.has_any(("trainer",))


def test_an_expired_token_is_refused():
    token = TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue("alice", ["staff"], ttl_seconds=60, now=time.time() - 3600)
    with pytest.raises(AuthError, match="expired"):
        VERIFIER.verify(token)


@pytest.mark.parametrize(("issuer", "audience"), [("https://evil.example", AUDIENCE), (ISSUER, "another-app")])
def test_a_token_for_another_issuer_or_audience_is_refused(issuer, audience):
    with pytest.raises(AuthError):
        VERIFIER.verify(TokenIssuer(PRIVATE, issuer, audience).issue("alice", ["staff"]))


def test_a_token_signed_by_another_key_is_refused():
    other_private, _ = key_pair()
    with pytest.raises(AuthError, match="not valid"):
        VERIFIER.verify(TokenIssuer(other_private, ISSUER, AUDIENCE).issue("alice", ["staff"]))


def test_unsigned_and_hmac_tokens_are_refused_because_the_algorithm_is_pinned():
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "iat": int(time.time()),
              "exp": int(time.time()) + 600, "roles": ["admin"]}
    unsigned = jwt.encode(claims, None, algorithm="none")
    hmac = jwt.encode(claims, "a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    for token in (unsigned, hmac):
        with pytest.raises(AuthError):
            VERIFIER.verify(token)


def test_the_development_issuer_refuses_roles_the_platform_does_not_know():
    with pytest.raises(ValueError, match="unknown roles"):
        TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue("alice", ["superuser"])
