"""Ten kinds of bad body on every write operation, sent with an admin token so they reach the
parsing and the handler: nothing answers 5xx or shows a traceback, and every service stays healthy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.security.conftest import Operation, assert_no_leak, base_url, every_service_is_healthy, require

pytestmark = pytest.mark.integration

JSON = "application/json"
Body = tuple[bytes, str]


def properties(op: Operation) -> dict[str, Any]:
    return op.body_schema.get("properties") or {"text": {"type": "string"}}


def wrong_type(spec: dict[str, Any]) -> Any:
    return {"string": 12345, "integer": "twelve", "number": "twelve", "boolean": "yes", "array": {"a": 1},
            "object": ["a"]}.get(spec.get("type", "string"), [[1]])


def each_property(op: Operation, value: Callable[[dict[str, Any]], Any]) -> Body:
    return json.dumps({name: value(spec) for name, spec in properties(op).items()}).encode(), JSON


def sound_looking(op: Operation) -> dict[str, Any]:
    return {name: "x" for name in properties(op)}


BAD_BODIES: dict[str, Callable[[Operation], Body]] = {
    "nested 10,000 levels deep": lambda op: (b'{"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", JSON),
    "wrong types": lambda op: each_property(op, wrong_type),
    "huge strings": lambda op: each_property(op, lambda spec: "x" * 300_000),
    "nulls": lambda op: each_property(op, lambda spec: None),
    "an array for the object": lambda op: (json.dumps([sound_looking(op)]).encode(), JSON),
    "NUL characters": lambda op: each_property(op, lambda spec: "a\u0000b"),
    "lone surrogates": lambda op: (json.dumps(sound_looking(op)).replace('"x"', '"\\ud800"').encode(), JSON),
    "not JSON": lambda op: (b"<xml>this is not json</xml>", JSON),
    "empty": lambda op: (b"", JSON),
    "the wrong content type": lambda op: (json.dumps(sound_looking(op)).encode(), "text/plain"),
}


@pytest.mark.parametrize("kind", BAD_BODIES)
def test_a_bad_body_gets_a_4xx_problem_never_a_5xx_or_a_traceback(write_operation, kind, token):
    op = require(write_operation)
    data, content_type = BAD_BODIES[kind](op)
    answer = requests.request(op.method, op.url(base_url(op.service)), data=data, timeout=60,
                              headers={"Authorization": f"Bearer {token('admin')}", "Content-Type": content_type})
    assert_no_leak(answer)
    assert 400 <= answer.status_code < 500, f"{op.id} {kind}: {answer.status_code}"
    assert answer.headers["Content-Type"].startswith("application/problem+json")


def test_a_deeply_nested_body_is_refused_with_400_saying_why(write_operation, token):
    op = require(write_operation)
    data, content_type = BAD_BODIES["nested 10,000 levels deep"](op)
    answer = requests.request(op.method, op.url(base_url(op.service)), data=data, timeout=60,
                              headers={"Authorization": f"Bearer {token('admin')}", "Content-Type": content_type})
    assert answer.status_code == 400
    assert "nests deeper than" in answer.json()["detail"]


def test_every_service_is_healthy_after_the_bad_bodies():
    every_service_is_healthy()
