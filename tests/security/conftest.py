"""The probe: attacks every running service from outside, as `make test` starts them, over HTTP
with the services' own OpenAPI documents, and their database roles over the real PostgreSQL."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from conftest import required_env
from shared.platform import service_names

SERVICES = service_names()


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \".*\.py\", line \d+")


@dataclass(frozen=True)
class Operation:
    """One operation of one service's OpenAPI document."""

    service: str
    method: str
    path: str  # the template, e.g. /api/v1/ideas/{idea_id}
    body_schema: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    path_types: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method in {"POST", "PUT", "PATCH", "DELETE"}

    def url(self, base: str) -> str:
        """The path with every parameter filled with a value of its type that names nothing (a
        parameter of a few values, the first of them: no other value reaches the operation)."""
        path = self.path
        for name, kind in self.path_types:
            value = kind.removeprefix("enum:") if kind.startswith("enum:") else \
                {"integer": "999999999", "uuid": str(uuid.uuid4())}.get(kind, "PROBE-NO-SUCH")
            path = path.replace("{" + name + "}", value)
        return base + path


def base_url(service: str) -> str:
    return f"http://127.0.0.1:{required_env(f'{service.upper()}_PORT')}"


_discovered: list[Operation] | None = None


def discovered_operations() -> list[Operation] | None:
    """Every operation of every running service's OpenAPI document, read once when the tests
    are collected; None when the services are not running (a test that needs them then fails)."""
    global _discovered
    if not all(os.environ.get(f"{service.upper()}_PORT") for service in SERVICES):
        return None
    if _discovered is None:
        try:
            _discovered = [op for service in SERVICES for op in operations_of(service)]
        except (requests.RequestException, KeyError, ValueError):
            return None
    return _discovered


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _param_kind(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    if schema.get("enum"):
        return f"enum:{schema['enum'][0]}"
    return "uuid" if schema.get("format") == "uuid" else schema.get("type", "string")


def operations_of(service: str) -> list[Operation]:
    document = requests.get(f"{base_url(service)}/openapi.json", timeout=10).json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            found.append(Operation(
                service, method.upper(), path, _resolve(document, body),
                tuple((p["name"], _param_kind(p)) for p in parameters if p.get("in") == "path")))
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``operation`` is every operation, ``write_operation`` every write, one test each."""
    for name, wanted in (("operation", lambda op: True), ("write_operation", lambda op: op.writes)):
        if name not in metafunc.fixturenames:
            continue
        found = discovered_operations()
        if found is None:
            metafunc.parametrize(name, [None], ids=["services-not-running"])
            continue
        metafunc.parametrize(name, [pytest.param(op, id=op.id) for op in filter(wanted, found)])


def require(operation: Operation | None) -> Operation:
    if operation is None:
        pytest.fail("the services are not running: run the suite with `make test`", pytrace=False)
    return operation


def assert_no_leak(response: requests.Response) -> None:
    """Nothing 5xx, no traceback in the body, the security headers present."""
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    assert not TRACEBACK.search(response.text), response.text[:500]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} missing on {response.url}"
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", "")


@pytest.fixture(scope="session")
def token(issuer: Any):
    def make(*roles: str, user: str = "probe") -> str:
        return issuer.issue(user, list(roles))

    return make


def every_service_is_healthy() -> None:
    for service in SERVICES:
        answer = requests.get(f"{base_url(service)}/readyz", timeout=10)
        assert answer.status_code == 200, f"{service} is not ready after the probe: {answer.text[:300]}"
