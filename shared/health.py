"""Readiness checks: is the database answering, is Kafka answering. Each is bounded, and
``run_checks`` answers within its deadline whatever is down, so a probe never hangs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for

from kafka import KafkaAdminClient
from psycopg_pool import ConnectionPool

CHECK_TIMEOUT_SECONDS = 0.8  # each client's own bound: a pool wait, a Kafka bootstrap or request
DEADLINE_SECONDS = 1.0  # the most a readiness answer waits for its checks, all run at once


def database_check(pool: ConnectionPool) -> Callable[[], None]:
    def check() -> None:
        with pool.connection(timeout=CHECK_TIMEOUT_SECONDS) as conn:
            conn.execute("SELECT 1")

    return check


def kafka_check(bootstrap: str, client_id: str, cache_seconds: float = 5.0) -> Callable[[], None]:
    """Asks the cluster for its metadata; a success is remembered for a few seconds."""
    state: dict[str, object] = {"admin": None, "ok_until": 0.0}
    lock = threading.Lock()
    timeout_ms = int(CHECK_TIMEOUT_SECONDS * 1000)

    def check() -> None:
        with lock:
            if time.monotonic() < float(state["ok_until"]):  # type: ignore[arg-type]
                return
            try:
                if state["admin"] is None:
                    state["admin"] = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id,
                                                      request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms)
                state["admin"].describe_cluster()  # type: ignore[attr-defined]
            except Exception:
                admin, state["admin"] = state["admin"], None
                if admin is not None:
                    admin.close()  # type: ignore[attr-defined]
                raise
            state["ok_until"] = time.monotonic() + cache_seconds

    return check


def run_checks(checks: Mapping[str, Callable[[], None]], deadline: float = DEADLINE_SECONDS) -> dict[str, str]:
    """Run every check at once and wait at most ``deadline`` seconds; returns the failures by name
    (a check still running at the deadline is one). Never raises."""
    if not checks:
        return {}
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    futures = {name: executor.submit(check) for name, check in checks.items()}
    wait_for(futures.values(), timeout=deadline)
    executor.shutdown(wait=False, cancel_futures=True)
    failures = {}
    for name, future in futures.items():
        if not future.done():
            failures[name] = f"no answer within {deadline:g} s"
        elif future.exception() is not None:
            error = future.exception()
            failures[name] = f"{type(error).__name__}: {error}"
    return failures
