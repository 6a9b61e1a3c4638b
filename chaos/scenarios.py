"""The faults. Each scenario seeds a ground truth of its own (chaos.truth), sends it the way a feed
does (chaos.feed), injects its fault, waits until the platform holds exactly the ground truth,
every process runs and every outbox is drained, and reports a ``Row``: events sent, lost,
duplicated, and the recovery time (from the fault cleared to all of that reached).

``fast`` scenarios take seconds and leave the servers running; ``make test`` runs them
(tests/chaos/). The others stop servers for a while or replay a whole topic: ``make chaos`` only.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import OffsetSpec

from chaos.feed import Feed, Message, Sent
from chaos.stack import Stack, say, wait_for
from chaos.truth import Truth, Verdict, new_tag
from shared import platform, topics
from shared.events import new_event

SETTLE_SECONDS = 3.0  # after the expected state is reached, a second look for late duplicates
OUTAGE_RECOVERY_GOAL = 60.0  # the platform heals within a minute of PostgreSQL or Kafka coming back
# A killed consumer's partitions are handed on once its session times out (shared/kafka_clients.py,
# 10 s), its supervisor restarts it after 1 s: well within this, with the rest of the feed to store.
KILLED_CONSUMER_RECOVERY_GOAL = 30.0


@dataclass(frozen=True)
class Options:
    wards: int = 6
    months: int = 120
    outage_seconds: float = 60.0  # how long PostgreSQL and Kafka stay down
    smtp_outage_seconds: float = 10.0
    timeout: float = 180.0  # how long to wait for the expected state after the fault is cleared


@dataclass
class Row:
    scenario: str
    events: int
    lost: int
    duplicated: int
    recovery: float | None
    problems: list[str] = field(default_factory=list)
    notes: str = ""

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.problems and self.recovery is not None


@dataclass(frozen=True)
class Scenario:
    name: str
    fast: bool
    run: Callable[[Stack, Options], Row]
    proves: str


# --- shared steps ----------------------------------------------------------------------------


def settle(stack: Stack, truth: Truth, cleared_at: float, options: Options, *, events: int | None = None,
           extra: Callable[[Verdict], None] | None = None) -> tuple[Verdict, float | None]:
    """Poll until the platform holds exactly the ground truth, every process runs and every outbox
    is drained; the seconds since ``cleared_at`` it took (None: not within ``options.timeout``) and
    the verdict of a second look ``SETTLE_SECONDS`` later."""
    mailbox = stack.mailbox()
    deadline = time.monotonic() + options.timeout
    recovery = None
    reported = time.monotonic()
    while time.monotonic() < deadline:
        verdict = _look(stack, truth, mailbox, events, extra)
        if verdict is not None and verdict.ok:
            recovery = time.monotonic() - cleared_at
            break
        if time.monotonic() - reported > 10:
            reported = time.monotonic()
            say(f"  +{reported - cleared_at:.0f} s: " + ("; ".join(verdict.problems) if verdict else "no answer")
                + (f"; lost {verdict.lost}, duplicated {verdict.duplicated}" if verdict else ""))
        time.sleep(0.5)
    time.sleep(SETTLE_SECONDS)
    final = _look(stack, truth, mailbox, events, extra)
    if final is None:
        final = Verdict(events or truth.event_count(), problems=["the platform did not answer the checks"])
    return final, recovery


def _look(stack: Stack, truth: Truth, mailbox: Any, events: int | None,
          extra: Callable[[Verdict], None] | None) -> Verdict | None:
    try:
        verdict = truth.check(stack, mailbox, events)
        if extra:
            extra(verdict)
        verdict.problems += stack.problems()
        return verdict
    except Exception:  # noqa: BLE001 - a server still on its way back
        return None


def row_of(name: str, verdict: Verdict, recovery: float | None, notes: str = "") -> Row:
    return Row(name, verdict.events, verdict.lost, verdict.duplicated, recovery, list(verdict.problems), notes)


def stored(stack: Stack, truth: Truth) -> int:
    return int(stack.scalar("SELECT count(*) FROM metrics.measures WHERE kpi_code = ANY(%s)", (truth.kpis,)))


def wait_stored(stack: Stack, truth: Truth, fraction: float, timeout: float = 120.0) -> int:
    """Wait until ``fraction`` of the truth's measures are stored; how many are."""
    goal = int(truth.event_count() * fraction)
    wait_for(lambda: stored(stack, truth) >= goal, timeout, interval=0.05)
    return stored(stack, truth)


