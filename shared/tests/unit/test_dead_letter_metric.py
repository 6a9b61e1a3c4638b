"""Every dead letter is counted by reason, and sent even when its topic allows less than expected
(no broker: a fake producer; the real one is exercised in the integration tests)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from kafka.errors import MessageSizeTooLargeError
from prometheus_client import REGISTRY

from shared.consumer import ConsumerRunner
from shared.deadletters import DeadLetter
from shared.events import new_event

Message = namedtuple("Message", "topic partition offset key value headers timestamp")


class Sent:
    def get(self, timeout: float) -> None:
        return None


class RecordingProducer:
    """Records what it sends; refuses a value over ``limit`` bytes as the broker would."""

    def __init__(self, limit: int = 10**9):
        self.limit = limit
        self.sent: list[dict[str, Any]] = []

    def send(self, topic: str, **record: Any) -> Sent:
        if len(record["value"]) > self.limit:
            raise MessageSizeTooLargeError(f"{len(record['value'])} bytes")
        self.sent.append({"topic": topic, **record})
        return Sent()


def runner(producer: RecordingProducer, service: str, **options: Any) -> ConsumerRunner:
    return ConsumerRunner(service, None, None, producer, "dl", {"measure.recorded": lambda *_: None},  # type: ignore[arg-type]
                          **options)


def counted(service: str, reason: str) -> float:
    return REGISTRY.get_sample_value("wtgr_events_dead_lettered_total", {"service": service, "reason": reason}) or 0


def message(value: bytes, offset: int = 0) -> Message:
    return Message("wtgr.measures", 0, offset, b"k", value, [], None)


def test_every_dead_letter_is_counted_by_its_reason():
    invalid = new_event("measure.recorded", {"kpi_code": "A"}, source="urn:t").to_json()
    consumer = runner(RecordingProducer(), "counted", max_event_bytes=1000)
    for offset, value in enumerate([b"not json", b"{" * 2000, invalid, invalid]):
        assert consumer.process(message(value, offset)).status == "dead_lettered"
    assert [counted("counted", reason) for reason in ("invalid_envelope", "too_large", "invalid_payload")] == [1, 1, 2]
    assert [sent["headers"][1] for sent in consumer.producer.sent] == [
        ("category", b"invalid_envelope"), ("category", b"too_large"),
        ("category", b"invalid_payload"), ("category", b"invalid_payload")]


def test_a_record_its_topic_refuses_is_sent_again_without_a_body_and_counted_once():
    producer = RecordingProducer(limit=2000)
    consumer = runner(producer, "refused", max_event_bytes=1000)
    assert consumer.process(message(b"x" * 50_000, offset=9)).status == "dead_lettered"
    [sent] = producer.sent
    record = DeadLetter.from_json(sent["value"])
    assert record.value == "" and record.value_bytes == 50_000 and record.origin.offset == 9
    assert counted("refused", "too_large") == 1
