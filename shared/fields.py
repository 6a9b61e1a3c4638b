"""Marshmallow fields every service's HTTP and event schemas share."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields

from shared.month import FORMAT, PATTERN, Month
from shared.pid_guard import ADVICE, DESCRIPTION, find_patient_data


class MonthField(fields.Field):
    """A month on the wire, ``YYYY-MM`` (1900-01 to 2999-12), as a ``shared.month.Month`` in Python.

    Loads text into a ``Month`` (anything else is refused with one message); dumps a ``Month`` or a
    stored period (the month's first day, a ``date``) as ``YYYY-MM``, and text as it is.

    ``loads_text=True`` checks the text the same way but loads it as the text: event payloads use
    it, so what a consumer reads stays the JSON the producer sent.
    """

    default_error_messages = {"invalid_month": f"must be a month as {FORMAT}, from 1900"}

    def __init__(self, *, loads_text: bool = False, **kwargs: Any) -> None:
        self.loads_text = loads_text
        metadata = {"type": "string", "pattern": PATTERN.pattern, "example": "2026-03", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Month):
            return str(value)
        if isinstance(value, date):
            return str(Month.of(value))
        return str(value)  # text: already YYYY-MM (a chart's months); validated where it is loaded

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Month | str:
        try:
            month = Month.parse(value)
        except ValueError:
            raise self.make_error("invalid_month") from None
        return value if self.loads_text else month


class FreeText(fields.String):
    """Free text that must not identify a patient (shared/pid_guard.py says what is looked for).

    A ``String`` whose load refuses text carrying an NHS number, a date of birth, a postcode next
    to a name or a hospital record number, with the reason as the field's error (so the request is
    a 422 naming the field). Its OpenAPI description says so, after any description given.
    """

    default_error_messages = {"patient_data": "{reason}; " + ADVICE}

    def __init__(self, **kwargs: Any) -> None:
        metadata = dict(kwargs.pop("metadata", {}))
        given = metadata.get("description")
        metadata["description"] = f"{given} {DESCRIPTION}" if given else DESCRIPTION
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        reason = find_patient_data(text)
        if reason is not None:
            raise self.make_error("patient_data", reason=reason)
        return text
