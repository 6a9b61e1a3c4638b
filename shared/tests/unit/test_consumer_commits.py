"""When the consumer runner commits offsets: once per poll, for every partition whose batch is done."""

from __future__ import annotations

import threading
from collections import namedtuple
from typing import Any

import psycopg
import pytest
from kafka.structs import OffsetAndMetadata, TopicPartition

from shared.consumer import ConsumerRunner, Outcome

Message = namedtuple("Message", "topic partition offset value")
FIRST, SECOND = TopicPartition("wtgr.measures", 0), TopicPartition("wtgr.measures", 1)


class PollOnce:
    """A Kafka consumer that returns one poll's batches and records its commits (no broker)."""

    def __init__(self, batches: dict[TopicPartition, list[Message]]):
        self.batches = batches
        self.commits: list[dict[TopicPartition, int]] = []

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Message]]:
        return self.batches

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})

    def assignment(self) -> set[TopicPartition]:
        return set()


def runner(consumer: Any, process: Any) -> ConsumerRunner:
    made = ConsumerRunner("test", None, consumer, None, "wtgr.deadletter.test", {})  # type: ignore[arg-type]
    made.process_batch = process  # type: ignore[method-assign]
    return made


def batch(tp: TopicPartition, offsets: range) -> list[Message]:
    return [Message(tp.topic, tp.partition, offset, b"{}") for offset in offsets]


def test_one_commit_per_poll_names_the_next_offset_of_every_partition() -> None:
    consumer = PollOnce({FIRST: batch(FIRST, range(10, 13)), SECOND: batch(SECOND, range(5, 7))})
    assert runner(consumer, lambda messages: [Outcome("handled")] * len(messages)).poll_once() == 5
    assert consumer.commits == [{FIRST: 13, SECOND: 7}]


def test_a_partition_done_before_another_fails_is_still_committed() -> None:
    consumer = PollOnce({FIRST: batch(FIRST, range(10, 13)), SECOND: batch(SECOND, range(5, 7))})

    def process(messages: list[Message]) -> list[Outcome]:
        if messages[0].partition == SECOND.partition:
            raise psycopg.OperationalError("the database went away")
        return [Outcome("handled")] * len(messages)

    with pytest.raises(psycopg.OperationalError):
        runner(consumer, process).poll_once()
    assert consumer.commits == [{FIRST: 13}]


def test_a_poll_with_nothing_commits_nothing() -> None:
    consumer = PollOnce({})
    assert runner(consumer, lambda messages: []).poll_once() == 0
    assert consumer.commits == []


class Polls:
    """A Kafka consumer that returns the polls it was given, one a call, then nothing and sets
    ``stop``; it counts the polls it gave and records its commits (no broker)."""

    def __init__(self, polls: list[dict[TopicPartition, list[Message]]], stop: threading.Event):
        self.polls, self.stop = list(polls), stop
        self.commits: list[dict[TopicPartition, int]] = []
        self.taken = 0

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Message]]:
        if self.taken == len(self.polls):
            self.stop.set()
            return {}
        self.taken += 1
        return self.polls[self.taken - 1]

    def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})


def test_run_forever_commits_each_poll_in_turn_and_tells_how_many_it_handled() -> None:
    stop = threading.Event()
    consumer = Polls([{FIRST: batch(FIRST, range(10, 13))}, {FIRST: batch(FIRST, range(13, 15))},
                      {SECOND: batch(SECOND, range(5, 7))}], stop)
    told: list[int] = []
    runner(consumer, lambda messages: [Outcome("handled")] * len(messages)).run_forever(
        stop, handled=lambda count, polled: told.append(count))
    assert consumer.commits == [{FIRST: 13}, {FIRST: 15}, {SECOND: 7}]
    assert told == [3, 2, 2]


def test_a_poll_that_fails_to_be_handled_stops_the_runner_before_the_next_is_read() -> None:
    stop = threading.Event()
    consumer = Polls([{FIRST: batch(FIRST, range(10, 13))}, {FIRST: batch(FIRST, range(13, 15))}], stop)
    handled: list[int] = []

    def process(messages: list[Message]) -> list[Outcome]:
        if messages[0].offset == 10:
            raise psycopg.OperationalError("the database went away")
        handled.append(messages[0].offset)
        return [Outcome("handled")] * len(messages)

    with pytest.raises(psycopg.OperationalError):
        runner(consumer, process).run_forever(stop)
    assert handled == []
    assert consumer.commits == []
    assert consumer.taken == 1
