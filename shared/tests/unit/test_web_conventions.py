"""The HTTP conventions shared/web decides once: default deny, one error map, strict queries, versions.

A probe app built with ``create_service_app`` and a real token verifier; no server, no database.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from marshmallow import Schema, fields

from shared.auth import TokenIssuer, TokenVerifier
from shared.config import Settings
from shared.errors import Conflict, Forbidden, InvalidInput, MalformedRequest, NotFound, Refusal, StaleVersion
from shared.web import (
    Blueprint,
    access_of,
    create_service_app,
    created,
    current_principal,
    if_match_version,
    public,
    requires_roles,
    requires_sign_in,
    versioned,
)

ISSUER, AUDIENCE = "https://idp.example/wtgr", "wtgr-platform"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE = _KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
PUBLIC = _KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
TOKENS = TokenIssuer(PRIVATE, ISSUER, AUDIENCE)

probe = Blueprint("probe", __name__, url_prefix="/api/v1")
REFUSALS: dict[str, Refusal] = {
    "malformed": MalformedRequest("cannot read it"),
    "forbidden": Forbidden("not yours"),
    "missing": NotFound("no such thing"),
    "conflict": Conflict("already there"),
    "stale": StaleVersion("changed since"),
    "invalid": InvalidInput("name: too long", field="name", reason="too long"),
}


class Things(Schema):
    colour = fields.String()


class Thing(Schema):
    name = fields.String(metadata={"example": "a thing"})
    version = fields.Integer(metadata={"example": 3})


@probe.route("/whoami")
@requires_sign_in
def whoami() -> Any:
    return {"user": current_principal().user}


@probe.route("/secrets", methods=["GET", "DELETE"])
@requires_roles("admin")
def secrets() -> Any:
    return {"secret": "s"}


@probe.route("/forgotten")
def forgotten() -> Any:  # no auth decision: refused whatever it would do
    return {"open": True}


@probe.route("/open")
@public("a probe that says nothing")
@probe.response(200, Thing)
def open_route() -> Any:
    return {"name": "open"}


@probe.route("/things")
@requires_sign_in
@probe.arguments(Things, location="query")
def list_things(query: dict) -> Any:
    return {"colour": query.get("colour")}


@probe.route("/things/<name>", methods=["GET", "PUT"])
@requires_sign_in
@probe.response(200, Thing)
def thing(name: str) -> Any:
    seen = if_match_version()
    if seen is not None and seen != 3:
        raise StaleVersion(f"the thing is at version 3, not {seen}")
    return versioned({"name": name, "version": 3})


@probe.route("/things", methods=["POST"])
@requires_sign_in
@probe.response(201, Thing)
def add_thing() -> Any:
    return created({"name": "new", "version": 1}, "/api/v1/things/new")


@probe.route("/refusals/<kind>")
@public("a probe of the error map")
def refuse(kind: str) -> Any:
    raise REFUSALS[kind]


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_service_app(Settings.from_env("probe"), title="Probe", description="a probe", blueprints=[probe],
                              ready_checks={}, verifier=TokenVerifier(PUBLIC, ISSUER, AUDIENCE))


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


def signed_in(*roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS.issue('ann', list(roles))}"}


def test_a_route_without_an_auth_decision_is_refused_with_401_not_served(client) -> None:
    response = client.get("/api/v1/forgotten")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "no auth decision" in response.get_json()["detail"]
    assert client.get("/api/v1/forgotten", headers=signed_in("admin")).status_code == 401


def test_a_route_needing_a_role_answers_401_without_a_token_403_without_the_role(client) -> None:
    assert client.get("/api/v1/whoami").status_code == 401
    assert client.get("/api/v1/whoami", headers=signed_in("staff")).get_json() == {"user": "ann"}
    assert client.get("/api/v1/secrets", headers=signed_in("staff")).status_code == 403
    assert client.get("/api/v1/secrets", headers=signed_in("admin")).status_code == 200


def test_only_the_routes_marked_public_and_the_platform_ones_answer_without_a_token(app, client) -> None:
    decisions = {rule.rule: access_of(app, rule.endpoint) for rule in app.url_map.iter_rules()}
    open_without_token = sorted(rule for rule, access in decisions.items() if access and access.is_public)
    assert open_without_token == ["/api/v1/open", "/api/v1/refusals/<kind>", "/docs", "/docs-static/<path:filename>",
                                  "/healthz", "/metrics", "/openapi.json", "/readyz"]
    assert client.get("/api/v1/open").status_code == 200


def test_an_unknown_query_parameter_is_refused_where_a_query_is_read_and_where_none_is(client) -> None:
    staff = signed_in("staff")
    assert client.get("/api/v1/things?colour=red", headers=staff).get_json() == {"colour": "red"}
    for path in ("/api/v1/things?color=red", "/api/v1/whoami?debug=1"):
        response = client.get(path, headers=staff)
        assert response.status_code == 422, path
        assert response.mimetype == "application/problem+json"
        assert list(response.get_json()["errors"]) in (["color"], ["debug"])


def test_the_token_is_checked_before_the_query(client) -> None:
    assert client.get("/api/v1/things?color=red").status_code == 401


@pytest.mark.parametrize(("kind", "status"), [("malformed", 400), ("forbidden", 403), ("missing", 404),
                                              ("conflict", 409), ("stale", 412), ("invalid", 422)])
def test_each_refusal_is_answered_by_the_one_error_map(client, kind: str, status: int) -> None:
    response = client.get(f"/api/v1/refusals/{kind}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == REFUSALS[kind].detail


def test_an_invalid_input_refusal_names_its_field(client) -> None:
    assert client.get("/api/v1/refusals/invalid").get_json()["errors"] == {"name": ["too long"]}


def test_a_subclass_of_a_refusal_gets_its_base_class_status() -> None:
    from shared.web import status_of

    class TransitionRefused(Conflict):
        pass

    assert status_of(TransitionRefused("no")) == 409


def test_a_405_says_which_methods_are_allowed(client) -> None:
    response = client.post("/api/v1/whoami", headers=signed_in("staff"))
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_a_versioned_read_gives_its_etag_and_an_update_from_an_old_version_is_refused(client) -> None:
    staff = signed_in("staff")
    read = client.get("/api/v1/things/a", headers=staff)
    assert read.headers["ETag"] == '"3"'
    assert read.get_json()["version"] == 3
    assert client.put("/api/v1/things/a", headers={**staff, "If-Match": '"3"'}).status_code == 200
    stale = client.put("/api/v1/things/a", headers={**staff, "If-Match": '"2"'})
    assert stale.status_code == 412
    assert client.put("/api/v1/things/a", headers={**staff, "If-Match": "yesterday"}).status_code == 412


def test_a_201_says_where_the_new_thing_is(client) -> None:
    response = client.post("/api/v1/things", headers=signed_in("staff"))
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/things/new"
    assert response.headers["ETag"] == '"1"'


def test_the_openapi_document_states_security_and_an_operation_id_on_every_operation(client) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    operations = {(path, method): op for path, ops in paths.items() for method, op in ops.items()
                  if method != "parameters"}
    assert operations[("/api/v1/whoami", "get")]["security"] == [{"bearerAuth": []}]
    assert "401" in operations[("/api/v1/whoami", "get")]["responses"]
    assert operations[("/api/v1/open", "get")]["security"] == []
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids))
    assert operations[("/api/v1/things", "post")]["operationId"] == "add_thing"
    assert {operations[("/api/v1/secrets", method)]["operationId"] for method in ("get", "delete")} == {
        "get_secrets", "delete_secrets"}


def test_a_decision_needs_a_role_or_a_reason() -> None:
    with pytest.raises(ValueError):
        requires_roles()
    with pytest.raises(ValueError):
        public(" ")