def feed_of(stack: Stack, pause: float = 0.05) -> Feed:
    return Feed(stack.kafka_bootstrap, chunk=200, pause=pause)


def seeded(stack: Stack, options: Options, **shape: Any) -> Truth:
    truth = Truth(new_tag(), **{"wards": options.wards, "months": options.months, **shape})
    truth.seed(stack)
    return truth


def finish_feed(thread: Any, sent: Sent, timeout: float = 600.0) -> None:
    thread.join(timeout)
    if sent.error is not None:
        raise RuntimeError(f"the feed failed: {sent.error!r}")
    if thread.is_alive():
        raise RuntimeError("the feed did not finish")


# --- the scenarios ---------------------------------------------------------------------------


def consumer_kill(stack: Stack, options: Options) -> Row:
    truth = seeded(stack, options)
    thread, sent = feed_of(stack).publish_in_background(truth.events())
    at = wait_stored(stack, truth, 1 / 3)
    pid = stack.kill9("metrics", "consumer")
    cleared = time.monotonic()
    finish_feed(thread, sent)
    verdict, recovery = settle(stack, truth, cleared, options)
    if recovery is not None and recovery > KILLED_CONSUMER_RECOVERY_GOAL:
        verdict.problems.append(f"recovered in {recovery:.0f} s, more than {KILLED_CONSUMER_RECOVERY_GOAL:.0f} s")
    return row_of("consumer kill -9 mid-batch", verdict, recovery,
                  f"metrics consumer pid {pid} killed with {at}/{truth.event_count()} measures stored")


