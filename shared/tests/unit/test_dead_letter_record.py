"""The dead-letter record always fits, and says where the whole original is (no I/O)."""

from __future__ import annotations

import hashlib
import json
from collections import namedtuple

import pytest

from shared.deadletters.record import MAX_RECORD_BYTES, DeadLetter, dead_letter_for

Message = namedtuple("Message", "topic partition offset key value headers timestamp")
NOW = "2026-10-01T12:00:00+00:00"


def message(value: bytes | None, key: bytes | None = b"ALOS|WARD-7", headers=()) -> Message:
    return Message("wtgr.measures", 4, 1234, key, value, list(headers), 1_790_000_000_000)


def record_of(msg: Message, reason: str = "too large") -> DeadLetter:
    return dead_letter_for(msg, reason, "too_large", "metrics", NOW)


@pytest.mark.parametrize("text", ['"' * 450_000, "\u00e9" * 450_000, "\u0001" * 900_000, "x" * 1_000_000])
def test_a_record_of_a_message_near_the_brokers_limit_fits_with_a_truncated_body_its_length_and_digest(text):
    original = json.dumps({"note": text}).encode()
    encoded = record_of(message(original)).to_json()
    assert len(encoded) <= MAX_RECORD_BYTES
    back = DeadLetter.from_json(encoded)
    assert back.value_bytes == len(original)
    assert back.value_sha256 == hashlib.sha256(original).hexdigest()
    assert not back.complete and back.exact_original() is None
    assert original.decode().startswith(back.value or "-") and len(back.value or "") > 1000
    assert (back.origin.topic, back.origin.partition, back.origin.offset) == ("wtgr.measures", 4, 1234)


def test_a_small_record_holds_the_original_exactly():
    original = b'{"id": "e-1", "note": "caf\xc3\xa9 \\"quoted\\""}'
    back = DeadLetter.from_json(record_of(message(original)).to_json())
    assert back.complete
    assert back.exact_original() == (b"ALOS|WARD-7", original)
    assert back.original_timestamp == 1_790_000_000_000


@pytest.mark.parametrize(("key", "value"), [(b"k", b"\xff\xfe not UTF-8"), (b"\xff", b"{}"), (b"k" * 2000, b"{}"),
                                            (b"k", None)])
def test_a_key_or_value_the_record_cannot_hold_exactly_is_marked_incomplete(key, value):
    back = DeadLetter.from_json(record_of(message(value, key)).to_json())
    assert not back.complete and back.exact_original() is None
    assert back.value_sha256 == hashlib.sha256(value or b"").hexdigest()


def test_an_unbounded_reason_key_and_headers_are_cut_so_that_even_a_record_without_room_keeps_its_origin():
    headers = [(f"h{i}" * 100, b"v" * 10_000) for i in range(100)]
    dead = record_of(message(b"x" * 500_000, b"k" * 900_000, headers), reason="\ud800 " + "why " * 100_000)
    encoded = dead.to_json(0)
    assert len(encoded) < 40_000
    back = DeadLetter.from_json(encoded)
    assert back.value == "" and back.value_bytes == 500_000 and back.origin.offset == 1234
    assert back.reason.startswith("\\ud800 why") and len(back.reason) <= 2005
    assert len(back.headers) == 16
    dead.reason.encode()  # it goes into a Kafka header: no lone surrogate survives


def test_a_record_written_before_lengths_and_digests_reads_back_as_incomplete():
    old = {"reason": "not JSON", "category": "invalid_envelope", "consumer": "metrics",
           "original_topic": "wtgr.measures", "original_partition": 0, "original_offset": 7,
           "original_key": None, "original_value": "{oops", "dead_lettered_at": NOW}
    back = DeadLetter.from_json(json.dumps(old).encode())
    assert not back.complete and back.exact_original() is None
    assert str(back.origin) == "wtgr.measures/0@7"
