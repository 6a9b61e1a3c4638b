"""Payload schemas of the events the training service publishes."""

from __future__ import annotations

from marshmallow import Schema

CATALOGUE: list[tuple[str, int, type[Schema]]] = []
