"""Dead letters on the real Kafka and PostgreSQL: no message blocks its partition, bad text is bad
input at once, and dead letters can be listed, shown and replayed (python -m shared.deadletters)."""

import hashlib
import json

import pytest
from kafka.structs import TopicPartition

from shared.consumer import RejectEvent
from shared.deadletters import DeadLetter
from shared.deadletters.__main__ import main as deadletters_cli
from shared.deadletters.store import dead_letter_at, original_of
from shared.events import new_event
from shared.kafka_clients import offset_reader
from shared.tests.integration.conftest import read_all
from shared.tests.integration.test_consumer_runner import MEASURE, effects, make_runner, record_effect, run_until, send

pytestmark = pytest.mark.integration

KEY = b"ALOS|WARD-7"


@pytest.fixture
def topics(scratch_topic, dead_letter_topic):
    return scratch_topic, dead_letter_topic


@pytest.fixture
def reader(kafka_bootstrap):
    reader = offset_reader(kafka_bootstrap, "tests-deadletters")
    yield reader
    reader.close()


def measures(count: int) -> list:
    return [new_event("measure.recorded", {**MEASURE, "period": f"2026-{m:02}"}, source="urn:test")
            for m in range(1, count + 1)]


def only_dead_letter(kafka_bootstrap: str, topic: str) -> DeadLetter:
    [dead] = read_all(kafka_bootstrap, topic, expected=1)
    return DeadLetter.from_json(dead.value)


def test_a_message_whose_dead_letter_record_would_outgrow_the_broker_does_not_block_its_partition(
    pool, producer, kafka_bootstrap, topics, reader
):
    # ~900 KB: under the broker's 1 MB, over the consumer's 256 KiB; every quote is escaped twice
    # over in a record that embeds the original as JSON text, so that record would be ~1.8 MB.
    poison = new_event("measure.recorded", {**MEASURE, "note": '"' * 450_000}, source="urn:test").to_json()
    assert 850_000 < len(poison) < 1_000_000
    good = measures(3)
    send(producer, topics[0], poison)
    for event in good:
        send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics)  # the default limits
    assert run_until(runner, 4) == 4
    assert [effects(pool, event.id) for event in good] == [1, 1, 1], "the good measures behind it are handled"
    [partition] = [tp for tp in runner.consumer.assignment() if runner.consumer.committed(tp)]
    assert runner.consumer.committed(partition) == 4

    [message] = read_all(kafka_bootstrap, topics[1], expected=1)
    assert len(message.value) <= 128 * 1024
    record = DeadLetter.from_json(message.value)
    assert record.category == "too_large"
    assert (record.origin.topic, record.origin.partition, record.origin.offset) == (topics[0], partition.partition, 0)
    assert record.value_bytes == len(poison)
    assert record.value_sha256 == hashlib.sha256(poison).hexdigest()
    assert not record.complete and poison.decode().startswith(record.value or "-")
    assert original_of(reader, record).value == poison, "the full bytes are read back from the source topic"
    runner.consumer.close()


@pytest.mark.parametrize("bad_text", ["NUL \u0000 in a feed", "a lone surrogate \ud800"])
def test_text_postgres_cannot_store_is_dead_lettered_as_invalid_payload_without_a_retry(
    pool, producer, kafka_bootstrap, topics, bad_text
):
    calls = []

    def counting(uow, event, payload):
        calls.append(event.id)
        record_effect(uow, event, payload)

    bad = new_event("measure.recorded", {**MEASURE, "source": bad_text}, source="urn:test")
    [good] = measures(1)
    send(producer, topics[0], bad.to_json())
    send(producer, topics[0], good.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": counting}, max_attempts=5)
    assert run_until(runner, 2) == 2
    assert calls == [good.id], "the handler never sees the bad event"
    record = only_dead_letter(kafka_bootstrap, topics[1])
    assert record.category == "invalid_payload"
    assert "data.source: text PostgreSQL cannot store" in record.reason
    runner.consumer.close()


@pytest.mark.parametrize("suffix", ["\u0000", "\ud800"])
def test_a_handler_whose_text_postgres_refuses_is_not_retried_as_if_transient(
    pool, producer, kafka_bootstrap, topics, suffix
):
    attempts = []

    def stores_bad_text(uow, event, payload):
        attempts.append(event.id)
        uow.execute("INSERT INTO test_effects (event_id, note) VALUES (%s, %s)", (event.id, "made " + suffix))

    [event] = measures(1)
    send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": stores_bad_text},
                         max_attempts=5)
    assert run_until(runner, 1) == 1
    assert attempts == [event.id]
    record = only_dead_letter(kafka_bootstrap, topics[1])
    assert record.category == "invalid_payload"
    assert record.reason.startswith("cannot be stored:")
    runner.consumer.close()


