import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import AuthError, RememberedTokens, TokenIssuer, TokenVerifier
from shared.auth.tokens import unverified_issuer

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


class Counting:
    """A verifier that counts the tokens it checked in full."""

    def __init__(self, verifier: TokenVerifier):
        self.verifier, self.checked = verifier, 0

    def verify(self, token: str):
        return self.verified(token)[0]

    def verified(self, token: str):
        self.checked += 1
        return self.verifier.verified(token)


def test_a_remembered_token_is_checked_in_full_once():
    counting = Counting(VERIFIER)
    remembered = RememberedTokens(counting)
    alice, bob = (TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue(user, ["staff"]) for user in ("alice", "bob"))
    assert [remembered.verify(token).user for token in (alice, alice, bob, alice, bob)] == [
        "alice", "alice", "bob", "alice", "bob"]
    assert counting.checked == 2


def test_a_remembered_token_is_refused_once_it_expires():
    token = TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue("alice", ["staff"], ttl_seconds=60, now=time.time() - 57)
    remembered = RememberedTokens(TokenVerifier(PUBLIC, ISSUER, AUDIENCE, leeway_seconds=0))
    assert remembered.verify(token).user == "alice"  # it expires in 2 to 3 seconds
    time.sleep(max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()) + 0.1)
    with pytest.raises(AuthError, match="expired"):
        remembered.verify(token)


def test_a_token_is_remembered_no_longer_than_the_keys_are_cached():
    now = [1000.0]
    counting = Counting(VERIFIER)
    remembered = RememberedTokens(counting, max_age_seconds=300, clock=lambda: now[0])
    token = TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue("alice", ["staff"], ttl_seconds=3600)
    remembered.verify(token)
    now[0] += 299
    remembered.verify(token)
    now[0] += 2
    remembered.verify(token)
    assert counting.checked == 2


@pytest.mark.parametrize("refused", [
    TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue("alice", ["staff"], ttl_seconds=60, now=time.time() - 3600),
    TokenIssuer(PRIVATE, ISSUER, "another-app").issue("alice", ["staff"]),
    TokenIssuer(PRIVATE, "https://evil.example", AUDIENCE).issue("alice", ["staff"]),
    TokenIssuer(key_pair()[0], ISSUER, AUDIENCE).issue("alice", ["staff"]),
], ids=["expired", "another audience", "another issuer", "another key"])
def test_a_refused_token_is_refused_every_time_and_never_remembered(refused):
    counting = Counting(VERIFIER)
    remembered = RememberedTokens(counting)
    for _ in range(2):
        with pytest.raises(AuthError):
            remembered.verify(refused)
    assert (counting.checked, len(remembered)) == (2, 0)


def test_at_most_max_entries_tokens_are_remembered_the_least_recently_used_forgotten():
    counting = Counting(VERIFIER)
    remembered = RememberedTokens(counting, max_entries=2)
    first, second, third = (TokenIssuer(PRIVATE, ISSUER, AUDIENCE).issue(f"u{i}", ["staff"]) for i in range(3))
    for token in (first, second, first, third):
        remembered.verify(token)
    assert (len(remembered), counting.checked) == (2, 3)
    remembered.verify(first)
    assert counting.checked == 3
    remembered.verify(second)
    assert counting.checked == 4


@pytest.mark.parametrize("token", ["", "one-part", "a.b", "a.b.c.d", "x.!!!.y", "x.bm90IGpzb24.y", "x.WzEsMl0.y"])
def test_a_token_whose_payload_cannot_be_read_names_no_issuer(token):
    with pytest.raises(AuthError, match="not valid"):
        unverified_issuer(token)


def test_the_unverified_issuer_is_the_payloads_iss():
    token = TokenIssuer(PRIVATE, "https://idp.example/other", AUDIENCE).issue("alice", ["staff"])
    assert unverified_issuer(token) == "https://idp.example/other"
