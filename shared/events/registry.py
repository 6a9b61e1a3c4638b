"""Which marshmallow schema validates which event type and version."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError

from shared.events import board_packs, ideas, payloads, projects, signals, stories, training
from shared.events.compiled import CompiledDump, CompiledLoad
from shared.events.envelope import Envelope
from shared.events.storable import UNSTORABLE_TEXT, unstorable_text_at


class PayloadError(ValueError):
    """The envelope is fine but its data does not match the schema for its type and version."""

    def __init__(self, message: str, errors: Any = None):
        super().__init__(message)
        self.errors = errors or {}


# Event types whose published contract refuses fields it does not define (additionalProperties:
# false in docs/contracts): a feed's misspelt field is dead-lettered, not dropped unseen. Every
# other event is read tolerantly: a consumer reads the fields it declares and ignores any other,
# so a producer may add an optional field before its consumers are upgraded.
REFUSES_UNKNOWN_FIELDS = frozenset({"measure.recorded"})
# Outgoing events checked the compiled way first (shared/events/compiled.py: the same outcome,
# many times faster): those sent in bulk, kpi.updated (a chart's whole series) after a backfill.
COMPILED_DUMPS = frozenset({("kpi.updated", 1)})
# Incoming events read the compiled way first, for the same reason: each kpi.updated a backfill's
# charts send is read by four consumers (metrics' events lane, projects, notifications, stories).
COMPILED_LOADS = frozenset({("kpi.updated", 1)})


class EventRegistry:
    def __init__(self) -> None:
        self._schemas: dict[tuple[str, int], type[Schema]] = {}
        self._instances: dict[tuple[str, int], Schema] = {}
        self._compiled: dict[tuple[str, int], CompiledDump] = {}
        self._compiled_loads: dict[tuple[str, int], CompiledLoad] = {}

    def register(self, type: str, version: int, schema: type[Schema]) -> None:
        self._schemas[(type, version)] = schema
        self._instances[(type, version)] = schema()  # stateless between calls, so one instance serves all
        if (type, version) in COMPILED_DUMPS:
            self._compiled[(type, version)] = CompiledDump(self._instances[(type, version)])
        if (type, version) in COMPILED_LOADS:
            self._compiled_loads[(type, version)] = CompiledLoad(self._instances[(type, version)])

    def knows(self, type: str) -> bool:
        return any(known == type for known, _ in self._schemas)

    def schema_for(self, type: str, version: int) -> type[Schema]:
        try:
            return self._schemas[(type, version)]
        except KeyError:
            raise PayloadError(f"no schema for {type} version {version}") from None

    def load(self, envelope: Envelope) -> dict[str, Any]:
        """The validated, deserialised payload; PayloadError with field detail when it is invalid,
        text PostgreSQL cannot store included (shared/events/storable.py). The compiled check
        first, for the types that have one; the schema judges what it refuses."""
        schema = self._instance(envelope.type, envelope.version)
        where = unstorable_text_at(envelope.data)
        if where is not None:
            raise PayloadError(f"{envelope.type} data is invalid: {where}: {UNSTORABLE_TEXT}",
                               {where: [UNSTORABLE_TEXT]})
        compiled = self._compiled_loads.get((envelope.type, envelope.version))
        if compiled is not None and (loaded := compiled(envelope.data)) is not None:
            return loaded
        try:
            if envelope.type in REFUSES_UNKNOWN_FIELDS:
                return schema.load(envelope.data, unknown=RAISE)
            return schema.load(envelope.data, unknown=EXCLUDE)
        except ValidationError as exc:
            raise PayloadError(f"{envelope.type} data is invalid: {exc.messages}", exc.messages) from exc

    def dump(self, type: str, data: dict[str, Any], version: int = 1) -> dict[str, Any]:
        """The JSON-ready payload, validated on the way out so no service emits a bad event (the
        compiled check first, for the types that have one; the schema judges what it refuses)."""
        compiled = self._compiled.get((type, version))
        if compiled is not None and (dumped := compiled(data)) is not None:
            return dumped
        schema = self._instance(type, version)
        dumped = schema.dump(data)
        errors = schema.validate(dumped)
        if errors:
            raise PayloadError(f"{type} data is invalid: {errors}", errors)
        return dumped

    def _instance(self, type: str, version: int) -> Schema:
        self.schema_for(type, version)  # the clear error for an unknown type
        return self._instances[(type, version)]

    def items(self) -> list[tuple[str, int, type[Schema]]]:
        return [(type, version, schema) for (type, version), schema in self._schemas.items()]


REGISTRY = EventRegistry()
for _catalogue in (payloads.CATALOGUE, ideas.CATALOGUE, projects.CATALOGUE, stories.CATALOGUE, training.CATALOGUE,
                   signals.CATALOGUE, board_packs.CATALOGUE):
    for _type, _version, _schema in _catalogue:
        REGISTRY.register(_type, _version, _schema)
