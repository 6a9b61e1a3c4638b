"""Text PostgreSQL cannot store is bad input, refused when the event is read (no I/O)."""

from __future__ import annotations

import json

import pytest

from shared.events import REGISTRY, Envelope, EnvelopeError, PayloadError, new_event
from shared.events.storable import unstorable_text_at

MEASURE = {"kpi_code": "ALOS", "unit_code": "WARD-7", "period": "2026-09", "value": 4.2, "source": "pas"}


@pytest.mark.parametrize(("value", "where"), [
    ({"a": "fine", "b": "nul\u0000"}, "data.b"),
    ({"a": ["ok", {"c": "lone \udc00"}]}, "data.a[1].c"),
    ({"key \u0000": 1}, "data.key \\x00"),
    ({"a": "pair \U0001f600 is fine", "b": [1, None, True]}, None),
])
def test_the_path_of_unstorable_text_is_named(value, where):
    assert unstorable_text_at(value) == where


@pytest.mark.parametrize("escaped", ["\\u0000", "\\ud800", "\\udfff tail"])
def test_a_feed_measure_with_unstorable_text_from_json_is_an_invalid_payload(escaped):
    raw = new_event("measure.recorded", {**MEASURE, "source": "SOURCE"}, source="urn:t").to_json()
    event = Envelope.from_json(raw.replace(b"SOURCE", escaped.encode()))
    with pytest.raises(PayloadError, match="data.source: text PostgreSQL cannot store") as caught:
        REGISTRY.load(event)
    assert list(caught.value.errors) == ["data.source"]


def test_an_emoji_written_as_a_surrogate_pair_in_json_is_fine():
    raw = new_event("measure.recorded", {**MEASURE, "source": "SOURCE"}, source="urn:t").to_json()
    event = Envelope.from_json(raw.replace(b"SOURCE", b"\\ud83d\\ude00"))
    assert REGISTRY.load(event)["source"] == "\U0001f600"


@pytest.mark.parametrize("attribute", ["id", "source", "subject", "correlationid"])
def test_an_envelope_attribute_with_unstorable_text_is_an_invalid_envelope(attribute):
    body = json.loads(new_event("measure.recorded", MEASURE, source="urn:t").to_json())
    body[attribute] = "x\u0000"
    with pytest.raises(EnvelopeError, match=f"{attribute}: text PostgreSQL cannot store"):
        Envelope.from_dict(body)
