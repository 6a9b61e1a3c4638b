"""The outbox relay: the only way events leave a service for Kafka.

Guarantees: every committed outbox row is published at least once, in outbox order per key
(a single relay per service), with acks=all from an idempotent producer. Urgent events (those a
consumer lane waits for, ``shared.platform.urgent_events``) go ahead of the backlog, each with the
rows of its key written before it, so the order per key still holds. Rows are marked sent
only after Kafka has acknowledged them, so a relay that dies between publish and mark loses
nothing; the next relay republishes those rows with the same event ids, which consumers
recognise. Rows are claimed with FOR UPDATE SKIP LOCKED, never by a high-water mark, so a
transaction that commits late is never skipped.

One relay per service publishes at a time: a relay first takes the service's PostgreSQL advisory
lock (``relay_lock_key``) on its listening connection and publishes only while it holds it. A
second relay started beside it (a deployment rolling over, a process started by hand) waits as a
standby, taking over within a second of the first one's connection ending.

The relay reports what it published; how much waits, and for how long, is read from the outbox by
the service's API at scrape time (shared/collectors.py), so a dead relay is seen.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import orjson
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

from shared import telemetry
from shared.kafka_clients import AcknowledgedProducer, Headers
from shared.wakeup import drain_on_notify

log = logging.getLogger(__name__)

CLAIM = """
    SELECT position, event_id::text AS event_id, topic, key, event_type, envelope
      FROM outbox
     WHERE published_at IS NULL
     ORDER BY position
     LIMIT %s
       FOR UPDATE SKIP LOCKED
"""
# The urgent rows waiting, and every row of their keys up to the last of them, in outbox order.
CLAIM_URGENT = """
    WITH urgent AS (
        SELECT key, max(position) AS upto
          FROM outbox
         WHERE published_at IS NULL AND event_type = ANY(%s)
         GROUP BY key
    )
    SELECT position, event_id::text AS event_id, topic, outbox.key, event_type, envelope
      FROM urgent
      JOIN outbox ON outbox.key = urgent.key AND outbox.position <= urgent.upto
     WHERE outbox.published_at IS NULL
     ORDER BY position
     LIMIT %s
       FOR UPDATE OF outbox SKIP LOCKED
"""
MARK_SENT = "UPDATE outbox SET published_at = clock_timestamp() WHERE position = ANY(%s)"


class OutboxRelay:
    def __init__(
        self,
        service: str,
        pool: ConnectionPool,
        producer: AcknowledgedProducer,
        *,
        batch_size: int = 500,
        urgent: frozenset[str] = frozenset(),
    ):
        self.service = service
        self.pool = pool
        self.producer = producer
        self.batch_size = batch_size
        self.urgent = sorted(urgent)
        self._told_standby = False

    def publish_batch(self) -> int:
        """Publish one batch of unpublished rows and mark them sent; returns how many. The urgent
        rows waiting, with their keys' earlier rows, make a batch of their own ahead of the rest."""
        with self.pool.connection() as conn, conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
            set_json_loads(orjson.loads, cursor)  # a backfill's envelopes are large: read them the fast way
            rows = cursor.execute(CLAIM_URGENT, (self.urgent, self.batch_size)).fetchall() if self.urgent else []
            if not rows:
                rows = cursor.execute(CLAIM, (self.batch_size,)).fetchall()
            if not rows:
                return 0
            self._send_and_wait(rows)
            cursor.execute(MARK_SENT, ([row["position"] for row in rows],))
        for row in rows:
            telemetry.EVENTS_PRODUCED.labels(self.service, row["event_type"]).inc()
        return len(rows)

    def _send_and_wait(self, rows: list[dict[str, Any]]) -> None:
        """Raises if Kafka did not acknowledge every row."""
        self.producer.send_all((row["topic"], row["key"].encode(), _encode(row), _headers(row)) for row in rows)

    def run_forever(self, listen_conninfo: str, schema: str, stop: threading.Event,
                    beat: Callable[[], None] | None = None) -> None:
        """Once this relay holds the service's lock, publish as soon as a commit NOTIFYs the outbox
        channel, or within a second anyway; ``beat`` on every pass, standing by too
        (shared.liveness)."""
        try:
            drain_on_notify(listen_conninfo, f"outbox_{schema}", self.publish_batch, stop,
                            exclusive=self.take_lock, beat=beat)
        finally:
            telemetry.RELAY_ACTIVE.labels(self.service).set(0)

    def take_lock(self, conn: psycopg.Connection) -> bool:
        """Try the service's relay lock on ``conn`` (held until that connection ends)."""
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (relay_lock_key(self.service),)).fetchone()
        held = bool(row and row[0])
        telemetry.RELAY_ACTIVE.labels(self.service).set(1 if held else 0)
        if not held and not self._told_standby:
            log.info("standby: another relay of this service holds its lock")
        self._told_standby = not held
        return held


def relay_lock_key(service: str) -> int:
    """The service's relay lock: a stable signed 64-bit key for pg_try_advisory_lock."""
    digest = hashlib.sha256(f"wtgr.relay.{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _encode(row: dict[str, Any]) -> bytes:
    """The envelope as compact JSON in UTF-8, its keys sorted."""
    return orjson.dumps(row["envelope"], option=orjson.OPT_SORT_KEYS)


def _headers(row: dict[str, Any]) -> Headers:
    return [("ce_id", row["event_id"].encode()), ("ce_type", row["event_type"].encode())]

