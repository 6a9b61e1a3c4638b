"""Readiness checks: is the database answering, is Kafka answering."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kafka import KafkaAdminClient
from psycopg_pool import ConnectionPool


def database_check(pool: ConnectionPool) -> Callable[[], None]:
    def check() -> None:
        with pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")

    return check


def kafka_check(bootstrap: str, client_id: str, cache_seconds: float = 5.0) -> Callable[[], None]:
    """Asks the cluster for its metadata; a success is remembered for a few seconds."""
    state: dict[str, object] = {"admin": None, "ok_until": 0.0}
    lock = threading.Lock()

    def check() -> None:
        with lock:
            if time.monotonic() < float(state["ok_until"]):  # type: ignore[arg-type]
                return
            try:
                if state["admin"] is None:
                    state["admin"] = KafkaAdminClient(
                        bootstrap_servers=bootstrap, client_id=client_id, request_timeout_ms=3000
                    )
                state["admin"].describe_cluster()  # type: ignore[attr-defined]
            except Exception:
                admin, state["admin"] = state["admin"], None
                if admin is not None:
                    admin.close()  # type: ignore[attr-defined]
                raise
            state["ok_until"] = time.monotonic() + cache_seconds

    return check
