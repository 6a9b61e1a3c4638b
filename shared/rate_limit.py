"""Rate limits kept in PostgreSQL: a storage for Flask-Limiter (the ``limits`` library) that every
gunicorn worker and every host of a service shares.

Flask-Limiter decides what is limited and answers 429; this module only counts. Use it as:

    Limiter(key_func=client_address, storage_uri=STORAGE_URI, storage_options={"pool": pool},
            strategy="fixed-window")

Guarantees:
- One row per client and limit (``rate_limit_windows``, shared/migrations/0003); ``incr`` is one
  ``INSERT ... ON CONFLICT DO UPDATE`` in its own short transaction, so two workers counting the same
  client at once are serialised by the row lock and neither hit is lost.
- A window whose time is up starts again at the next hit (the row is reused); ``sweep`` deletes rows
  long expired and runs now and then from ``incr``.
- Only the fixed-window strategy is supported (what this storage implements); the database being
  down makes ``incr`` raise (Flask-Limiter's ``swallow_errors`` decides what the request gets).
"""

from __future__ import annotations

import random
from typing import Any

from flask import request
from limits.storage import Storage
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

STORAGE_URI = "wtgr+postgresql://"
SWEEP_CHANCE = 0.01  # of an incr also deleting windows that ended over an hour ago


def client_address() -> str:
    """The client the limit counts against: the address the request came from (behind a proxy,
    configure the proxy to set it; X-Forwarded-For is not trusted here)."""
    return request.remote_addr or "unknown"


class PostgresStorage(Storage):
    """Fixed-window counters in the service's own schema; give the service's pool as ``pool``."""

    STORAGE_SCHEME = ["wtgr+postgresql"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *,
                 pool: ConnectionPool[Any], **_: Any) -> None:
        self.pool = pool
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return Exception

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                """INSERT INTO rate_limit_windows AS w (key, hits, expires_at)
                   VALUES (%(key)s, %(amount)s, now() + make_interval(secs => %(expiry)s))
                   ON CONFLICT (key) DO UPDATE SET
                       hits = CASE WHEN w.expires_at <= now() THEN %(amount)s ELSE w.hits + %(amount)s END,
                       expires_at = CASE WHEN w.expires_at <= now()
                                         THEN now() + make_interval(secs => %(expiry)s) ELSE w.expires_at END
                   RETURNING hits""",
                {"key": key, "amount": amount, "expiry": expiry},
            ).fetchone()
            if random.random() < SWEEP_CHANCE:  # noqa: S311 - a sampling chance, not a secret
                self.sweep(cur)
        assert row is not None
        return int(row["hits"])

    def get(self, key: str) -> int:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute("SELECT hits FROM rate_limit_windows WHERE key = %s AND expires_at > now()",
                               (key,)).fetchone()
        return int(row["hits"]) if row else 0

    def get_expiry(self, key: str) -> float:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute("SELECT extract(epoch FROM expires_at) AS at FROM rate_limit_windows"
                               " WHERE key = %s AND expires_at > now()", (key,)).fetchone()
            now = cur.execute("SELECT extract(epoch FROM now()) AS at").fetchone()
        assert now is not None
        return float(row["at"]) if row else float(now["at"])

    def check(self) -> bool:
        try:
            with self.pool.connection() as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - a health answer, whatever the failure
            return False

    def reset(self) -> int | None:
        with self.pool.connection() as conn:
            return conn.execute("DELETE FROM rate_limit_windows").rowcount

    def clear(self, key: str) -> None:
        with self.pool.connection() as conn:
            conn.execute("DELETE FROM rate_limit_windows WHERE key = %s", (key,))

    @staticmethod
    def sweep(conn: Any) -> None:
        conn.execute("DELETE FROM rate_limit_windows WHERE expires_at < now() - interval '1 hour'")
