"""The dead-letter record: what a consumer writes to ``wtgr.<service>.deadletter``, and how it reads back.

A record is one JSON object: ``reason``, ``category`` (a short fixed word, the metric's label),
``consumer``, where the message came from (``original_topic``, ``original_partition``,
``original_offset``, ``original_timestamp``), ``original_key``, ``original_value``,
``original_value_bytes`` and ``original_value_sha256`` (the length and digest of the original
value's bytes), ``original_complete``, ``original_headers`` and ``dead_lettered_at``.

Guarantee: a record always fits. Its encoding is at most ``max_bytes`` (MAX_RECORD_BYTES by
default, far below the producer's and the broker's 1 MB limits): the reason, key and headers are
cut to bounded lengths and the value is truncated until the record fits. ``original_complete`` is
true only when the key and value are held exactly (whole, and valid UTF-8); otherwise the original
bytes stay retrievable from ``original_topic`` at that partition and offset for the topic's
retention, and the length and SHA-256 tell whether what was fetched is the original.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

MAX_RECORD_BYTES = 128 * 1024
MAX_REASON_CHARS = 2000
MAX_KEY_BYTES = 1024
MAX_HEADERS = 16
MAX_HEADER_CHARS = 256


@dataclass(frozen=True)
class Origin:
    """Where a dead-lettered message was read: its topic, partition and offset."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    category: str
    consumer: str
    origin: Origin
    key: str | None
    value: str | None
    value_bytes: int
    value_sha256: str
    complete: bool  # key and value are the original bytes exactly (whole, valid UTF-8)
    dead_lettered_at: str
    original_timestamp: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def exact_original(self) -> tuple[bytes | None, bytes] | None:
        """The original key and value bytes when this record holds them exactly, else None."""
        if not self.complete or self.value is None:
            return None
        value = self.value.encode()
        if hashlib.sha256(value).hexdigest() != self.value_sha256:
            return None
        return (None if self.key is None else self.key.encode()), value

    def to_json(self, max_bytes: int = MAX_RECORD_BYTES) -> bytes:
        """The record, at most ``max_bytes`` long: the value is truncated until it fits."""
        value = self.value or ""
        limit = len(value)
        while True:
            kept = self if limit == len(value) else replace(self, value=value[:limit], complete=False)
            encoded = json.dumps(kept._fields()).encode()
            if len(encoded) <= max_bytes or limit == 0:
                return encoded
            limit = min(limit - 1, int(limit * max_bytes / len(encoded) * 0.9))

    def _fields(self) -> dict[str, Any]:
        return {
            "reason": self.reason, "category": self.category, "consumer": self.consumer,
            "original_topic": self.origin.topic, "original_partition": self.origin.partition,
            "original_offset": self.origin.offset, "original_timestamp": self.original_timestamp,
            "original_key": self.key, "original_value": self.value,
            "original_value_bytes": self.value_bytes, "original_value_sha256": self.value_sha256,
            "original_complete": self.complete, "original_headers": self.headers,
            "dead_lettered_at": self.dead_lettered_at,
        }

    @classmethod
    def from_json(cls, raw: bytes) -> DeadLetter:
        """A record read back; records written before lengths and digests existed read as incomplete."""
        body = json.loads(raw)
        return cls(
            reason=str(body.get("reason", "")), category=str(body.get("category", "")),
            consumer=str(body.get("consumer", "")),
            origin=Origin(str(body["original_topic"]), int(body["original_partition"]), int(body["original_offset"])),
            key=body.get("original_key"), value=body.get("original_value"),
            value_bytes=int(body.get("original_value_bytes", -1)),
            value_sha256=str(body.get("original_value_sha256", "")),
            complete=bool(body.get("original_complete", False)),
            dead_lettered_at=str(body.get("dead_lettered_at", "")),
            original_timestamp=body.get("original_timestamp"),
            headers=dict(body.get("original_headers") or {}),
        )


def dead_letter_for(message: Any, reason: str, category: str, consumer: str, now: str) -> DeadLetter:
    """The record of a Kafka ``message`` (topic, partition, offset, key, value, headers) that is
    dead-lettered for ``reason``; its text fields already cut to their bounds, its value whole."""
    raw = message.value or b""
    key, key_exact = _text(message.key, MAX_KEY_BYTES)
    value, value_exact = _text(message.value)
    return DeadLetter(
        reason=_bounded(reason, MAX_REASON_CHARS), category=category, consumer=consumer,
        origin=Origin(message.topic, message.partition, message.offset),
        key=key, value=value, value_bytes=len(raw), value_sha256=hashlib.sha256(raw).hexdigest(),
        complete=key_exact and value_exact and message.value is not None, dead_lettered_at=now,
        original_timestamp=getattr(message, "timestamp", None),
        headers=_headers(getattr(message, "headers", None) or []),
    )


def _text(raw: bytes | None, limit: int | None = None) -> tuple[str | None, bool]:
    """The bytes as text (cut to ``limit`` bytes), and whether that text is exactly those bytes."""
    if raw is None:
        return None, True
    kept = raw if limit is None else raw[:limit]
    try:
        return kept.decode(), kept == raw
    except UnicodeDecodeError:
        return kept.decode(errors="replace"), False


def _bounded(text: str, limit: int) -> str:
    """At most ``limit`` characters, with no lone surrogates (they cannot be encoded)."""
    return text[:limit].encode(errors="backslashreplace").decode()


def _headers(headers: list[tuple[str, bytes | None]]) -> dict[str, str]:
    return {_bounded(name, MAX_HEADER_CHARS): _bounded((value or b"").decode(errors="replace"), MAX_HEADER_CHARS)
            for name, value in headers[:MAX_HEADERS]}
