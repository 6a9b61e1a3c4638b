"""CloudEvents 1.0 in JSON structured mode, the one envelope every WTGR event travels in.

The id is unique and stable: consumers record it to make handling idempotent. The payload's
schema and version are named by ``dataschema`` (``urn:wtgr:event:<type>:<version>``), and the
correlation id of the request that caused the event travels in the ``correlationid`` extension.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

from shared.events.storable import UNSTORABLE_TEXT, unstorable_text_at

SPEC_VERSION = "1.0"
_DATASCHEMA = re.compile(r"^urn:wtgr:event:(?P<type>[a-z_.]+):(?P<version>[1-9][0-9]*)$")
_REQUIRED = ("id", "source", "type", "specversion", "time", "dataschema", "data")


class EnvelopeError(ValueError):
    """The bytes are not a WTGR CloudEvent; the reason says what is wrong."""


class Envelope(NamedTuple):
    """An event as it travels. A named tuple, immutable: a consumer makes one per message (a
    backfill's million), and a frozen dataclass of these fields took 2.5 times as long to make."""

    id: str
    source: str
    type: str
    time: str
    data: dict[str, Any]
    version: int = 1
    subject: str | None = None
    correlationid: str | None = None
    specversion: str = SPEC_VERSION

    @property
    def dataschema(self) -> str:
        return f"urn:wtgr:event:{self.type}:{self.version}"

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "datacontenttype": "application/json",
            "dataschema": self.dataschema,
            "data": self.data,
        }
        if self.subject is not None:
            body["subject"] = self.subject
        if self.correlationid is not None:
            body["correlationid"] = self.correlationid
        return body

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EnvelopeError(f"not JSON: {exc}") from exc
        return cls.from_dict(body)

    @classmethod
    def from_dict(cls, body: Any) -> Envelope:
        if not isinstance(body, dict):
            raise EnvelopeError("a CloudEvent must be a JSON object")
        missing = [name for name in _REQUIRED if body.get(name) in (None, "")]
        if missing:
            raise EnvelopeError(f"missing CloudEvents attributes: {', '.join(missing)}")
        if body["specversion"] != SPEC_VERSION:
            raise EnvelopeError(f"specversion must be {SPEC_VERSION}")
        match = _DATASCHEMA.match(str(body["dataschema"]))
        if not match or match["type"] != body["type"]:
            raise EnvelopeError("dataschema must be urn:wtgr:event:<type>:<version> for its type")
        if not isinstance(body["data"], dict):
            raise EnvelopeError("data must be a JSON object")
        _check_time(body["time"])
        _check_storable(body)
        return cls(
            id=str(body["id"]),
            source=str(body["source"]),
            type=str(body["type"]),
            time=str(body["time"]),
            data=body["data"],
            version=int(match["version"]),
            subject=body.get("subject"),
            correlationid=body.get("correlationid"),
        )


def _check_storable(body: dict[str, Any]) -> None:
    where = unstorable_text_at({name: body.get(name) for name in ("id", "source", "subject", "correlationid")}, "")
    if where is not None:
        raise EnvelopeError(f"{where.lstrip('.')}: {UNSTORABLE_TEXT}")


def _check_time(value: Any) -> None:
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise EnvelopeError("time must be an RFC 3339 timestamp") from exc


def new_event(
    type: str,
    data: dict[str, Any],
    *,
    source: str,
    subject: str | None = None,
    version: int = 1,
    correlationid: str | None = None,
    now: datetime | None = None,
) -> Envelope:
    """A fresh envelope with a new unique id, stamped now (UTC)."""
    stamp = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    return Envelope(
        id=str(uuid.uuid4()),
        source=source,
        type=type,
        time=stamp,
        data=data,
        version=version,
        subject=subject,
        correlationid=correlationid,
    )