def dead_letter_three(pool, producer, kafka_bootstrap, topics, fixed: list[bool], **options):
    """Offsets 0, 1, 2 of the dead-letter topic: rejected (until ``fixed``), invalid, rejected."""
    def reject_until_fixed(uow, event, payload):
        if not fixed:
            raise RejectEvent(f"unknown KPI {payload['kpi_code']}")
        record_effect(uow, event, payload)

    first, third = new_event("measure.recorded", {**MEASURE, "note": "n" * 1500}, source="urn:test"), measures(1)[0]
    invalid = new_event("measure.recorded", {**MEASURE, "period": "Sept"}, source="urn:test")
    for event in (first, invalid, third):
        send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": reject_until_fixed},
                         **options)
    assert run_until(runner, 3) == 3
    return runner, (first, invalid, third)


def test_dead_letters_are_listed_by_reason_and_shown_with_their_reason_and_origin(
    pool, producer, kafka_bootstrap, topics, capsys
):
    runner, _ = dead_letter_three(pool, producer, kafka_bootstrap, topics, fixed=[])
    base = ["--bootstrap", kafka_bootstrap]
    assert deadletters_cli([*base, "list", "--topic", topics[1], "--reason", "rejected"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["0", "2"]
    assert all(line.split("\t")[3] == "rejected" and "unknown KPI ALOS" in line for line in lines)

    assert deadletters_cli([*base, "show", "metrics", "1", "--topic", topics[1]]) == 0
    shown = capsys.readouterr().out
    assert "invalid_payload" in shown and "must be a month" in shown
    assert f"origin:           {topics[0]}/" in shown and "@1" in shown
    runner.consumer.close()


def test_a_dead_letter_replayed_after_the_fix_is_handled_with_a_new_replay_id(
    pool, producer, kafka_bootstrap, topics, reader, capsys
):
    fixed: list[bool] = []
    runner, (first, _, third) = dead_letter_three(pool, producer, kafka_bootstrap, topics, fixed,
                                                  max_dead_letter_bytes=1000)
    assert not dead_letter_at(reader, topics[1], 0).record.complete, "truncated: replayed from the source topic"
    fixed.append(True)  # the KPI is created
    assert deadletters_cli(["--bootstrap", kafka_bootstrap, "replay", "metrics", "0", "2", "--topic", topics[1]]) == 0
    assert capsys.readouterr().out.count("replay_id") == 2
    assert run_until(runner, 2) == 2
    assert [effects(pool, first.id), effects(pool, third.id)] == [1, 1]

    replayed = [m for m in read_all(kafka_bootstrap, topics[0], expected=5) if m.headers]
    assert [m.value for m in replayed] == [first.to_json(), third.to_json()], "the original bytes"
    ids = [dict(m.headers)["replay_id"] for m in replayed]
    assert len(set(ids)) == 2 and all(len(i) == 36 for i in ids)
    assert dict(replayed[0].headers)["replay_of"] == f"{topics[1]}/0@0".encode()
    runner.consumer.close()


def test_a_replay_is_refused_while_the_original_is_still_invalid(
    pool, producer, kafka_bootstrap, topics, reader, capsys
):
    runner, _ = dead_letter_three(pool, producer, kafka_bootstrap, topics, fixed=[])
    source = [TopicPartition(topics[0], p) for p in reader.partitions_for_topic(topics[0])]
    before = reader.end_offsets(source)
    assert deadletters_cli(["--bootstrap", kafka_bootstrap, "replay", "metrics", "1", "--topic", topics[1]]) == 1
    assert "still invalid" in capsys.readouterr().err
    assert reader.end_offsets(source) == before, "nothing was sent"
    runner.consumer.close()


def test_the_full_original_of_a_truncated_dead_letter_is_shown_from_the_source_topic(
    pool, producer, kafka_bootstrap, topics, capsysbinary
):
    runner, (first, _, _) = dead_letter_three(pool, producer, kafka_bootstrap, topics, fixed=[],
                                              max_dead_letter_bytes=1000)
    assert deadletters_cli(["--bootstrap", kafka_bootstrap, "show", "metrics", "0", "--topic", topics[1],
                            "--original"]) == 0
    assert capsysbinary.readouterr().out == first.to_json()
    assert json.loads(first.to_json())["data"]["note"] == "n" * 1500
    runner.consumer.close()
