"""The safety every service app gets from shared.security, checked on a bare app with no I/O."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from typing import Any

import pytest
from marshmallow import Schema, fields

from shared.config import Settings
from shared.security import UnreadableBody, nesting_depth, parse_json_body
from shared.web import Blueprint, create_service_app, public

echo = Blueprint("echo", __name__, url_prefix="/api/v1")


class NoteSchema(Schema):
    text = fields.String(required=True)


@echo.route("/notes", methods=["POST"])
@public("a bare probe of body parsing, which runs whatever the route's auth decision")
@echo.arguments(NoteSchema)
@echo.response(201, NoteSchema)
def add_note(note: dict) -> Any:
    return note, 201


@pytest.fixture
def client() -> Any:
    settings = replace(Settings.from_env("probe"), max_request_bytes=64 * 1024)
    app = create_service_app(settings, title="Probe", description="a probe", blueprints=[echo],
                             ready_checks={}, verifier=None)
    return app.test_client()


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_the_depth_of_a_document_counts_arrays_and_objects():
    assert nesting_depth(1) == 0
    assert nesting_depth([]) == 1
    assert nesting_depth({"a": [1, {"b": []}]}) == 4


@pytest.mark.parametrize("levels", [33, 10_000, 100_000])
def test_a_document_nested_too_deep_is_unreadable(levels):
    with pytest.raises(UnreadableBody, match="nests deeper than 32 levels"):
        parse_json_body(deep(levels).encode(), 32)


def test_a_document_within_the_depth_is_read():
    assert parse_json_body(deep(32).encode(), 32) is not None


@pytest.mark.parametrize("data, why", [(b"{'a': 1}", "not valid JSON"), (b"\xff\xfe", "not UTF-8"),
                                       (b"[1,", "not valid JSON")])
def test_a_body_that_is_not_json_is_unreadable(data, why):
    with pytest.raises(UnreadableBody, match=why):
        parse_json_body(data, 32)


@pytest.mark.parametrize("levels", [33, 10_000])
def test_a_deeply_nested_body_gets_400_problem_before_any_view(client, levels):
    body = '{"text": ' + deep(levels) + "}"
    response = client.post("/api/v1/notes", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "nests deeper than 32 levels" in response.get_json()["detail"]


def test_a_body_that_is_not_json_gets_400_problem(client):
    response = client.post("/api/v1/notes", data="text=hello", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith("The body is not valid JSON")


def test_a_body_over_the_size_limit_still_gets_413(client):
    response = client.post("/api/v1/notes", data='"' + "x" * 70_000 + '"', content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_a_sound_body_reaches_the_view(client):
    response = client.post("/api/v1/notes", json={"text": "hello"})
    assert response.status_code == 201
    assert response.get_json() == {"text": "hello"}


def test_every_answer_carries_the_security_headers(client):
    for response in (client.get("/healthz"), client.get("/openapi.json"), client.get("/nowhere"),
                     client.post("/api/v1/notes", json={"text": "hi"}), client.post("/api/v1/notes", json={})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert response.headers["Cache-Control"] == "no-store"


def test_the_docs_page_may_run_its_own_scripts_and_nothing_else(client):
    page = client.get("/docs")
    policy = page.headers["Content-Security-Policy"]
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in policy
    [scripts] = [d for d in policy.split("; ") if d.startswith("script-src ")]
    [inline] = re.findall(rb"<script>(.*?)</script>", page.get_data(), re.DOTALL)
    assert scripts == f"script-src 'self' 'sha256-{base64.b64encode(hashlib.sha256(inline).digest()).decode()}'"
    script = client.get("/docs-static/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    script.close()


def test_only_a_listed_origin_may_call_across_origins():
    settings = replace(Settings.from_env("probe"), cors_origins=("https://portal.trust.nhs.uk",))
    app = create_service_app(settings, title="Probe", description="a probe", blueprints=[echo],
                             ready_checks={}, verifier=None)
    client = app.test_client()
    listed = client.options("/api/v1/notes", headers={"Origin": "https://portal.trust.nhs.uk"})
    other = client.options("/api/v1/notes", headers={"Origin": "https://evil.example"})
    assert listed.headers["Access-Control-Allow-Origin"] == "https://portal.trust.nhs.uk"
    assert "Authorization" in listed.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers["Vary"]
