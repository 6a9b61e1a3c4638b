"""Outgoing payloads checked the compiled way: a registered marshmallow schema translated once to
JSON Schema and compiled with fastjsonschema, which checks a payload many times faster than the
schema's own ``dump`` and ``validate`` (a kpi.updated carrying a 100-month series: about 0.3 ms
against 4.8 ms).

The translation is never looser than the schema: what the compiled check accepts, the schema
accepts and dumps the same (``CompiledDump`` returns that dump), and what it refuses, or any
payload it is unsure of (a field not declared, a value of another type than the field's, a number
that is not finite), is left to the schema, which accepts it or refuses it with the reason it
always gave. A schema with anything the translation cannot express at least as strictly (a schema
or field validator it does not know, a field type it does not know, a renamed field) is not
translated at all (``Untranslatable``), and the registry keeps using the schema alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import fastjsonschema
from marshmallow import Schema, fields, missing, validate

from shared.fields import MonthField
from shared.month import PATTERN as MONTH

# Stricter than marshmallow's Email validator (a dot-atom of fewer characters before the @, a
# domain of labels that neither start nor end with a hyphen, ending in letters or digits).
EMAIL = (r"^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@"
         r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]{2,}\Z")
# A pattern is searched for (re.search): anchored at both ends, and at the very end (``\Z``, where
# ``$`` would also match before a final newline, which marshmallow's checks refuse).
MONTH_TEXT = MONTH.pattern.removesuffix("$") + r"\Z"


class Untranslatable(Exception):
    """The schema holds something the translation cannot express at least as strictly."""


def json_schema(schema: Schema) -> dict[str, Any]:
    """The JSON Schema of a marshmallow schema's loads, no looser than the schema itself."""
    if any(schema._hooks.values()):  # schema and field validators, pre- and post-processors
        raise Untranslatable(f"{type(schema).__name__} has hooks")
    properties, required = {}, []
    for name, field in schema.fields.items():
        if field.data_key not in (None, name) or field.attribute not in (None, name) or field.load_only \
                or field.dump_only:
            raise Untranslatable(f"{name} is renamed or one-way")
        properties[name] = _nullable(_field_schema(field), field.allow_none)
        if field.required:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _field_schema(field: fields.Field) -> dict[str, Any]:
    result = _type_schema(field)
    for validator in field.validators:
        if isinstance(field, fields.Email) and isinstance(validator, validate.Email):
            continue  # the pattern is stricter
        if isinstance(validator, validate.OneOf) and result["type"] == "string":
            result["enum"] = list(validator.choices)
        elif isinstance(validator, validate.Length) and result["type"] == "string" and validator.equal is None:
            result.update({k: v for k, v in (("minLength", validator.min), ("maxLength", validator.max))
                           if v is not None})
        else:
            raise Untranslatable(f"a {type(validator).__name__} validator")
    return result


def _type_schema(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, fields.Email):
        return {"type": "string", "pattern": EMAIL}
    if isinstance(field, MonthField):
        return {"type": "string", "pattern": MONTH_TEXT}
    if type(field) is fields.String:
        return {"type": "string"}
    if type(field) is fields.Float and not field.allow_nan and not field.as_string:
        return {"type": "number"}
    if type(field) is fields.Integer and not field.as_string:
        return {"type": "integer"}
    if type(field) is fields.Boolean:
        return {"type": "boolean"}
    if type(field) is fields.List:
        return {"type": "array", "items": _nullable(_field_schema(field.inner), field.inner.allow_none)}
    if type(field) is fields.Nested and not getattr(field, "many", False) and isinstance(field.schema, Schema) \
            and not field.only and not field.exclude:
        return json_schema(field.schema)
    raise Untranslatable(f"a {type(field).__name__} field")


def _nullable(result: dict[str, Any], allow_none: bool) -> dict[str, Any]:
    if not allow_none:
        return result
    if "enum" in result:
        result = {**result, "enum": [*result["enum"], None]}
    return {**result, "type": [result["type"], "null"]}


class _Compiled:
    """The compiled check of a schema, and what the schema would make of a payload it accepts
    (``way``: its dump or its load); called, it gives that, or None when the check refuses (the
    schema is to judge)."""

    def __init__(self, schema: Schema, way: Callable[[Schema], Dumper]):
        self._check = fastjsonschema.compile(json_schema(schema))
        self._make = way(schema)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any] | None:
        try:
            self._check(data)
            return self._make(data)
        except (fastjsonschema.JsonSchemaValueException, NotFinite):
            return None


class CompiledDump(_Compiled):
    """``dump(data)``: the schema's dump of ``data`` when the compiled check accepts it, else None
    (the schema is to judge it)."""

    def __init__(self, schema: Schema):
        super().__init__(schema, _dumper)


class CompiledLoad(_Compiled):
    """``load(data)``: the schema's load of ``data`` (fields it does not declare excluded, as the
    registry loads) when the compiled check accepts it, else None (the schema is to judge it). The
    check refuses any field not declared, so what it accepts has none to exclude; what the load
    adds is each missing field's ``load_default``. A kpi.updated with a 100-month series is read by
    four consumers; marshmallow took about 1.8 ms a read."""

    def __init__(self, schema: Schema):
        super().__init__(schema, _loader)


class NotFinite(ValueError):
    """NaN or an infinity, which a Float field refuses (JSON has no such number)."""


Dumper = Callable[[Any], Any]


def _dumper(schema: Schema) -> Dumper:
    """What the schema's dump does to a payload the compiled check accepted: numbers of a Float
    field become floats (refusing what is not finite), of an Integer field ints."""
    convert = {name: _converter(field, _dumper) for name, field in schema.fields.items()}
    return lambda data: {name: convert[name](value) for name, value in data.items()}


def _loader(schema: Schema) -> Dumper:
    """What the schema's load does to a payload the compiled check accepted: numbers converted as
    a dump converts them, nested payloads loaded alike, and each field missing given its
    ``load_default``."""
    convert = {name: _converter(field, _loader) for name, field in schema.fields.items()}
    defaults = {name: field.load_default for name, field in schema.fields.items()
                if field.load_default is not missing}

    def load(data: dict[str, Any]) -> dict[str, Any]:
        loaded = {name: convert[name](value) for name, value in data.items()}
        for name, default in defaults.items():
            if name not in loaded:
                loaded[name] = default() if callable(default) else default
        return loaded

    return load


def _converter(field: fields.Field, nested_way: Callable[[Schema], Dumper]) -> Dumper:
    """A field's value as ``nested_way`` (dump or load) makes its nested payloads."""
    if isinstance(field, fields.Float):
        return _finite
    if isinstance(field, fields.Integer):
        return lambda value: None if value is None else int(value)
    if isinstance(field, fields.List):
        inner = _converter(field.inner, nested_way)
        return lambda value: None if value is None else [inner(item) for item in value]
    if isinstance(field, fields.Nested):
        nested = nested_way(field.schema)
        return lambda value: None if value is None else nested(value)
    return lambda value: value


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise NotFinite(value)
    return number
