"""Kafka clients built the one way the platform uses them."""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer
from kafka.record import util as record_util


def require_c_crc32c() -> None:
    """Kafka's record batches are checksummed with CRC-32C; the pure-Python fallback is ~100x slower."""
    if getattr(record_util, "crc32c_c", None) is None:
        raise RuntimeError("the crc32c C extension is not installed: pip install 'kafka-python[crc32c]'")


def reliable_producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """acks=all with the idempotent producer, so a retried send is never written twice."""
    require_c_crc32c()
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        retries=10,
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
        compression_type=None,
    )


# A member that stops heartbeating (a consumer killed with SIGKILL, a host gone) is dropped from
# its group after this long, and its partitions go to the others, or to its restarted self: the
# client's default of 45 s held a killed consumer's partitions for most of a minute. Heartbeats
# come from a background thread, so a long batch does not count against it (max_poll_interval_ms
# bounds that).
SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_INTERVAL_MS = 3_000
# A poll's messages are handled in one transaction, so a batch pays its statements once: a
# service whose handlers are set-based (BatchHandler) takes bigger polls (platform.Service).
POLL_RECORDS = 500


def manual_commit_consumer(bootstrap: str, group: str, topics: list[str], *,
                           max_poll_records: int = POLL_RECORDS) -> KafkaConsumer:
    """Auto-commit off: offsets are committed by the runner only after the handler's transaction.
    ``max_poll_records``: at most so many messages a poll, handled in one transaction."""
    require_c_crc32c()
    return KafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id=f"{group}-consumer",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        isolation_level="read_committed",
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
    )


def offset_reader(bootstrap: str, client_id: str) -> KafkaConsumer:
    """No group, no commits: reads the partitions and offsets it is told to (for tools such as
    shared.deadletters), and only committed records, as the platform's consumers do."""
    require_c_crc32c()
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
