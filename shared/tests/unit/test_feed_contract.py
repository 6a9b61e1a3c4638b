"""The published contract for integration feeds (docs/contracts) must say what the code does."""

import json
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from marshmallow import RAISE

from shared import topics
from shared.consumer import ConsumerRunner, Outcome
from shared.events import REGISTRY, Envelope, EnvelopeError, PayloadError
from shared.events.contracts import ContractReader
from shared.events.payloads import MeasureRecordedV1

CONTRACT = json.loads((Path(__file__).parents[3] / "docs/contracts/measure-recorded.asyncapi.json").read_text())
SCHEMAS = CONTRACT["components"]["schemas"]
EXAMPLE = CONTRACT["components"]["messages"]["measureRecorded"]["examples"][0]["payload"]


def envelope_validator():
    schema = {**SCHEMAS["MeasureRecordedEnvelope"], "components": CONTRACT["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_the_contract_names_the_topic_the_platform_consumes():
    assert CONTRACT["channels"]["measures"]["address"] == topics.MEASURES
    assert CONTRACT["channels"]["measures"]["bindings"]["kafka"]["partitions"] == topics.PARTITIONS


def test_the_contracts_example_is_accepted_by_the_code_and_by_the_contract_schema():
    envelope_validator().validate(EXAMPLE)
    payload = REGISTRY.load(Envelope.from_dict(EXAMPLE))
    assert payload["kpi_code"] == "ALOS"


def test_the_contract_lists_exactly_the_fields_and_required_fields_of_the_code():
    code = MeasureRecordedV1()
    documented = SCHEMAS["MeasureRecordedV1"]
    assert set(documented["properties"]) == set(code.fields)
    assert set(documented["required"]) == {name for name, field in code.fields.items() if field.required}
    assert code.unknown == RAISE, "additionalProperties: false in the contract"


@pytest.mark.parametrize(
    "bad_data",
    [
        {"period": "2026-13"},
        {"period": "Sep 2026"},
        {"value": "4.6"},
        {"kpi_code": ""},
        {"kpi_code": "has spaces"},
        {"source": ""},
        {"unexpected": 1},
    ],
)
def test_what_the_contract_refuses_the_code_refuses_too(bad_data):
    body = {**EXAMPLE, "data": {**EXAMPLE["data"], **bad_data}}
    with pytest.raises(jsonschema.ValidationError):
        envelope_validator().validate(body)
    with pytest.raises(PayloadError):
        REGISTRY.load(Envelope.from_dict(body))


def read_by_the_consumer(body):
    """What the consumer runner makes of the message: (envelope, payload) or its dead-letter outcome."""
    runner = ConsumerRunner("metrics", None, None, None, "dl", {"measure.recorded": lambda *_: None})
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return runner.parse(SimpleNamespace(value=raw))


def read_by_the_registry(body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        envelope = Envelope.from_json(raw)
        return envelope, REGISTRY.load(envelope)
    except (EnvelopeError, PayloadError) as exc:
        return None, str(exc)


@pytest.mark.parametrize("data", [
    EXAMPLE["data"],
    {**EXAMPLE["data"], "value": 4, "numerator": 23, "denominator": 5.0, "recorded_by": "feed.pas", "note": "n"},
    {**EXAMPLE["data"], "numerator": None, "denominator": None, "recorded_by": None},
])
def test_the_consumer_reads_what_the_contract_accepts_as_the_registry_does(data):
    body = {**EXAMPLE, "correlationid": "c-1", "data": data}
    assert ContractReader.for_measures().read(body, json.dumps(body).encode()) is not None, "the fast path"
    assert read_by_the_consumer(body) == read_by_the_registry(body)
    assert isinstance(read_by_the_consumer(body)[1]["value"], float)


BAD_RAW = json.dumps(EXAMPLE).encode()


@pytest.mark.parametrize("body", [
    *({**EXAMPLE, "data": {**EXAMPLE["data"], **bad}} for bad in (
        {"period": "2026-13"}, {"period": "Sep 2026"}, {"period": "2026-09\n"}, {"period": "1899-12"},
        {"value": "4.6"}, {"value": True}, {"value": None}, {"kpi_code": ""}, {"kpi_code": "has spaces"},
        {"source": ""}, {"source": "pas\u0000"}, {"note": "n" * 2001}, {"unexpected": 1}, {"numerator": 1},
        {"numerator": 1, "denominator": 0})),
    {key: value for key, value in EXAMPLE.items() if key != "id"},
    {**EXAMPLE, "specversion": "0.3"},
    {**EXAMPLE, "time": "yesterday"},
    {**EXAMPLE, "data": "not an object"},
    {**EXAMPLE, "source": "urn:\ud800"},
    BAD_RAW.replace(b"4.6", b"NaN"),
    BAD_RAW.replace(b"4.6", b"1e400"),
    BAD_RAW.replace(b"pas-nightly-extract", b"\\ud800"),
    b"not json",
    b"[1, 2]",
])
def test_the_consumer_refuses_a_bad_measure_with_the_reason_the_registry_gives(body):
    envelope, outcome = read_by_the_consumer(body)
    _, reason = read_by_the_registry(body)
    assert isinstance(outcome, Outcome) and outcome.status == "dead_lettered"
    assert outcome.reason == reason


@pytest.mark.parametrize(("change", "reason"), [
    ({"datacontenttype": "text/plain"}, "datacontenttype must be same as const definition: application/json"),
    ({"time": "2026-10-03"}, "time must be date-time"),
    ({"data": {**EXAMPLE["data"], "kpi_code": "ALOS\n"}}, "data.kpi_code must match pattern"),
])
def test_what_only_the_contract_refuses_is_refused_with_the_contracts_reason(change, reason):
    body = {**EXAMPLE, **change}
    assert read_by_the_registry(body)[0] is not None, "marshmallow alone would accept it"
    envelope, outcome = read_by_the_consumer(body)
    assert isinstance(outcome, Outcome) and outcome.status == "dead_lettered"
    assert reason in outcome.reason and envelope is not None
