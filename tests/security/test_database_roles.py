"""Each service's own database role can neither read nor create anything in another service's
schema, and holds no privilege beyond its own schema."""

from __future__ import annotations

import psycopg
import pytest

from conftest import required_env
from shared.platform import service_names

SERVICES = service_names()


pytestmark = pytest.mark.integration

PAIRS = [(own, other) for own in SERVICES for other in SERVICES if own != other]


def connect(service: str) -> psycopg.Connection:
    return psycopg.connect(required_env(f"{service.upper()}_DATABASE_URL"), autocommit=True)


@pytest.mark.parametrize("own, other", PAIRS, ids=[f"{a}-in-{b}" for a, b in PAIRS])
def test_a_service_role_cannot_read_another_services_schema(own, other):
    with connect(own) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SELECT * FROM {other}.outbox LIMIT 1")


@pytest.mark.parametrize("own, other", PAIRS, ids=[f"{a}-in-{b}" for a, b in PAIRS])
def test_a_service_role_cannot_create_in_another_services_schema(own, other):
    with connect(own) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"CREATE TABLE {other}.probe_planted (id int)")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_role_is_not_privileged(service):
    with connect(service) as conn:
        row = conn.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication"
                           " FROM pg_roles WHERE rolname = current_user").fetchone()
    assert row == (False, False, False, False, False)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_role_cannot_rewrite_its_own_audit_trail(service):
    with connect(service) as conn:
        conn.execute("INSERT INTO audit_log (actor, actor_roles, operation, resource_type, resource_id)"
                     " VALUES ('probe', '{}', 'probe.planted', 'probe', 'p1')")
        for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
