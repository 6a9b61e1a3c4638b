"""``measure.recorded`` decoded straight from its bytes into typed objects (msgspec), in one call.

The structs below say what the published contract says (docs/contracts/measure-recorded.asyncapi.json;
shared/tests/unit/test_typed_measures.py holds them to it): the consts, the required fields, the
anchored patterns (``\\Z``, as fastjsonschema reads the contract's ``$``), the lengths in characters,
numbers that are not booleans, no field the contract does not define. What msgspec cannot say is
checked after decoding, cheaply: no ``\\u0000`` in the bytes, the ratio parts together and the
denominator not zero, finite numbers orjson reads as this path does, and the time the contract's
own ``date-time`` rule (compiled by fastjsonschema) and ``datetime.fromisoformat`` accept.

It never accepts what the orjson way (``ContractReader.read``) refuses: ``TypedMeasureReader``
returns what ``read`` returns for the same bytes (the same envelope, the payload with optional
fields None and numbers as floats), or None, and then the consumer reads the message the way it
always has (orjson, the JSON Schema, the registry), with the reasons it always gave. So it leaves
to that slower way a few messages the contract accepts: an envelope attribute the contract does
not name (an extension such as ``traceparent``), an integer orjson reads as a float (beyond 64
bits), a name sent twice in an object whose first value the contract refuses (msgspec checks
each; orjson keeps the last). Lone surrogates, NaN, numbers out of range and malformed UTF-8
both decoders refuse.

``envelope.data`` holds the fields the message sent, with the values it sent (an integer stays an
integer), in the struct's order rather than the message's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import fastjsonschema
import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from shared.events.envelope import Envelope

Code = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")]
MonthText = Annotated[str, Meta(pattern=r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])\Z")]
Text = Annotated[str, Meta(min_length=1)]
Number = int | float  # an integer stays one in envelope.data, as orjson reads it
# The integers orjson reads as integers; wider ones it reads as floats.
SMALLEST_INT, LARGEST_INT = -(2**63), 2**64 - 1


class MeasureRecordedData(Struct, forbid_unknown_fields=True):
    """``MeasureRecordedV1`` of the contract (``additionalProperties: false``)."""

    kpi_code: Code
    unit_code: Code
    period: MonthText
    value: Number
    source: Annotated[str, Meta(min_length=1, max_length=200)]
    numerator: Number | None | UnsetType = UNSET
    denominator: Number | None | UnsetType = UNSET
    recorded_by: Annotated[str, Meta(max_length=200)] | None | UnsetType = UNSET
    note: Annotated[str, Meta(max_length=2000)] | None | UnsetType = UNSET


class MeasureRecordedEvent(Struct, forbid_unknown_fields=True):
    """``MeasureRecordedEnvelope`` of the contract, with no attribute it does not name."""

    specversion: Literal["1.0"]
    id: Text
    source: Text
    type: Literal["measure.recorded"]
    time: str  # its date-time rule is the contract's own, checked after decoding
    dataschema: Literal["urn:wtgr:event:measure.recorded:1"]
    data: MeasureRecordedData
    subject: str | UnsetType = UNSET
    datacontenttype: Literal["application/json"] | UnsetType = UNSET
    correlationid: str | UnsetType = UNSET


_DECODER = msgspec.json.Decoder(MeasureRecordedEvent)


class TypedMeasureReader:
    """Reads the bytes of a ``measure.recorded`` event into (envelope, payload), or None when
    this path does not accept them (``time_rule`` raises ``fastjsonschema.JsonSchemaException``
    for a time the contract refuses)."""

    def __init__(self, time_rule: Callable[[str], Any]):
        self._time_rule = time_rule

    def __call__(self, raw: bytes) -> tuple[Envelope, dict[str, Any]] | None:
        if b"\\u0000" in raw:  # a NUL, which PostgreSQL cannot store: the registry says where
            return None
        try:
            event = _DECODER.decode(raw)
        except msgspec.DecodeError:  # ValidationError included
            return None
        payload = _payload(event.data)
        if payload is None or not self._is_time(event.time):
            return None
        envelope = Envelope(id=event.id, source=event.source, type=event.type, time=event.time,
                            data=msgspec.to_builtins(event.data),  # the fields sent: UNSET ones left out
                            version=1, subject=_or_none(event.subject), correlationid=_or_none(event.correlationid))
        return envelope, payload

    def _is_time(self, text: str) -> bool:
        try:
            self._time_rule(text)
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (fastjsonschema.JsonSchemaException, ValueError):
            return False
        return True


def _payload(data: MeasureRecordedData) -> dict[str, Any] | None:
    """The payload as ``ContractReader.read`` gives it (optional fields None, numbers floats), or
    None when its numbers do not fit or the ratio parts do not come together."""
    value, numerator, denominator = data.value, _or_none(data.numerator), _or_none(data.denominator)
    if (numerator is None) != (denominator is None) or denominator == 0:
        return None
    if not (_number_fits(value) and _number_fits(numerator) and _number_fits(denominator)):
        return None
    return {"kpi_code": data.kpi_code, "unit_code": data.unit_code, "period": data.period, "value": float(value),
            "numerator": None if numerator is None else float(numerator),
            "denominator": None if denominator is None else float(denominator),
            "source": data.source, "recorded_by": _or_none(data.recorded_by), "note": _or_none(data.note)}


def _number_fits(number: int | float | None) -> bool:
    """Finite, and read as orjson reads it (an integer beyond 64 bits it reads as a float)."""
    if isinstance(number, float):
        return math.isfinite(number)
    return number is None or SMALLEST_INT <= number <= LARGEST_INT


def _or_none(value: Any) -> Any:
    return None if value is UNSET else value
