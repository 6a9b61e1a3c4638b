"""Kafka clients built the one way the platform uses them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from kafka import KafkaConsumer, KafkaProducer
from kafka.record import util as record_util
from kafka.structs import OffsetAndMetadata, TopicPartition

log = logging.getLogger(__name__)


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


Headers = list[tuple[str, str | bytes | None]]
Message = tuple[str, bytes, bytes, Headers]  # topic, key, value, headers


class AcknowledgedProducer:
    """confluent-kafka's idempotent producer (librdkafka, acks=all), for the outbox relay: it sends
    a batch and returns once Kafka has acknowledged every message of it, or raises KafkaException.

    Why not kafka-python's producer: sending 500 kpi.updated of 9 KB each and waiting for their
    acknowledgements took it 400-700 ms on an idle machine, and librdkafka 20-25 ms. An alert
    claimed behind such a batch waited that long in the relay (bench/README.md)."""

    def __init__(self, bootstrap: str, client_id: str, send_timeout: float = 30.0):
        self.send_timeout = send_timeout
        self._producer = Producer({
            "bootstrap.servers": bootstrap,
            "client.id": client_id,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            # A message not acknowledged within the send timeout is failed by librdkafka itself, so
            # none is still queued, to be delivered later, once send_all has given up on it.
            "message.timeout.ms": int(send_timeout * 1000),
        })

    def send_all(self, messages: Iterable[Message]) -> None:
        """Send every message, in order, and wait until each is acknowledged; KafkaException names
        the first that was not (every one of them is then to be sent again)."""
        failures: list[KafkaError] = []

        def delivered(error: KafkaError | None, _message: Any) -> None:
            if error is not None:
                failures.append(error)

        for topic, key, value, headers in messages:
            self._produce(topic, key, value, headers, delivered)
        left = self._producer.flush(self.send_timeout)
        if failures:
            raise KafkaException(failures[0])
        if left:
            raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, f"{left} messages not acknowledged in time"))

    def _produce(self, topic: str, key: bytes, value: bytes, headers: Headers, on_delivery: Any) -> None:
        while True:
            try:
                self._producer.produce(topic, key=key, value=value, headers=headers, on_delivery=on_delivery)
                return
            except BufferError:  # librdkafka's queue is full: let it send some first
                self._producer.poll(0.1)

    def close(self, timeout: float = 10.0) -> None:
        self._producer.flush(timeout)


# A member that stops heartbeating (a consumer killed with SIGKILL, a host gone) is dropped from
# its group after this long, and its partitions go to the others, or to its restarted self: the
# client's default of 45 s held a killed consumer's partitions for most of a minute. Heartbeats
# come from a background thread, so a long batch does not count against it (max.poll.interval.ms,
# five minutes, bounds that).
SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_INTERVAL_MS = 3_000
# A poll's messages are handled in one transaction, so a batch pays its statements once: a
# service whose handlers are set-based (BatchHandler) takes bigger polls (platform.Service).
POLL_RECORDS = 500
# What librdkafka fetches ahead of the runner, at most, in KiB: enough for several of the largest
# polls, and it bounds the consumer's memory during a backfill. Once a partition's share is full,
# its next fetch waits FETCH_BACKOFF_MS: librdkafka's default of a second left the runner waiting
# for a full second each time (about 90,000 messages/s at most, against 1,200,000 with 10 ms).
PREFETCH_KIB = 16 * 1024
FETCH_BACKOFF_MS = 10


class Record:
    """A message as the runner reads it: the attributes a kafka-python ``ConsumerRecord`` has
    (librdkafka's types allow None where a message without an error always has a value)."""

    __slots__ = ("topic", "partition", "offset", "key", "value")

    def __init__(self, topic: str | None, partition: int | None, offset: int | None, key: bytes | None,
                 value: bytes | None):
        self.topic, self.partition, self.offset, self.key, self.value = topic, partition, offset, key, value


class ManualCommitConsumer:
    """A group member whose offsets only the runner commits (shared/consumer.py), read with
    librdkafka (confluent-kafka): as the runner polls, it reads 6 to 9 times as many messages a
    second as kafka-python on this machine (``make bench``), whose fetching bound a backfill.

    It speaks the part of kafka-python's ``KafkaConsumer`` the runner and the tests use: ``poll``
    returns a poll's messages by partition, ``commit`` takes the next offset of each, with
    kafka-python's ``TopicPartition`` and ``OffsetAndMetadata``."""

    def __init__(self, config: dict[str, Any], topics: list[str], max_poll_records: int):
        self._consumer = Consumer({**config, "on_commit": self._answered}, logger=log)
        self._consumer.subscribe(topics)
        self.max_poll_records = max_poll_records
        self._sent: dict[tuple[str, int], int] = {}  # the latest offset asked of each partition
        self._refused: KafkaException | None = None

    def _answered(self, error: Any, partitions: list[ConfluentPartition]) -> None:
        """librdkafka's answer to an asynchronous commit, given in ``poll``."""
        refused = error if error is not None else next((p.error for p in partitions if p.error is not None), None)
        if refused is not None:
            self._refused = self._refused or KafkaException(refused)
            return
        for answered in partitions:  # confirmed: ``confirm`` need not ask again
            if self._sent.get((answered.topic, answered.partition)) == answered.offset:
                del self._sent[answered.topic, answered.partition]

    def _raise_refused(self) -> None:
        if self._refused is not None:
            refused, self._refused = self._refused, None
            raise refused

    def poll(self, timeout_ms: int = 1000) -> dict[TopicPartition, list[Record]]:
        """Waits up to ``timeout_ms`` for a message, then takes what has been fetched already, up
        to ``max_poll_records`` in all: a live event is handed on as soon as it arrives, a
        backfill in big polls. A partition's messages keep their order."""
        first = self._consumer.poll(timeout_ms / 1000)
        self._raise_refused()  # a refused commit: the runner starts again from the last one confirmed
        if first is None:
            return {}
        messages = [first]
        if self.max_poll_records > 1:
            messages += self._consumer.consume(self.max_poll_records - 1, 0)
        batches: dict[tuple[str | None, int | None], list[Record]] = {}
        for message in messages:
            if (error := message.error()) is not None:
                if error.fatal():
                    raise KafkaException(error)
                log.warning("consumer error", extra={"error": str(error), "topic": message.topic()})
                continue
            topic, partition = message.topic(), message.partition()
            batch = batches.get((topic, partition))
            if batch is None:
                batch = batches[topic, partition] = []
            batch.append(Record(topic, partition, message.offset(), message.key(), message.value()))
        return {TopicPartition(*partition): batch for partition, batch in batches.items()}

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Asks the broker to commit the next offset of each partition, and goes on without waiting
        for its answer; a refusal is raised by the next ``poll`` (or ``commit``), before the runner
        handles anything more, so the consumer starts again from the last commit confirmed (and the
        handled-event records skip what it handles twice). The broker takes one member's commits in
        the order sent. In the polling thread: a synchronous commit made from a thread of its own
        while this one waited in ``poll`` was seen to wait for ever (``python -m chaos --only
        replay``). Waiting for each commit's answer cost 5-20% of a backfill's rate (bench/README.md)."""
        self._raise_refused()
        for tp, meta in offsets.items():
            self._sent[tp.topic, tp.partition] = meta.offset
        self._consumer.commit(offsets=[ConfluentPartition(tp.topic, tp.partition, meta.offset)
                                       for tp, meta in offsets.items()], asynchronous=True)

    def confirm(self) -> None:
        """Waits until every offset asked is committed: commits them again, synchronously (a commit
        of the same offset changes nothing); raises ``KafkaException`` if the broker refuses."""
        self._raise_refused()
        if not self._sent:
            return
        answered = self._consumer.commit(offsets=[ConfluentPartition(topic, partition, offset)
                                                  for (topic, partition), offset in self._sent.items()],
                                         asynchronous=False)
        for partition in answered or []:
            if partition.error is not None:
                raise KafkaException(partition.error)
        self._sent.clear()

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def committed(self, partition: TopicPartition) -> int | None:
        """The group's committed offset of ``partition``, or None if it has none (once the commits
        asked are confirmed)."""
        self.confirm()
        [found] = self._consumer.committed([ConfluentPartition(partition.topic, partition.partition)], timeout=10)
        return found.offset if found.offset >= 0 else None

    def close(self) -> None:
        """Leaves the group. Commits nothing: only ``commit`` does (a commit still unanswered may
        land or not; what it covered is then handled again and skipped as handled)."""
        self._consumer.close()


def manual_commit_consumer(bootstrap: str, group: str, topics: list[str], *,
                           max_poll_records: int = POLL_RECORDS) -> ManualCommitConsumer:
    """Auto-commit off: offsets are committed by the runner only after the handler's transaction.
    ``max_poll_records``: at most so many messages a poll, handled in one transaction. Only
    committed records are read (read_committed), from the earliest when the group has no offset."""
    return ManualCommitConsumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": f"{group}-consumer",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
        "queued.max.messages.kbytes": PREFETCH_KIB,
        "fetch.queue.backoff.ms": FETCH_BACKOFF_MS,
    }, topics, max_poll_records)


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
