"""Who gets in: every operation of every OpenAPI document refuses a caller without a token
unless it is on the one allow-list, and a token of any role is judged (403) rather than refused."""

from __future__ import annotations

import pytest
import requests

from shared.auth import ROLES
from shared.platform import service_names
from tests.security.conftest import assert_no_leak, base_url, require
from tests.security.public_operations import PUBLIC_API_OPERATIONS, PUBLIC_OPERATIONS

SERVICES = service_names()

pytestmark = pytest.mark.integration


def call(operation, headers=None) -> requests.Response:
    op = require(operation)
    body = {} if op.writes else None
    return requests.request(op.method, op.url(base_url(op.service)), json=body, headers=headers or {}, timeout=30)


def test_without_a_token_every_operation_is_refused(operation):
    op = require(operation)
    assert (op.method, op.path) not in PUBLIC_OPERATIONS, "an API operation on the allow-list"
    answer = call(op)
    assert_no_leak(answer)
    if (op.service, op.method, op.path) in PUBLIC_API_OPERATIONS:
        assert answer.status_code != 401, f"{op.id} is on the allow-list yet wants a token"
        return
    assert answer.status_code == 401, f"{op.id} answered {answer.status_code} without a token"
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("method, path", sorted(PUBLIC_OPERATIONS))
def test_the_allow_listed_operations_answer_anyone(service, method, path):
    answer = requests.request(method, base_url(service) + path, timeout=30)
    assert answer.status_code == 200, f"{service} {method} {path}: {answer.status_code}"
    assert_no_leak(answer)


@pytest.mark.parametrize("role", ROLES)
def test_a_token_of_any_role_is_judged_never_refused_as_a_token_and_never_a_5xx(operation, role, token):
    answer = call(operation, {"Authorization": f"Bearer {token(role)}"})
    assert_no_leak(answer)
    assert answer.status_code != 401, f"{require(operation).id} refused a valid {role} token: {answer.text[:200]}"


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_only_an_admin_reads_the_audit_trail(service, role, token):
    answer = requests.get(f"{base_url(service)}/api/v1/audit", headers={"Authorization": f"Bearer {token(role)}"},
                          timeout=30)
    assert answer.status_code == 403
    admin = requests.get(f"{base_url(service)}/api/v1/audit", headers={"Authorization": f"Bearer {token('admin')}"},
                         timeout=30)
    assert admin.status_code == 200


def test_api_answers_are_never_cached_and_never_framed(token):
    for service in SERVICES:
        answer = requests.get(f"{base_url(service)}/api/v1/audit",
                              headers={"Authorization": f"Bearer {token('admin')}"}, timeout=30)
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
