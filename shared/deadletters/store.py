"""Dead letters on Kafka: read them back, fetch their originals, and replay them.

- Reading never joins a consumer group nor commits: it reads the offsets it is asked for.
- The original bytes come from the record when it holds them exactly, otherwise from the source
  topic at the recorded partition and offset, checked against the recorded SHA-256; once the
  source topic's retention has removed them, ``DeadLetterError`` says so.
- Replay sends the original key and value, unchanged, to the original topic and partition with
  two headers, ``replay_id`` (new, unique) and ``replay_of`` (the dead letter's topic, partition
  and offset). It is refused (``ReplayRefused``) while the original is still invalid against
  today's envelope, size limit and payload schema. The event id is unchanged, so a replay of an
  event that was handled meanwhile changes nothing (the consumer skips a handled id).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.structs import TopicPartition

from shared.deadletters.record import DeadLetter, Origin
from shared.events import REGISTRY, Envelope, EnvelopeError, PayloadError

EMPTY_POLLS_BEFORE_GIVING_UP = 10


class DeadLetterError(Exception):
    """A dead letter or its original cannot be had; the message says why."""


class ReplayRefused(DeadLetterError):
    """The original is still invalid: fix the cause (or the feed) first."""


@dataclass(frozen=True)
class StoredDeadLetter:
    topic: str
    partition: int
    offset: int
    record: DeadLetter


@dataclass(frozen=True)
class Original:
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Replayed:
    replay_id: str
    topic: str
    partition: int
    offset: int


def dead_letters(reader: KafkaConsumer, topic: str) -> Iterator[StoredDeadLetter]:
    """Every record on the dead-letter ``topic`` now, oldest first; nothing when it does not exist."""
    for partition in sorted(reader.partitions_for_topic(topic) or ()):
        tp = TopicPartition(topic, partition)
        start, end = reader.beginning_offsets([tp])[tp], reader.end_offsets([tp])[tp]
        for message in _read_range(reader, tp, start, end):
            yield StoredDeadLetter(topic, partition, message.offset, DeadLetter.from_json(message.value))


def dead_letters_after(reader: KafkaConsumer, topic: str, positions: dict[int, int], limit: int = 1000
                       ) -> tuple[list[StoredDeadLetter], dict[int, int]]:
    """The records on the dead-letter ``topic`` from ``positions`` (partition: next offset; a
    partition not given from its beginning), at most ``limit`` of them, oldest first per partition,
    and where to read from next time on each partition read."""
    found: list[StoredDeadLetter] = []
    resume: dict[int, int] = {}
    for partition in sorted(reader.partitions_for_topic(topic) or ()):
        tp = TopicPartition(topic, partition)
        start = max(reader.beginning_offsets([tp])[tp], positions.get(partition, 0))
        end = min(reader.end_offsets([tp])[tp], start + max(limit - len(found), 0))
        if start >= end:
            continue
        for message in _read_range(reader, tp, start, end):
            found.append(StoredDeadLetter(topic, partition, message.offset, DeadLetter.from_json(message.value)))
        resume[partition] = end
    return found, resume


class DeadLetterReader:
    """Follows a dead-letter topic from positions its caller keeps (no consumer group, no commits):
    ``after`` gives the records added since and where to resume, or None when the broker cannot be
    read now (the caller tries again later, from the same positions)."""

    def __init__(self, bootstrap: str, client_id: str, topic: str):
        self.topic = topic
        self._bootstrap, self._client_id = bootstrap, client_id
        self._reader: KafkaConsumer | None = None  # connected on first use: a broker down at start is no crash

    def after(self, positions: dict[int, int], limit: int = 1000
              ) -> tuple[list[StoredDeadLetter], dict[int, int]] | None:
        from shared.kafka_clients import offset_reader

        try:
            if self._reader is None:
                self._reader = offset_reader(self._bootstrap, self._client_id)
            return dead_letters_after(self._reader, self.topic, positions, limit)
        except (KafkaError, DeadLetterError):
            return None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


def dead_letter_at(reader: KafkaConsumer, topic: str, offset: int, partition: int = 0) -> StoredDeadLetter:
    message = _message_at(reader, TopicPartition(topic, partition), offset)
    return StoredDeadLetter(topic, partition, offset, DeadLetter.from_json(message.value))


def original_of(reader: KafkaConsumer, record: DeadLetter) -> Original:
    """The original key and value: from the record when it holds them exactly, else from the source."""
    exact = record.exact_original()
    if exact is not None:
        return Original(*exact)
    origin = record.origin
    message = _message_at(reader, TopicPartition(origin.topic, origin.partition), origin.offset)
    value = message.value or b""
    if record.value_sha256 and hashlib.sha256(value).hexdigest() != record.value_sha256:
        raise DeadLetterError(f"the message at {origin} is not the original: its SHA-256 differs")
    return Original(message.key, value)


def check_replayable(value: bytes, max_event_bytes: int) -> None:
    """Raises ReplayRefused when ``value`` would be dead-lettered again for what it is."""
    if len(value) > max_event_bytes:
        raise ReplayRefused(f"still too large: {len(value)} bytes, limit {max_event_bytes}")
    try:
        REGISTRY.load(Envelope.from_json(value))
    except (EnvelopeError, PayloadError) as exc:
        raise ReplayRefused(f"still invalid: {exc}") from exc


def replay(reader: KafkaConsumer, producer: KafkaProducer, stored: StoredDeadLetter,
           max_event_bytes: int) -> Replayed:
    """Send the original back to its topic and partition, unless it is still invalid."""
    original = original_of(reader, stored.record)
    check_replayable(original.value, max_event_bytes)
    replay_id = str(uuid.uuid4())
    origin = stored.record.origin
    headers = [("replay_id", replay_id.encode()),
               ("replay_of", str(Origin(stored.topic, stored.partition, stored.offset)).encode())]
    sent = producer.send(origin.topic, key=original.key, value=original.value, partition=origin.partition,
                         headers=headers).get(timeout=30)
    return Replayed(replay_id, sent.topic, sent.partition, sent.offset)


def _message_at(reader: KafkaConsumer, tp: TopicPartition, offset: int) -> Any:
    start, end = reader.beginning_offsets([tp])[tp], reader.end_offsets([tp])[tp]
    where = f"{tp.topic}/{tp.partition}"
    if offset >= end:
        raise DeadLetterError(f"{where} has no offset {offset}: it ends at {end}")
    if offset < start:
        raise DeadLetterError(f"{where}@{offset} is gone: the topic's retention removed it (it starts at {start})")
    for message in _read_range(reader, tp, offset, offset + 1):
        if message.offset == offset:
            return message
    raise DeadLetterError(f"{where} holds no record at offset {offset} (compacted away, or a transaction marker)")


def _read_range(reader: KafkaConsumer, tp: TopicPartition, start: int, end: int) -> Iterator[Any]:
    """The records of one partition from ``start`` up to, not including, ``end``."""
    reader.assign([tp])
    reader.seek(tp, start)
    empty = 0
    while reader.position(tp) < end:
        batch = reader.poll(timeout_ms=1000).get(tp, [])
        empty = 0 if batch else empty + 1
        if empty >= EMPTY_POLLS_BEFORE_GIVING_UP:
            raise DeadLetterError(f"{tp.topic}/{tp.partition}: nothing read for {empty} s before offset {end}")
        for message in batch:
            if message.offset >= end:
                return
            yield message
