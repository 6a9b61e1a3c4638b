"""kpi.updated checked the compiled way, going out and coming in: the same payload out, the same
payload read, the same refusals, as the marshmallow schema alone gives."""

import json
import math
from datetime import date

import pytest
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validates_schema

from shared.events import REGISTRY, new_event
from shared.events.compiled import CompiledDump, CompiledLoad, Untranslatable, json_schema
from shared.events.payloads import KpiUpdatedV1, MeasureRecordedV1
from shared.events.registry import PayloadError
from shared.month import Month


def kpi_updated(months=100):
    series = [{"period": str(Month(2015, 1) + i), "value": 4.0 + (i % 7) / 10, "point_type": "common_cause"}
              for i in range(months)]
    return {
        "kpi_code": "LOS", "kpi_name": "Length of stay", "unit_code": "W1", "unit_name": "Ward 1",
        "period": series[-1]["period"], "value": 4.5, "previous_value": None, "revision": 0, "unit_of_measure": "days",
        "owners": ["owner@hospital.example", "lead.nurse@trust.nhs.uk"], "source": "rollup", "cause": "rollup",
        "latest_period": series[-1]["period"], "latest_value": 4.5, "point_type": "common_cause",
        "variation_icon": "common_cause", "assurance_icon": None, "chart_type": "xmr", "mean": 4.3, "lpl": 3.4,
        "upl": 5.2, "median": None, "runs_signal": None, "series": series,
    }


def changed(path, value):
    payload = kpi_updated(3)
    *parents, last = path
    target = payload
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return payload


VARIANTS = [
    ("value", 5), ("value", "4.5"), ("value", math.nan), ("value", math.inf), ("value", None), ("value", True),
    ("revision", 5.0), ("revision", "5"), ("revision", 2.5), ("previous_value", 3), ("kpi_code", 5),
    ("kpi_code", KeyError), ("cause", KeyError), ("cause", "other"), ("cause", None), ("chart_type", None),
    ("chart_type", "run"), ("period", "2023-1"), ("period", "2023-01\n"), ("period", "1899-12"),
    ("period", date(2023, 1, 1)), ("latest_period", None), ("owners", ["nobody"]), ("owners", ["a@b"]),
    ("owners", ["a@hospital.example\n"]), ("owners", ["Owner <owner@hospital.example>"]), ("owners", []),
    ("owners", "owner@hospital.example"), ("runs_signal", "yes"), ("runs_signal", True), ("median", 4),
    ("series", None), ("series", []), ("unknown_field", 1), ("mean", -math.inf),
    (("series", 0, "value"), math.nan), (("series", 0, "value"), 4), (("series", 0, "value"), KeyError),
    (("series", 0, "period"), "2023-13"), (("series", 0, "point_type"), KeyError), (("series", 0, "extra"), 1),
    (("series", 0), None), (("series", 0), "2023-01"),
]


def outcome(dump, payload):
    try:
        return ("dumped", dump(payload))
    except PayloadError as error:
        return ("refused", error.errors)


def marshmallow_alone(payload):
    schema = KpiUpdatedV1()
    dumped = schema.dump(payload)
    errors = schema.validate(dumped)
    if errors:
        raise PayloadError("invalid", errors)
    return dumped


def test_a_kpi_updated_with_its_series_is_dumped_as_the_schema_dumps_it():
    payload = kpi_updated()
    assert CompiledDump(KpiUpdatedV1())(payload) == marshmallow_alone(payload)
    assert REGISTRY.dump("kpi.updated", payload) == marshmallow_alone(payload)


@pytest.mark.parametrize(("path", "value"), VARIANTS, ids=[f"{p}={v!r}" for p, v in VARIANTS])
def test_every_variant_is_dumped_or_refused_as_the_schema_alone_does(path, value):
    payload = changed(path if isinstance(path, tuple) else (path,), value)
    assert outcome(lambda p: REGISTRY.dump("kpi.updated", p), payload) == outcome(marshmallow_alone, payload)


def test_the_compiled_check_leaves_to_the_schema_what_it_is_unsure_of():
    compiled = CompiledDump(KpiUpdatedV1())
    assert compiled(changed(("value",), "4.5")) is None  # the schema accepts it (a number as text)
    assert compiled(changed(("unknown_field",), 1)) is None  # the schema drops it
    assert compiled(changed(("value",), math.nan)) is None  # the schema refuses it


def test_a_schema_the_translation_cannot_express_is_not_compiled():
    class Odd(Schema):
        when = fields.DateTime()

    class Checked(Schema):
        code = fields.String()

        @validates_schema
        def _never(self, data, **_):
            pass

    for schema in (MeasureRecordedV1(), Odd(), Checked()):
        with pytest.raises(Untranslatable):
            json_schema(schema)


def exactly(result):
    """A load's outcome with every number's type (4 is not 4.0), keys in any order."""
    kind, value = result
    return kind, json.dumps(value, sort_keys=True, default=repr)


def read(payload):
    try:
        return ("loaded", REGISTRY.load(new_event("kpi.updated", payload, source="urn:test")))
    except PayloadError as error:
        return ("refused", error.errors)


def read_by_marshmallow_alone(payload):
    try:
        return ("loaded", KpiUpdatedV1().load(payload, unknown=EXCLUDE))
    except ValidationError as error:
        return ("refused", error.messages)


def test_a_kpi_updated_with_its_series_is_read_as_the_schema_loads_it():
    payload = kpi_updated()
    assert CompiledLoad(KpiUpdatedV1())(payload) is not None  # read the compiled way, not left to the schema
    assert exactly(read(payload)) == exactly(read_by_marshmallow_alone(payload))


@pytest.mark.parametrize(("path", "value"), VARIANTS, ids=[f"{p}={v!r}" for p, v in VARIANTS])
def test_every_variant_is_read_or_refused_as_the_schema_alone_does(path, value):
    payload = changed(path if isinstance(path, tuple) else (path,), value)
    assert exactly(read(payload)) == exactly(read_by_marshmallow_alone(payload))


def test_a_missing_optional_field_is_read_with_its_default_the_compiled_way():
    payload = changed(("cause",), KeyError)
    del payload["series"][0]["point_type"]
    loaded = CompiledLoad(KpiUpdatedV1())(payload)
    assert loaded is not None and loaded["cause"] == "measure" and loaded["series"][0]["point_type"] is None
    assert CompiledLoad(KpiUpdatedV1())(changed(("unknown_field",), 1)) is None  # the schema drops it
