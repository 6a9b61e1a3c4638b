"""Every request and response schema in every service's OpenAPI document carries an example, so
clients and their tests can be generated from it, and every example is valid against its schema.

The examples are field-level (``metadata={"example": ...}`` on each field). A property that only
refers to another schema (a nested object or a list of them) takes its example from that schema,
which is checked in its own right. Only the schemas the operations use are checked (flask-smorest
also registers its own PaginationMetadata, which no operation answers with). The apps are built as
in test_http_conventions, with the audit trail every service serves: no servers."""

from __future__ import annotations

import importlib
import json
import re
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker

from shared import audit_api, platform
from shared.config import Settings
from shared.web import create_service_app

Json = dict[str, Any]
REF_PREFIX = "#/components/schemas/"
FORMATS = FormatChecker()  # jsonschema's own, and date-time read as the API writes it (ISO 8601 with an offset)


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def service_app(service: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The service's app with the blueprints build_service_app gives it, and no pool, Kafka or key."""
    module = importlib.import_module(f"services.{service}.entrypoints.api")

    def bare_app(state: Any, *, blueprints: list[Any], **options: Any) -> Flask:
        return create_service_app(state.settings, ready_checks={}, verifier=None,
                                  blueprints=[*blueprints, audit_api.blueprint], **options)

    monkeypatch.setattr(module, "build_service_app", bare_app)
    return module.create_app(SimpleNamespace(settings=Settings.from_env(service), pool=None, today=None))


def used_components(document: Json) -> dict[str, Json]:
    """The schemas the operations refer to, directly or through other schemas or shared responses."""
    schemas = document["components"]["schemas"]
    rest = {**document, "components": {**document["components"], "schemas": {}}}
    names: set[str] = set()
    pending = re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(rest))
    while pending:
        name = pending.pop()
        if name not in names:
            names.add(name)
            pending += re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schemas[name]))
    return {name: schema for name, schema in schemas.items() if name in names}


@pytest.fixture(params=platform.service_names())
def components(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, Json]:
    app: Flask = service_app(request.param, monkeypatch)
    return used_components(app.test_client().get("/openapi.json").get_json())


def test_the_audit_trail_and_the_problem_answer_are_among_the_schemas_checked(
        components: dict[str, Json]) -> None:
    assert {"AuditEntry", "AuditEntryPage", "Problem"} <= components.keys()


def _referenced(prop: Json) -> str | None:
    """The component a property only points at (itself, through allOf, or as its items), if any."""
    if "$ref" in prop:
        return str(prop["$ref"])
    if prop.get("allOf") or prop.get("anyOf"):  # a described or a nullable reference
        return _referenced((prop.get("allOf") or prop["anyOf"])[0])
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        return _referenced(prop["items"])
    return None


def properties_without_an_example(components: dict[str, Json]) -> list[str]:
    return [f"{name}.{field}" for name, schema in components.items()
            for field, prop in schema.get("properties", {}).items()
            if "example" not in prop and _referenced(prop) is None]


def example_of(schema: Json, components: dict[str, Json]) -> Any:
    """The example a client sees: the schema's own, else one composed from its properties'."""
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        return example_of(components[schema["$ref"].removeprefix(REF_PREFIX)], components)
    if schema.get("allOf") or schema.get("anyOf"):
        return example_of((schema.get("allOf") or schema["anyOf"])[0], components)
    if schema.get("type") == "array":
        return [example_of(schema["items"], components)]
    return {field: example_of(prop, components) for field, prop in schema.get("properties", {}).items()}


def as_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0's ``nullable`` written the JSON Schema way (a null type, or a null alternative)."""
    if isinstance(schema, list):
        return [as_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: as_json_schema(value) for key, value in schema.items() if key != "nullable"}
    if not schema.get("nullable"):
        return converted
    if "type" in converted:
        return {**converted, "type": [converted["type"], "null"],
                **({"enum": [*converted["enum"], None]} if "enum" in converted else {})}
    return {"anyOf": [converted, {"type": "null"}]}


def invalid_examples(components: dict[str, Json]) -> dict[str, list[str]]:
    document = {"components": {"schemas": as_json_schema(components)}}
    problems = {}
    for name, schema in components.items():
        validator = Draft202012Validator({**document, **as_json_schema(schema)},
                                         format_checker=FORMATS)
        errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                  for error in validator.iter_errors(example_of(schema, components))]
        if errors:
            problems[name] = errors
    return problems


def test_every_property_of_every_schema_has_an_example(components: dict[str, Json]) -> None:
    assert properties_without_an_example(components) == []


def test_every_schema_is_exemplified_by_a_valid_example(components: dict[str, Json]) -> None:
    assert components
    assert invalid_examples(components) == {}


def test_an_example_that_breaks_its_schema_is_caught() -> None:
    components = {
        "Kpi": {"type": "object", "additionalProperties": False, "properties": {
            "code": {"type": "string", "example": "ALOS"},
            "target": {"type": "number", "nullable": True, "example": None},
            "set_at": {"type": "string", "format": "date-time", "example": "03/04/2026 08:20"},
            "unit": {"$ref": f"{REF_PREFIX}Unit"}}},
        "Unit": {"type": "object", "properties": {"code": {"type": "string", "example": 7}, "name": {}}},
    }
    assert properties_without_an_example(components) == ["Unit.name"]
    assert invalid_examples(components) == {"Kpi": ["set_at: '03/04/2026 08:20' is not a 'date-time'",
                                                    "unit/code: 7 is not of type 'string'"],
                                            "Unit": ["code: 7 is not of type 'string'"]}
