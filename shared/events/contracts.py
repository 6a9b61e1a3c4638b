"""Events from outside read against their published contract (docs/contracts), the one source of
truth for what a feed may send.

``ContractReader.for_measures()`` compiles the JSON Schema of ``measure.recorded`` (the envelope
with its payload) once, with fastjsonschema, and decodes messages with orjson: about a sixth of
the time of ``json.loads`` + ``Envelope.from_dict`` + the marshmallow schema. It also applies the
rules the contract states in words: the ratio parts come together and the denominator is not zero,
the time is an RFC 3339 timestamp, and no text PostgreSQL cannot store.

A reader may also have a typed path (``read_raw``): ``measure.recorded`` decoded straight from
its bytes into msgspec structs that say what the contract says, in one call, in about 0.6 of the
time of orjson and ``read`` (shared/events/typed_measures.py; ``python -m bench.contract_reads``).
The consumer runner tries it first, on the raw bytes, before orjson: with one published contract
that is the measure reader, whose struct refuses any other event type at once. It returns what
``read`` returns for the same bytes, or None, and the message is then read as before: orjson,
``read``, the registry. So the typed path only ever accepts; every refusal, and its reason, is
the slower path's (shared/tests/unit/test_typed_measures.py holds the two paths to the same answers).

What the reader accepts, the registry (``shared/events/registry.py``) loads the same from the
same bytes: the same envelope and payload (optional fields present as None, numbers as floats).
A message the reader refuses is judged again by ``Envelope.from_dict`` and the registry (the
consumer runner does it), so a bad event is refused with the reason it always had (a field and
its message); should those accept what the contract refuses, the contract wins (``check``) and
its own message is the reason. Bad events are rare, so their slower path costs nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

from shared.events.envelope import Envelope, EnvelopeError
from shared.events.registry import PayloadError
from shared.events.typed_measures import TypedMeasureReader
from shared.month import PATTERN as MONTH

CONTRACTS = Path(__file__).resolve().parents[2] / "docs" / "contracts"
MEASURE_CONTRACT = CONTRACTS / "measure-recorded.asyncapi.json"
OPTIONAL_NONE = ("numerator", "denominator", "recorded_by", "note")
NUMBERS = ("value", "numerator", "denominator")
TypedRead = Callable[[bytes], "tuple[Envelope, dict[str, Any]] | None"]


def compile_contract(document: Path, schema: str, field: str | None = None) -> Callable[[Any], Any]:
    """The named schema of an AsyncAPI document (or the schema of one of its fields), compiled to a
    validator (raises ``fastjsonschema.JsonSchemaValueException``); its references resolve inside
    the document."""
    contract = json.loads(document.read_text())
    named = contract["components"]["schemas"][schema]
    root = {**(named["properties"][field] if field else named), "components": contract["components"]}
    return fastjsonschema.compile(root)


class ContractReader:
    """Reads the bytes of one event type as its contract says: ``read`` returns the envelope and
    the validated payload, or raises ``EnvelopeError`` / ``PayloadError`` with the reason."""

    def __init__(self, event_type: str, validate: Callable[[Any], Any], typed: TypedRead | None = None):
        self.event_type = event_type
        self._validate = validate
        self._typed = typed

    @classmethod
    def for_measures(cls) -> ContractReader:
        return cls("measure.recorded", compile_contract(MEASURE_CONTRACT, "MeasureRecordedEnvelope"),
                   TypedMeasureReader(compile_contract(MEASURE_CONTRACT, "MeasureRecordedEnvelope", "time")))

    def read_raw(self, raw: bytes) -> tuple[Envelope, dict[str, Any]] | None:
        """The envelope and payload ``read`` would return, typed straight from the bytes when this
        reader has a typed path; None when it has none or that path does not accept them (another
        event type, a bad event, or one of the few good ones it leaves to ``read``)."""
        return self._typed(raw) if self._typed is not None else None

    def read(self, body: Any, raw: bytes) -> tuple[Envelope, dict[str, Any]] | None:
        """The envelope and payload of ``body`` (``raw`` decoded by orjson, an object of this
        reader's type), or None when the contract refuses it: ``Envelope.from_dict`` and the
        registry then give the reason, and ``check`` the contract's own should they accept it."""
        if not self._accepts(body, raw):
            return None
        data = body["data"]
        payload: dict[str, Any] = dict.fromkeys(OPTIONAL_NONE)
        payload.update(data)
        for name in NUMBERS:
            if (number := payload[name]) is not None:
                payload[name] = float(number)
        envelope = Envelope(id=body["id"], source=body["source"], type=body["type"], time=body["time"],
                            data=data, version=1, subject=body.get("subject"),
                            correlationid=body.get("correlationid"))
        return envelope, payload

    def check(self, body: Any) -> None:
        """Raise ``EnvelopeError`` or ``PayloadError`` with the contract's reason if it refuses ``body``."""
        try:
            self._validate(body)
        except fastjsonschema.JsonSchemaValueException as exc:
            where = exc.name or ""
            if where.startswith("data.data."):
                message = exc.message.replace("data.data.", "data.", 1)
                raise PayloadError(f"{self.event_type} data is invalid: {message}",
                                   {where.removeprefix("data.data."): [message]}) from exc
            message = exc.message.removeprefix("data.")
            raise EnvelopeError(f"not a {self.event_type} CloudEvent as its contract says: {message}") from exc

    def _accepts(self, body: Any, raw: bytes) -> bool:
        """Whether the contract and the rules it states in words accept the message."""
        if b"\\u0000" in raw:  # a NUL (orjson refuses a lone surrogate): the registry says where
            return False
        try:
            self._validate(body)
        except fastjsonschema.JsonSchemaException:
            return False
        data = body["data"]
        if not MONTH.fullmatch(data["period"]) or not _ratio_parts_fit(data):
            return False
        if not all(math.isfinite(data[name]) for name in NUMBERS if data.get(name) is not None):
            return False
        try:
            datetime.fromisoformat(body["time"].replace("Z", "+00:00"))
        except ValueError:
            return False
        return True


def decode(raw: bytes) -> Any:
    """The JSON of a message decoded by orjson, or None when orjson refuses it (not JSON, or JSON
    orjson does not read: NaN, a lone surrogate, an integer beyond 64 bits); ``Envelope.from_json``
    then says why, or reads it as it always has."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


PUBLISHED: dict[str, Callable[[], ContractReader]] = {"measure.recorded": ContractReader.for_measures}


def readers_for(event_types: Iterable[str]) -> dict[str, ContractReader]:
    """A reader, compiled now, for each of these event types that has a published contract."""
    return {event_type: PUBLISHED[event_type]() for event_type in event_types if event_type in PUBLISHED}


def _ratio_parts_fit(data: dict[str, Any]) -> bool:
    numerator, denominator = data.get("numerator"), data.get("denominator")
    return (numerator is None) == (denominator is None) and denominator != 0
