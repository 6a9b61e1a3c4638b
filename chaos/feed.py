"""A hospital feed as the outside world runs one: a plain kafka-python producer (not the
platform's) that sends measure events in order and resends every one the broker did not
acknowledge, with the same event id, until it is acknowledged. Kafka may therefore hold an event
twice after an outage; the platform must store it once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.errors import KafkaError

from shared import topics

logging.getLogger("kafka").setLevel(logging.CRITICAL)  # every refused connection during an outage


@dataclass(frozen=True)
class Message:
    """One message as a feed sends it: key and value bytes (the value may be anything: poison too)."""

    key: bytes | None
    value: bytes | None
    topic: str = topics.MEASURES


@dataclass
class Sent:
    """Where each message landed (its first acknowledged copy) and how many sends were resends."""

    positions: dict[int, tuple[int, int]] = field(default_factory=dict)  # index -> (partition, offset)
    resends: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    @property
    def acknowledged(self) -> int:
        return len(self.positions)


class Feed:
    def __init__(self, bootstrap: str, *, chunk: int = 200, pause: float = 0.0, give_up_after: float = 300.0):
        self.bootstrap = bootstrap
        self.chunk = chunk
        self.pause = pause  # seconds between chunks: a feed that keeps the consumer busy for a while
        self.give_up_after = give_up_after

    def publish(self, messages: Sequence[Message], sent: Sent | None = None,
                before_chunk: Callable[[int], None] | None = None) -> Sent:
        """Send every message, chunk by chunk, each chunk resent (what was not acknowledged) until
        all of it is; raises TimeoutError after ``give_up_after`` seconds without progress."""
        sent = sent or Sent()
        producer = self._producer_when_possible(time.monotonic() + self.give_up_after)
        try:
            for start in range(0, len(messages), self.chunk):
                if before_chunk:
                    before_chunk(start)
                pending = list(range(start, min(start + self.chunk, len(messages))))
                producer = self._send_until_acknowledged(producer, messages, pending, sent)
                if self.pause:
                    time.sleep(self.pause)
        finally:
            producer.close(timeout=5)
        return sent

    def publish_in_background(self, messages: Sequence[Message]) -> tuple[threading.Thread, Sent]:
        sent = Sent()

        def run() -> None:
            try:
                self.publish(messages, sent)
            except BaseException as exc:  # noqa: BLE001 - reported by the scenario
                sent.error = exc
            finally:
                sent.done.set()

        thread = threading.Thread(target=run, name="feed", daemon=True)
        thread.start()
        return thread, sent

    def _producer(self) -> KafkaProducer:
        return KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5, retries=0,
                             max_block_ms=3000, request_timeout_ms=5000, delivery_timeout_ms=8000,
                             max_request_size=2 * 1024 * 1024, reconnect_backoff_max_ms=1000)

    def _send_until_acknowledged(self, producer: KafkaProducer, messages: Sequence[Message], pending: list[int],
                                 sent: Sent) -> KafkaProducer:
        deadline = time.monotonic() + self.give_up_after
        first = True
        while pending:
            if not first:
                sent.resends += len(pending)
                time.sleep(1.0)
            first = False
            futures = {}
            for index in pending:
                try:
                    futures[index] = producer.send(messages[index].topic, key=messages[index].key,
                                                   value=messages[index].value)
                except KafkaError:
                    break  # no metadata: the broker is away; resend the rest later
            still: list[int] = [i for i in pending if i not in futures]
            for index, future in futures.items():
                try:
                    metadata = future.get(timeout=15)
                    sent.positions.setdefault(index, (metadata.partition, metadata.offset))
                except KafkaError:
                    still.append(index)
            pending = sorted(still)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"the broker acknowledged nothing for {self.give_up_after:.0f} s")
            if pending:  # a fresh producer: a clean view of the broker after an outage
                producer.close(timeout=1)
                producer = self._producer_when_possible(deadline)
        return producer

    def _producer_when_possible(self, deadline: float) -> KafkaProducer:
        while True:
            try:
                return self._producer()
            except KafkaError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)
