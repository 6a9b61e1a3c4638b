"""The consumer runner: the only way events enter a service from Kafka.

Contract, for every message, in partition order:
- Effectively once: the handler's effect and the event id it handled commit in one Postgres
  transaction; an event id already recorded is skipped, so a redelivery changes nothing. A batch
  handler may instead land its events (``BatchHandler.land_many``: appended, for a set-based step of
  its service that keeps their ids as handled when it takes them and skips those handled already).
- Offsets are committed to Kafka only after that transaction has committed.
- Dead-letter: a message that is too large, not JSON, not a CloudEvent, fails its payload schema
  (text PostgreSQL cannot store, a NUL or a lone surrogate, included), is rejected by its handler
  (``RejectEvent``), meets a ``psycopg.DataError`` (bad input, never retried) or keeps failing is
  published to the service's dead-letter topic with the original topic, partition, offset and the
  reason, and counted by reason; then the consumer carries on. The record always fits, whatever
  the message's size (shared/deadletters/record.py): no message can block its partition.
- Back off: a handler that raises anything else is retried with exponential backoff, ``max_attempts``
  times.
- Outage: when the database or Kafka itself is unreachable after the retries, the runner raises
  without committing the offset; ``shared.processes.run_consumer`` closes the consumer without
  committing, backs off and joins again (shared.outages), so the message is redelivered.
- Unknown event types are skipped and counted; they are someone else's business.

How far behind the group is, is measured from outside, from the offsets it committed
(shared/lag_exporter.py), so a dead consumer's lag keeps growing on the dashboards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from confluent_kafka import KafkaException
from kafka import KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError
from kafka.structs import OffsetAndMetadata, TopicPartition
from psycopg_pool import ConnectionPool

from shared import correlation, telemetry
from shared.db import UnitOfWork, copy_rows, texts
from shared.deadletters.record import MAX_KEY_BYTES, MAX_RECORD_BYTES, DeadLetter, dead_letter_for
from shared.events import REGISTRY, Envelope, EnvelopeError, PayloadError, contracts
from shared.kafka_clients import ManualCommitConsumer

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope, dict[str, Any]], None]
INFRASTRUCTURE_ERRORS = (psycopg.OperationalError, KafkaError, KafkaException)
BAD_INPUT_ERRORS = (psycopg.DataError, UnicodeEncodeError)  # the same input fails the same way every time
# Outcomes of a batch handled together that are counted and logged once for the batch (one line
# with the counts; each event at DEBUG): a backfill's million events are not a million log lines.
# Skipped events (another consumer's business: a lane reads every kpi.updated to find its alerts)
# are counted so too; dead-lettered events are still logged one by one.
QUIET = ("handled", "duplicate", "skipped")
HANDLED_COLUMNS = ["event_id", "event_type", "topic"]


class EventTooLarge(EnvelopeError):
    """The message is larger than the consumer accepts (``max_event_bytes``)."""


class RejectEvent(Exception):
    """Raised by a handler for an event it can never accept (an unknown KPI, say): dead-letter it."""


@dataclass(frozen=True)
class BatchHandler:
    """A handler that takes every event of its type in a batch at once, set-based, in the batch's
    transaction. ``handle_many`` returns one entry per event, in order: None when it is handled,
    or why it can never be accepted (it is then dead-lettered). Called with one event, it is an
    ordinary handler that raises RejectEvent."""

    handle_many: Callable[[UnitOfWork, list[tuple[Envelope, dict[str, Any]]]], list[str | None]]
    # Offered the batch's events of its type first, with the topic each came from: None to have
    # them handled as above, or one entry per event, as above, when it has landed them, appended
    # for a later set-based step of the service that keeps their event ids as handled and skips
    # those handled already (a redelivery). The runner then records none of them itself.
    land_many: Callable[[UnitOfWork, list[tuple[Envelope, dict[str, Any], str]]], list[str | None] | None] | None = None

    def __call__(self, uow: UnitOfWork, envelope: Envelope, payload: dict[str, Any]) -> None:
        [reason] = self.handle_many(uow, [(envelope, payload)])
        if reason is not None:
            raise RejectEvent(reason)


@dataclass(frozen=True)
class Outcome:
    status: str  # handled | duplicate | skipped | dead_lettered
    reason: str = ""
    category: str = ""  # why it was dead-lettered, for the metric: a short fixed word


HANDLED, DUPLICATE = Outcome("handled"), Outcome("duplicate")  # one of each, shared: a backfill has a million
Parsed = tuple[Envelope | None, dict[str, Any] | Outcome]  # a message's envelope and payload, or its fate


class ConsumerRunner:
    def __init__(
        self,
        service: str,
        pool: ConnectionPool,
        consumer: ManualCommitConsumer,
        dead_letter_producer: KafkaProducer,
        dead_letter_topic: str,
        handlers: dict[str, Handler],
        *,
        max_event_bytes: int = 256 * 1024,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
        max_dead_letter_bytes: int = MAX_RECORD_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.service = service
        self.pool = pool
        self.consumer = consumer
        self.producer = dead_letter_producer
        self.dead_letter_topic = dead_letter_topic
        self.handlers = handlers
        self.max_event_bytes = max_event_bytes
        self.max_attempts = max_attempts
        self.max_dead_letter_bytes = max_dead_letter_bytes
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self.beat: Callable[[], None] = lambda: None
        self.contracts = contracts.readers_for(handlers)  # compiled once, at start

    def run_forever(self, stop: Any = None, beat: Callable[[], None] | None = None,
                    handled: Callable[[int, float], None] | None = None) -> None:
        """Poll and process until ``stop`` is set; ``beat`` (shared.liveness) before every poll and
        every handler attempt, so a long batch handled one message at a time is not taken for a
        stuck consumer. ``handled`` is told how many messages each poll gave, once they are handled
        and their offsets committed, and when that poll began (``time.monotonic()``).

        One poll at a time: handling a poll on a thread of its own while the next is read and
        parsed was measured slower (36,000-39,000 events/s against 50,000-52,000), the two
        threads taking the interpreter's lock from each other at every round trip."""
        self.beat = beat or self.beat
        while not (stop and stop.is_set()):
            self.beat()
            polled = time.monotonic()
            count = self.poll_once()
            if handled is not None and count:
                handled(count, polled)

    def poll_once(self, timeout_ms: int = 1000) -> int:
        """Process one poll's worth of messages and commit their offsets; returns how many.

        Every partition's messages of the poll are handled in one transaction (one set-based
        write of the whole poll); should that fail, each partition's batch is handled on its own,
        as ``process_batch`` does."""
        batches = self.consumer.poll(timeout_ms=timeout_ms)
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        try:
            if len(batches) > 1 and self._handled_as_one([m for ms in batches.values() for m in ms]) is not None:
                done = {partition: _next(messages) for partition, messages in batches.items()}
            for partition, messages in batches.items():
                if partition not in done:
                    self.process_batch(messages)
                    done[partition] = _next(messages)
        finally:
            # Once every message of a partition's batch is handled or dead-lettered, and for the
            # partitions done even when a later one fails: one commit for them all. Were we to
            # crash before it, the batches are redelivered and the handled-event records skip them.
            if done:
                self.consumer.commit(done)
        return sum(len(batches[partition]) for partition in done)

    def process_batch(self, messages: list[Any]) -> list[Outcome]:
        """Handle a batch (a partition's, or a whole poll's) in one transaction, so work the
        handlers defer, such as refreshing what several events share, is done once per batch.
        Events of a type with a BatchHandler are given to it together, after the others (each in a
        savepoint) in partition order. Should the batch fail as a whole, its messages are processed
        again one at a time, each with its own retries and outcome. Effect and handled-event
        records still commit together.
        """
        if len(messages) == 1:
            return [self.process(messages[0])]
        outcomes = self._handled_as_one(messages)
        return outcomes if outcomes is not None else [self.process(message) for message in messages]

    def _handled_as_one(self, messages: list[Any]) -> list[Outcome] | None:
        """The outcome of each message, handled in one transaction; None if that failed (it kept nothing)."""
        parsed = [self.parse(message) for message in messages]
        try:
            outcomes = self._handle_together(messages, parsed)
        except Exception as exc:
            log.warning("batch failed; handling it in smaller steps", extra={"error": repr(exc)})
            return None
        counted: dict[tuple[str, str], int] = {}
        debug = log.isEnabledFor(logging.DEBUG)
        for message, (envelope, outcome) in zip(messages, outcomes, strict=True):
            if outcome.status in QUIET:
                key = (envelope.type if envelope else "unparsed", outcome.status)
                counted[key] = counted.get(key, 0) + 1
                if debug:
                    log.debug("event %s", outcome.status, extra=_message_log(message, envelope, outcome))
            else:
                self._finish(outcome, message, envelope)
        for (event_type, status), count in counted.items():
            telemetry.EVENTS_CONSUMED.labels(self.service, event_type, status).inc(count)
        if counted:
            log.info("batch done", extra={"counts": {f"{t} {s}": n for (t, s), n in counted.items()},
                                          "messages": len(messages)})
        return [outcome for _, outcome in outcomes]

    def parse(self, message: Any) -> Parsed:
        """The message's envelope and validated payload, or what becomes of a message that has no
        handler or does not validate (the first step of every message, before any database work).

        An event type with a published contract is tried first straight from the bytes, typed
        (``ContractReader.read_raw``; each reader refuses every other type at once); what that
        does not accept is decoded by orjson and read against the contract, then by the registry,
        which gives a bad event's reason."""
        envelope: Envelope | None = None
        try:
            raw = self._checked_size(message)
            for contract in self.contracts.values():  # the typed path first (shared/events/contracts.py)
                if (read := contract.read_raw(raw)) is not None:
                    return read
            body = contracts.decode(raw)
            reader = self.contracts.get(str(body.get("type"))) if isinstance(body, dict) else None
            if reader is not None and (read := reader.read(body, raw)) is not None:
                return read  # an event from outside, as its published contract says
            envelope = Envelope.from_json(raw) if body is None else Envelope.from_dict(body)
            if envelope.type not in self.handlers:
                return envelope, Outcome("skipped", f"no handler for {envelope.type}")
            payload = REGISTRY.load(envelope)
            if reader is not None:
                reader.check(body)  # the contract refused what the registry accepts: its reason
            return envelope, payload
        except EventTooLarge as exc:
            return envelope, Outcome("dead_lettered", str(exc), "too_large")
        except EnvelopeError as exc:
            return envelope, Outcome("dead_lettered", str(exc), "invalid_envelope")
        except PayloadError as exc:
            return envelope, Outcome("dead_lettered", str(exc), "invalid_payload")

    def _handle_together(self, messages: list[Any], parsed: list[tuple[Envelope | None, Any]]
                         ) -> list[tuple[Envelope | None, Outcome]]:
        outcomes: list[tuple[Envelope | None, Outcome]] = [
            (envelope, payload) if isinstance(payload, Outcome) else (envelope, HANDLED)
            for envelope, payload in parsed]
        with self.pool.connection() as conn, conn.transaction():
            uow = UnitOfWork(conn, self.service)
            ready: dict[int, tuple[Envelope, dict[str, Any]]] = {
                i: (envelope, payload) for i, (envelope, payload) in enumerate(parsed)
                if envelope is not None and not isinstance(payload, Outcome)}
            landed = self._land(uow, messages, ready, outcomes)
            first_time = self._record_handled(uow, {i: (envelope, messages[i].topic)
                                                    for i, (envelope, _) in ready.items() if i not in landed})
            batches: dict[str, list[int]] = {}
            for i, (envelope, payload) in ready.items():
                if i in landed:
                    continue
                if i not in first_time:
                    outcomes[i] = (envelope, DUPLICATE)
                elif isinstance(self.handlers[envelope.type], BatchHandler):
                    batches.setdefault(envelope.type, []).append(i)
                else:
                    outcomes[i] = (envelope, self._handle_in_savepoint(uow, envelope, payload))
            for event_type, indices in batches.items():
                handler = self.handlers[event_type]
                assert isinstance(handler, BatchHandler)
                reasons = handler.handle_many(uow, [ready[i] for i in indices])
                for i, reason in zip(indices, reasons, strict=True):
                    if reason is not None:
                        outcomes[i] = (ready[i][0], Outcome("dead_lettered", f"rejected: {reason}", "rejected"))
            rejected = [envelope.id for envelope, outcome in outcomes
                        if envelope is not None and outcome.category == "rejected"]
            if rejected:  # a rejected event was not handled: a redelivery is judged again
                uow.execute("DELETE FROM handled_events WHERE event_id = ANY(%s)", (rejected,))
            uow.flush()
        return outcomes

    def _land(self, uow: UnitOfWork, messages: list[Any], ready: dict[int, tuple[Envelope, dict[str, Any]]],
              outcomes: list[tuple[Envelope | None, Outcome]]) -> set[int]:
        """Offer each type's events to its BatchHandler's ``land_many``; the positions it landed
        (their outcomes set: handled, or dead-lettered with its reason)."""
        by_type: dict[str, list[int]] = {}
        for i, (envelope, _) in ready.items():
            by_type.setdefault(envelope.type, []).append(i)
        landed: set[int] = set()
        for event_type, indices in by_type.items():
            handler = self.handlers[event_type]
            if not isinstance(handler, BatchHandler) or handler.land_many is None:
                continue
            reasons = handler.land_many(uow, [(*ready[i], messages[i].topic) for i in indices])
            if reasons is None:
                continue
            for i, reason in zip(indices, reasons, strict=True):
                if reason is not None:
                    outcomes[i] = (ready[i][0], Outcome("dead_lettered", f"rejected: {reason}", "rejected"))
            landed.update(indices)
        return landed

    @staticmethod
    def _record_handled(uow: UnitOfWork, events: dict[int, tuple[Envelope, str]]) -> set[int]:
        """Record the event ids of ``events`` (by position: envelope and topic); the positions of
        those seen for the first time (an id twice in one batch counts once).

        The ids already recorded are looked up in one statement and the others appended with a
        binary ``COPY``, not merged (``ON CONFLICT``), which costs a batch several times more. Two
        consumers recording the same new id at once (a redelivery during a rebalance) meet on the
        primary key: the later batch fails as a whole and is handled again in smaller steps, one
        event at a time (``process``), whose record is merged and skips the id."""
        first: dict[str, int] = {}
        for position, (envelope, _) in events.items():
            first.setdefault(envelope.id, position)
        if not first:
            return set()
        if len(first) == 1:
            [(event_id, position)] = first.items()
            envelope, topic = events[position]
            row = uow.one("INSERT INTO handled_events (event_id, event_type, topic) VALUES (%s, %s, %s)"
                          " ON CONFLICT (event_id) DO NOTHING RETURNING event_id", (event_id, envelope.type, topic))
            return {position} if row else set()
        seen = {row["event_id"] for row in uow.all(
            "SELECT event_id FROM handled_events WHERE event_id IN (SELECT json_array_elements_text(%s::json))",
            (texts(first),))}
        new = {event_id: position for event_id, position in first.items() if event_id not in seen}
        copy_rows(uow, "handled_events", HANDLED_COLUMNS, ["text", "text", "text"],
                  ((event_id, *_type_and_topic(events[position])) for event_id, position in new.items()))
        return set(new.values())

    def _handle_in_savepoint(self, uow: UnitOfWork, envelope: Envelope, payload: dict[str, Any]) -> Outcome:
        token = correlation.use(envelope.correlationid)
        try:
            with uow.savepoint():
                self.handlers[envelope.type](uow, envelope, payload)
                return HANDLED
        except RejectEvent as exc:
            return Outcome("dead_lettered", f"rejected: {exc}", "rejected")
        finally:
            correlation.reset(token)

    def process(self, message: Any) -> Outcome:
        """One message in its own transaction, with retries: the careful path."""
        envelope, payload = self.parse(message)
        if isinstance(payload, Outcome) or envelope is None:
            return self._finish(payload, message, envelope)  # type: ignore[arg-type]
        token = correlation.use(envelope.correlationid)
        try:
            return self._finish(self._handle_with_retries(message, envelope, payload), message, envelope)
        finally:
            correlation.reset(token)

    def _checked_size(self, message: Any) -> bytes:
        raw: bytes = message.value or b""
        if len(raw) > self.max_event_bytes:
            raise EventTooLarge(f"too large: {len(raw)} bytes, limit {self.max_event_bytes}")
        return raw

    def _handle_with_retries(self, message: Any, envelope: Envelope, payload: dict[str, Any]) -> Outcome:
        for attempt in range(1, self.max_attempts + 1):
            self.beat()
            try:
                return self._handle_once(message, envelope, payload)
            except RejectEvent as exc:
                return Outcome("dead_lettered", f"rejected: {exc}", "rejected")
            except BAD_INPUT_ERRORS as exc:
                return Outcome("dead_lettered", f"cannot be stored: {exc}", "invalid_payload")
            except Exception as exc:
                telemetry.EVENTS_FAILED.labels(self.service, envelope.type).inc()
                log.warning("handler failed", extra=_event_log(envelope, attempt=attempt, error=repr(exc)))
                if attempt == self.max_attempts:
                    if isinstance(exc, INFRASTRUCTURE_ERRORS):
                        raise  # crash without committing: redelivered once the outage is over
                    return Outcome("dead_lettered", f"handler kept failing after {attempt} attempts: {exc!r}",
                                   "handler_failed")
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    def _handle_once(self, message: Any, envelope: Envelope, payload: dict[str, Any]) -> Outcome:
        with self.pool.connection() as conn, conn.transaction():
            uow = UnitOfWork(conn, self.service)
            outcome = self._record_and_handle(uow, message, envelope, payload)
            uow.flush()
        return outcome

    def _record_and_handle(self, uow: UnitOfWork, message: Any, envelope: Envelope,
                           payload: dict[str, Any]) -> Outcome:
        """The handler's effect and the record of the event id, in the caller's transaction."""
        if not self._record_handled(uow, {0: (envelope, message.topic)}):
            return DUPLICATE
        self.handlers[envelope.type](uow, envelope, payload)
        return HANDLED

    def _finish(self, outcome: Outcome, message: Any, envelope: Envelope | None) -> Outcome:
        if outcome.status == "dead_lettered":
            self._dead_letter(message, outcome)
        event_type = envelope.type if envelope else "unparsed"
        telemetry.EVENTS_CONSUMED.labels(self.service, event_type, outcome.status).inc()
        log.info("event %s", outcome.status, extra=_message_log(message, envelope, outcome))
        return outcome

    def _dead_letter(self, message: Any, outcome: Outcome) -> None:
        record = dead_letter_for(message, outcome.reason, outcome.category, self.service,
                                 datetime.now(UTC).isoformat())
        try:
            self._send_dead_letter(message, record, self.max_dead_letter_bytes)
        except MessageSizeTooLargeError:  # the topic allows less than we thought: the record without a body
            self._send_dead_letter(message, record, 0)
        telemetry.EVENTS_DEAD_LETTERED.labels(self.service, outcome.category).inc()

    def _send_dead_letter(self, message: Any, record: DeadLetter, max_bytes: int) -> None:
        key = message.key if message.key is None or len(message.key) <= MAX_KEY_BYTES else None
        headers = [(name, value.encode()) for name, value in (
            ("reason", record.reason[:500]), ("category", record.category), ("original_topic", message.topic))]
        self.producer.send(self.dead_letter_topic, key=key, value=record.to_json(max_bytes),
                           headers=headers).get(timeout=30)


def _type_and_topic(event: tuple[Envelope, str]) -> tuple[str, str]:
    envelope, topic = event
    return envelope.type, topic


def _next(messages: list[Any]) -> OffsetAndMetadata:
    """The offset to commit once ``messages`` (one partition's, in order) are done."""
    return OffsetAndMetadata(messages[-1].offset + 1, "", -1)


def _message_log(message: Any, envelope: Envelope | None, outcome: Outcome) -> dict[str, Any]:
    return {"event_type": envelope.type if envelope else "unparsed", "event_id": envelope.id if envelope else None,
            "reason": outcome.reason, "topic": message.topic, "partition": message.partition,
            "offset": message.offset}


def _event_log(envelope: Envelope, **extra: Any) -> dict[str, Any]:
    return {"event_id": envelope.id, "event_type": envelope.type, **extra}
