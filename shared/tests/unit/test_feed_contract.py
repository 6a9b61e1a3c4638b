"""The published contract for integration feeds (docs/contracts) must say what the code does."""

import json
from pathlib import Path

import jsonschema
import pytest
from marshmallow import RAISE

from shared import topics
from shared.events import REGISTRY, Envelope, PayloadError
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