def relay_kill(stack: Stack, options: Options) -> Row:
    """Many series, so each aggregator pass writes a burst of kpi events; the relay is killed while
    the outbox holds unpublished ones, three times."""
    truth = seeded(stack, options, wards=30, months=max(13, min(options.months // 3, 24)), count_kpis=3)
    thread, sent = feed_of(stack, pause=0.2).publish_in_background(truth.events())
    backlogs = []
    with stack.db() as conn:
        for _ in range(3):
            backlog = _wait_for_backlog(conn, truth, sent)
            if backlog is None:
                break
            pid = stack.kill9("metrics", "relay")
            backlogs.append(backlog)
            wait_for(lambda: stack.worker_pid("metrics", "relay") not in (None, pid), 30, interval=0.1)  # noqa: B023
    cleared = time.monotonic()
    finish_feed(thread, sent)
    verdict, recovery = settle(stack, truth, cleared, options)
    if not backlogs:
        verdict.problems.append("the relay was never caught with a backlog")
    return row_of("relay kill -9 during a burst", verdict, recovery,
                  f"metrics relay killed {len(backlogs)} times with {backlogs} kpi events unpublished")


def _wait_for_backlog(conn: Any, truth: Truth, sent: Sent, timeout: float = 60.0) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute("SELECT count(*) AS n FROM metrics.outbox WHERE published_at IS NULL AND key = ANY(%s)",
                           (truth.keys(),)).fetchone()
        if row["n"]:
            return int(row["n"])
        time.sleep(0.005)
    return None


def _outage(name: str, stop: Callable[[Stack], None], start: Callable[[Stack], None], seconds: float,
            stack: Stack, options: Options) -> Row:
    truth = seeded(stack, options)
    messages = truth.events()
    thread, sent = Feed(stack.kafka_bootstrap, chunk=100, pause=0.3).publish_in_background(messages)
    wait_for(lambda: sent.acknowledged >= len(messages) / 3, 120, interval=0.05)
    at = stored(stack, truth)
    stop(stack)
    try:
        time.sleep(seconds)
    finally:
        start(stack)
    cleared = time.monotonic()
    finish_feed(thread, sent)
    verdict, recovery = settle(stack, truth, cleared, options)
    if recovery is not None and recovery > OUTAGE_RECOVERY_GOAL:
        verdict.problems.append(f"recovered in {recovery:.0f} s, more than {OUTAGE_RECOVERY_GOAL:.0f} s")
    return row_of(f"{name} down {seconds:g} s during a feed", verdict, recovery,
                  f"stopped with {at}/{truth.event_count()} measures stored; the feed resent {sent.resends}")


def kafka_outage(stack: Stack, options: Options) -> Row:
    return _outage("Kafka", Stack.stop_kafka, Stack.start_kafka, options.outage_seconds, stack, options)


def postgres_outage(stack: Stack, options: Options) -> Row:
    return _outage("PostgreSQL (immediate stop)", Stack.stop_postgres_immediately, Stack.start_postgres,
                   options.outage_seconds, stack, options)


def smtp_outage(stack: Stack, options: Options) -> Row:
    """Mailpit stopped before the measures that make alerts are sent; started once every alert is
    queued and the outage has lasted ``smtp_outage_seconds``."""
    truth = seeded(stack, options)
    stack.stop_mail()
    try:
        feed_of(stack, pause=0).publish(truth.events())
        queued = wait_for(lambda: _alerts_queued(stack, truth) >= len(truth.expected_alerts()), options.timeout)
        time.sleep(options.smtp_outage_seconds)
    finally:
        stack.start_mail()
    cleared = time.monotonic()
    verdict, recovery = settle(stack, truth, cleared, options)
    if not queued:
        verdict.problems.append("the alerts were not queued while SMTP was down")
    return row_of("SMTP down while alerts fire", verdict, recovery,
                  f"{len(truth.expected_alerts())} alerts queued while the mail server was down")


def _alerts_queued(stack: Stack, truth: Truth) -> int:
    return int(stack.scalar("SELECT count(*) FROM notifications.notifications WHERE person = %s"
                            " AND event_type = 'kpi.special_cause_detected' AND email_id IS NOT NULL",
                            (truth.owner,)))


def reverse_revisions(stack: Stack, options: Options) -> Row:
    """Two revisions of one month, the later-made first: the one published last wins (Kafka's
    order on the series' partition, not the envelope's time; docs/development.md)."""
    truth = seeded(stack, options, revised_last_month=True)
    feed = feed_of(stack, pause=0)
    feed.publish(truth.events())
    cleared = time.monotonic()
    feed.publish(truth.corrections())  # only after every earlier event was acknowledged
    verdict, recovery = settle(stack, truth, cleared, options)
    return row_of("two revisions in reverse order", verdict, recovery,
                  f"{len(truth.corrections())} months revised; the revision published last is the value")


def rebalance(stack: Stack, options: Options) -> Row:
    """A second consumer process joins the metrics group a third of the way through a feed (the
    group rebalances while the first is busy), and leaves (SIGTERM) two thirds of the way through."""
    truth = seeded(stack, options)
    messages = truth.events()
    extra: list[Any] = []
    seen: dict[str, Any] = {}

    def at_chunk(start: int) -> None:
        if start >= len(messages) / 3 and not extra:
            extra.append(stack.start_extra_consumer("metrics"))
            seen["joined"] = wait_for(lambda: _members(stack, "metrics") >= 2, 60)
            seen["stored_at_join"] = stored(stack, truth)
        elif start >= 2 * len(messages) / 3 and extra and "left" not in seen:
            extra[0].send_signal(signal.SIGTERM)
            seen["left"] = extra[0].wait(timeout=60)
            seen["stored_at_leave"] = stored(stack, truth)

    feed_of(stack, pause=0.1).publish(messages, before_chunk=at_chunk)
    cleared = time.monotonic()
    verdict, recovery = settle(stack, truth, cleared, options)
    if not seen.get("joined"):
        verdict.problems.append("the second consumer never joined the group")
    return row_of("rebalance: a second consumer joins and leaves", verdict, recovery,
                  f"a second consumer joined with {seen.get('stored_at_join')} and left (exit {seen.get('left')}) "
                  f"with {seen.get('stored_at_leave')} of {truth.event_count()} measures stored")


def _members(stack: Stack, group: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap, request_timeout_ms=5000)
    try:
        return len(admin.describe_groups([group])[group]["members"])
    finally:
        admin.close()


# --- poison ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Poison:
    what: str
    category: str | None  # the dead letter's category; None: not dead-lettered (skipped)
    value: bytes | None


def poisons(truth: Truth) -> list[Poison]:
    kpi, unit = truth.counted[0], truth.ward_codes[0]

    def event(**changes: Any) -> dict[str, Any]:
        data = {"kpi_code": kpi, "unit_code": unit, "period": "2015-01", "value": 1.0, "source": "chaos-poison"}
        return json.loads(new_event("measure.recorded", {**data, **changes}, source="urn:chaos").to_json())

    def raw(body: dict[str, Any]) -> bytes:
        return json.dumps(body).encode()

    wrong_version = {**event(), "specversion": "0.3"}
    unknown_type = {**event(), "type": "measure.deleted", "dataschema": "urn:wtgr:event:measure.deleted:1"}
    return [
        Poison("not JSON", "invalid_envelope", b"{definitely not json"),
        Poison("not UTF-8", "invalid_envelope", b"\xff\xfe\x00\x81 bytes"),
        Poison("no value (a tombstone)", "invalid_envelope", None),
        Poison("JSON, not a CloudEvent", "invalid_envelope", b'{"hello": "world"}'),
        Poison("another CloudEvents version", "invalid_envelope", raw(wrong_version)),
        Poison("a month that is no month", "invalid_payload", raw(event(period="Sept"))),
        Poison("a field the contract does not know", "invalid_payload", raw(event(numerater=3))),
        Poison("a number sent as a string", "invalid_payload", raw(event(value="4.6"))),
        Poison("a NUL in text", "invalid_payload", raw(event(source="pas\u0000"))),
        Poison("a lone surrogate in text", "invalid_payload",
               raw(event()).replace(b'"chaos-poison"', b'"chaos-\\ud800"')),
        Poison("too large (300 KB)", "too_large", raw(event(note="x" * 300_000))),
        Poison("too large for its dead letter (900 KB of quotes)", "too_large", raw(event(note='"' * 450_000))),
        Poison("an unknown KPI", "rejected", raw(event(kpi_code=f"NO-KPI-{truth.tag}"))),
        Poison("an unknown unit", "rejected", raw(event(unit_code=f"NO-UNIT-{truth.tag}"))),
        Poison("a month to come", "rejected", raw(event(period="2999-01"))),
        Poison("a count below zero", "rejected", raw(event(value=-5.0))),
        Poison("an event type no one handles", None, raw(unknown_type)),
    ]


def poison(stack: Stack, options: Options) -> Row:
    """Every kind of poison on the partitions of the truth's series, between its good measures."""
    truth = seeded(stack, options)
    good = truth.events()
    bad = poisons(truth)
    key = f"{truth.counted[0]}|{truth.ward_codes[0]}".encode()
    half = len(good) // 2
    messages = [*good[:half], *(Message(key, p.value) for p in bad), *good[half:]]
    sent = feed_of(stack, pause=0).publish(messages)
    cleared = time.monotonic()
    positions = {i - half: sent.positions[i] for i in range(half, half + len(bad))}
    found: dict[int, list[str]] = {}

    def dead_letters(verdict: Verdict) -> None:
        found.clear()
        found.update(_dead_letters_at(stack, {positions[i]: i for i in positions}))
        for i, item in enumerate(bad):
            categories = found.get(i, [])
            expected = 0 if item.category is None else 1
            verdict.lost += max(0, expected - len(categories))
            verdict.duplicated += max(0, len(categories) - expected)
            if categories and item.category is not None and categories[0] != item.category:
                verdict.problems.append(f"{item.what}: dead-lettered as {categories[0]}, not {item.category}")

    verdict, recovery = settle(stack, truth, cleared, options, events=len(messages), extra=dead_letters)
    return row_of("poison messages of every kind", verdict, recovery,
                  f"{len(bad)} kinds: {sum(1 for p in bad if p.category)} dead-lettered once each, "
                  "an unknown type skipped")


def _dead_letters_at(stack: Stack, wanted: dict[tuple[int, int], int]) -> dict[int, list[str]]:
    """The categories of the dead letters of the messages at (partition, offset) of wtgr.measures."""
    dead_letter_topic = platform.service("metrics").dead_letter_topic
    consumer = KafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             consumer_timeout_ms=1500)
    found: dict[int, list[str]] = {}
    try:
        partitions = [TopicPartition(dead_letter_topic, p) for p in consumer.partitions_for_topic(dead_letter_topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        for message in consumer:
            record = json.loads(message.value)
            where = (record.get("original_partition"), record.get("original_offset"))
            if record.get("original_topic") == topics.MEASURES and where in wanted:
                found.setdefault(wanted[where], []).append(record["category"])
    finally:
        consumer.close()
    return found


# --- full replay ---------------------------------------------------------------------------------


def replay(stack: Stack, options: Options) -> Row:
    """The metrics consumer group reset to the earliest offsets: every event on its topics handled
    again, and nothing changes."""
    truth = seeded(stack, options)
    feed_of(stack, pause=0).publish(truth.events())
    before_verdict, _ = settle(stack, truth, time.monotonic(), options)
    if not before_verdict.ok:
        return row_of("consumer group reset to earliest (full replay)", before_verdict, None,
                      "the ground truth was not reached before the replay")
    before = _digest(stack)
    groups = platform.service("metrics").groups  # its consumer's and its lane's: every topic it reads
    for group in groups:
        stack.services.stop_process("metrics", group.process.name, say)
    replayed = sum(_reset_to_earliest(stack, group.name) for group in groups)
    for group in groups:
        stack.services.start_process("metrics", group.process.name)
    cleared = time.monotonic()
    caught_up = wait_for(lambda: all(_lag(stack, group.name) == 0 for group in groups), options.timeout)
    changed: list[str] = []

    def unchanged(verdict: Verdict) -> None:
        changed[:] = [f"{name}: {before[name]} -> {value}" for name, value in _digest(stack).items()
                      if value != before[name]]
        verdict.duplicated += len(changed)
        verdict.problem("what the replay changed", changed)

    verdict, recovery = settle(stack, truth, cleared, options, events=replayed, extra=unchanged)
    if not caught_up:
        verdict.problems.append("the consumer group did not catch up")
    return row_of("consumer group reset to earliest (full replay)", verdict, recovery,
                  f"{replayed} events on {', '.join(platform.service('metrics').consumes)} handled again")


def _digest(stack: Stack) -> dict[str, Any]:
    """What a replay must not change, across the whole env."""
    return stack.rows("""
        SELECT (SELECT count(*) FROM metrics.measures) AS measures,
               (SELECT md5(coalesce(string_agg(concat_ws('|', kpi_code, unit_code, period, value), ','
                                               ORDER BY kpi_code, unit_code, period), '')) FROM metrics.kpi_values)
                   AS kpi_values,
               (SELECT md5(coalesce(string_agg(chart::text, ',' ORDER BY kpi_code, unit_code), ''))
                  FROM metrics.spc_charts) AS charts,
               (SELECT count(*) FROM metrics.outbox) AS metrics_events,
               (SELECT count(*) FROM notifications.emails) AS emails""")[0]


def _reset_to_earliest(stack: Stack, group: str) -> int:
    """Reset the (now empty) group's offsets on every partition of its topics to the earliest;
    how many events it will read again."""
    admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap, request_timeout_ms=10000)
    try:
        if not wait_for(lambda: _members(stack, group) == 0, 60):
            raise RuntimeError(f"consumer group {group} still has members")
        partitions = _partitions(group)
        admin.reset_group_offsets(group, {tp: OffsetSpec.EARLIEST for tp in partitions})
    finally:
        admin.close()
    consumer = KafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, group_id=None)
    try:
        ends, starts = consumer.end_offsets(partitions), consumer.beginning_offsets(partitions)
    finally:
        consumer.close()
    return sum(ends[tp] - starts[tp] for tp in partitions)


def _partitions(group: str) -> list[TopicPartition]:
    """Every partition of the topics ``group`` reads (shared/platform.py)."""
    return [TopicPartition(topic, p) for topic in platform.consumer_groups()[group] for p in range(topics.PARTITIONS)]


def _lag(stack: Stack, group: str) -> int:
    partitions = _partitions(group)
    consumer = KafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    try:
        ends = consumer.end_offsets(partitions)
        return sum(ends[tp] - (consumer.committed(tp) or 0) for tp in partitions)
    finally:
        consumer.close()


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("consumer_kill", True, consumer_kill,
             "a consumer killed mid-batch is restarted and its uncommitted batch redelivered, stored once"),
    Scenario("relay_kill", True, relay_kill,
             "a relay killed with events claimed or sent but not marked loses none; the republished ones change "
             "nothing downstream"),
    Scenario("poison", True, poison, "every kind of bad message is dead-lettered once (an unknown type skipped), "
             "and the good ones around it on the same partition are stored"),
    Scenario("reverse_revisions", True, reverse_revisions,
             "of two revisions of a month, the one published last is the value; both are kept"),
    Scenario("rebalance", True, rebalance, "a second consumer joining and leaving the group loses or doubles nothing"),
    Scenario("smtp_outage", True, smtp_outage, "alerts made while SMTP is down are sent once it is back, once each"),
    Scenario("kafka_outage", False, kafka_outage,
             "Kafka stopped during a feed: every process rides it out or is restarted, nothing lost or doubled"),
    Scenario("postgres_outage", False, postgres_outage,
             "PostgreSQL stopped with -m immediate during a feed: the same, and the outboxes drain"),
    Scenario("replay", False, replay, "the consumer group reset to earliest replays every event and changes nothing"),
)


def scenario(name: str) -> Scenario:
    for item in SCENARIOS:
        if item.name == name:
            return item
    raise KeyError(f"no scenario {name!r}; there are {', '.join(s.name for s in SCENARIOS)}")
