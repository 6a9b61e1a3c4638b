"""The runner's Kafka client (confluent-kafka behind kafka-python's poll and commit), with librdkafka's
consumer replaced by a stand-in that needs no broker (tests/integration and the chaos suite use a real one)."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import TopicPartition as ConfluentPartition
from kafka.structs import OffsetAndMetadata, TopicPartition

from shared import kafka_clients

FIRST, SECOND = TopicPartition("wtgr.measures", 0), TopicPartition("wtgr.measures", 1)


class Message:
    def __init__(self, partition: int, offset: int, error: KafkaError | None = None):
        self._partition, self._offset, self._error = partition, offset, error

    def error(self) -> KafkaError | None:
        return self._error

    def topic(self) -> str:
        return "wtgr.measures"

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return b"k"

    def value(self) -> bytes:
        return f"{self._partition}:{self._offset}".encode()


class Librdkafka:
    """Hands out the messages it was given, records commits; a commit may be held or refused."""

    def __init__(self, config: dict[str, Any], logger: Any = None):
        self.messages: list[Message] = []
        self.commits: list[list[tuple[int, int]]] = []
        self.refuse: KafkaError | None = None
        self.closed = False
        self.on_commit = config["on_commit"]
        self.answers: list[tuple[KafkaError | None, list[ConfluentPartition]]] = []  # given at the next poll

    def subscribe(self, topics: list[str]) -> None:
        pass

    def poll(self, timeout: float) -> Message | None:
        answers, self.answers = self.answers, []
        for error, partitions in answers:
            self.on_commit(error, partitions)
        return self.messages.pop(0) if self.messages else None

    def consume(self, count: int, timeout: float) -> list[Message]:
        taken, self.messages = self.messages[:count], self.messages[count:]
        return taken

    def commit(self, offsets: list[ConfluentPartition], asynchronous: bool) -> list[ConfluentPartition] | None:
        if asynchronous:  # answered at the next poll
            if self.refuse is None:
                self.commits.append([(tp.partition, tp.offset) for tp in offsets])
            self.answers.append((self.refuse, offsets))
            return None
        if self.refuse is not None:
            raise KafkaException(self.refuse)
        self.commits.append([(tp.partition, tp.offset) for tp in offsets])
        return offsets

    def committed(self, partitions: list[ConfluentPartition], timeout: float) -> list[ConfluentPartition]:
        done = {partition: offset for commit in self.commits for partition, offset in commit}
        return [ConfluentPartition(tp.topic, tp.partition, done.get(tp.partition, -1001)) for tp in partitions]

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def consumer(monkeypatch: pytest.MonkeyPatch) -> kafka_clients.ManualCommitConsumer:
    monkeypatch.setattr(kafka_clients, "Consumer", Librdkafka)
    return kafka_clients.manual_commit_consumer("localhost:9092", "metrics", ["wtgr.measures"], max_poll_records=3)


def librdkafka(consumer: kafka_clients.ManualCommitConsumer) -> Librdkafka:
    return consumer._consumer  # type: ignore[return-value]


def test_a_poll_gives_at_most_max_poll_records_by_partition_in_order(consumer) -> None:
    librdkafka(consumer).messages = [Message(0, 10), Message(1, 5), Message(0, 11), Message(0, 12)]
    polled = consumer.poll(timeout_ms=10)
    assert {tp: [m.offset for m in ms] for tp, ms in polled.items()} == {FIRST: [10, 11], SECOND: [5]}
    assert [m.value for m in polled[FIRST]] == [b"0:10", b"0:11"]
    assert {tp: [m.offset for m in ms] for tp, ms in consumer.poll(timeout_ms=10).items()} == {FIRST: [12]}
    assert consumer.poll(timeout_ms=10) == {}


def test_a_message_with_an_error_that_is_not_fatal_is_left_out(consumer) -> None:
    librdkafka(consumer).messages = [Message(0, 10), Message(0, -1, KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART))]
    assert {tp: [m.offset for m in ms] for tp, ms in consumer.poll(timeout_ms=10).items()} == {FIRST: [10]}


def test_a_fatal_error_is_raised(consumer) -> None:
    librdkafka(consumer).messages = [Message(0, -1, KafkaError(KafkaError._FATAL, fatal=True))]
    with pytest.raises(KafkaException):
        consumer.poll(timeout_ms=10)


def test_a_commit_names_the_next_offset_of_each_partition_and_does_not_wait_for_the_answer(consumer) -> None:
    consumer.commit({FIRST: OffsetAndMetadata(13, "", -1), SECOND: OffsetAndMetadata(7, "", -1)})
    consumer.commit({FIRST: OffsetAndMetadata(20, "", -1)})
    broker = librdkafka(consumer)
    assert broker.commits == [[(0, 13), (1, 7)], [(0, 20)]]
    assert len(broker.answers) == 2  # not yet answered
    assert consumer.poll(timeout_ms=10) == {}  # the answers come in the poll
    assert consumer.committed(FIRST) == 20
    assert consumer.committed(SECOND) == 7
    assert len(broker.commits) == 2  # both answered: nothing to confirm again


def test_committed_confirms_the_commits_still_unanswered(consumer) -> None:
    consumer.commit({FIRST: OffsetAndMetadata(13, "", -1)})
    assert consumer.committed(FIRST) == 13
    assert librdkafka(consumer).commits == [[(0, 13)], [(0, 13)]]  # asked again, synchronously


def test_a_refused_commit_is_raised_by_the_next_poll_before_any_message_is_handed_out(consumer) -> None:
    broker = librdkafka(consumer)
    broker.refuse = KafkaError(KafkaError.REBALANCE_IN_PROGRESS)
    consumer.commit({FIRST: OffsetAndMetadata(13, "", -1)})
    broker.messages = [Message(0, 13)]
    with pytest.raises(KafkaException):
        consumer.poll(timeout_ms=10)
    assert broker.commits == []
    broker.refuse = None
    assert consumer.committed(FIRST) == 13  # what was asked is still asked of the broker, once it answers


def test_a_refusal_answered_before_the_next_commit_is_raised_by_it(consumer) -> None:
    broker = librdkafka(consumer)
    broker.refuse = KafkaError(KafkaError.ILLEGAL_GENERATION)
    consumer.commit({FIRST: OffsetAndMetadata(13, "", -1)})
    broker.on_commit(*broker.answers.pop())  # librdkafka answers during a consume
    broker.refuse = None
    with pytest.raises(KafkaException):
        consumer.commit({FIRST: OffsetAndMetadata(14, "", -1)})
    assert broker.commits == []


def test_close_leaves_the_group(consumer) -> None:
    consumer.close()
    assert librdkafka(consumer).closed
