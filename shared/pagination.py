"""One way to page through lists: ?page=1&page_size=50, answered as {items, page, page_size, total}."""

from __future__ import annotations

from functools import cache

from marshmallow import Schema, fields, validate

MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # beyond any list here, and keeps the offset within a bigint


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def offset_of(query: dict) -> int:
    return (query["page"] - 1) * query["page_size"]


@cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The response schema for one page of ``item_schema`` items."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "page_size": fields.Integer(),
            "total": fields.Integer(),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )


def page_body(items: list, query: dict, total: int) -> dict:
    return {"items": items, "page": query["page"], "page_size": query["page_size"], "total": total}
