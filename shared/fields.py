"""Marshmallow fields every service's HTTP and event schemas share."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields

from shared.month import FORMAT, PATTERN, Month


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
