"""A pool whose connections the server dropped (PostgreSQL restarted, or stopped with -m
immediate) hands out working connections at once, not one stale connection per attempt."""

import psycopg
import pytest

from shared import db

pytestmark = pytest.mark.integration


def test_connections_the_server_dropped_are_replaced_before_they_are_handed_out(platform_test_schema, admin_url):
    pool = db.make_pool(platform_test_schema, min_size=2, max_size=2, name="platform-test-dropped")
    try:
        with pool.connection() as first, pool.connection() as second:
            pids = [first.info.backend_pid, second.info.backend_pid]
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (pids,))
        for _ in range(2):
            with pool.connection() as conn:
                assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1
    finally:
        pool.close()


def test_the_pool_s_connections_compile_no_statement_with_jit(platform_test_schema, admin_url):
    with psycopg.connect(admin_url) as admin:
        server_default = admin.execute("SHOW jit").fetchone()[0]
    pool = db.make_pool(platform_test_schema, max_size=1, name="platform-test-jit")
    try:
        with pool.connection() as conn:
            assert conn.execute("SHOW jit").fetchone()["jit"] == "off"
    finally:
        pool.close()
    assert server_default == "on"  # the server's own setting, which the pool's connections override
