"""One way to page through lists: keyset pages behind opaque cursors, all in one envelope.

Every list endpoint answers ``?page_size=50&cursor=...`` with::

    {"items": [...], "page_size": 50, "next": "<cursor>" | null, "previous": "<cursor>" | null,
     "total": 1234, "total_is_exact": true}

What is guaranteed (docs/api-lists.md says it for clients):

- **One sort per list.** A ``Listing`` names its sort keys in one direction, the primary key last,
  so the order is total. A page is ``WHERE <filters> AND (keys) < (cursor) ORDER BY keys LIMIT n+1``:
  one range scan of the index on (filter columns..., sort keys...) that each list's migration adds,
  whatever the page's depth and the table's size. ``page`` is the only code that builds this SQL.
- **Opaque, signed cursors.** ``next`` and ``previous`` carry the sort keys of the page's last and
  first rows, signed with the service's cursor secret (itsdangerous) under the list's name and bound
  to the filters they were made with. A forged, garbled, foreign or re-filtered cursor is
  ``InvalidCursor`` (a 400 problem), never a 500 and never a query.
- **Totals that do not read the table.** ``total`` counts at most ``COUNT_CAP + 1`` matching index
  entries: exact up to the cap (``total_is_exact`` true); beyond it ``total`` is the cap and
  ``total_is_exact`` false, read as "more than 1,000". It is counted for the first page of a walk
  and carried in the cursors, so the pages after it cost one index range scan each.
- **Walking while rows are added.** Each row is seen at most once; rows added behind the cursor are
  not seen by that walk.

Lists bounded by design (a dashboard matrix: at most one row per KPI and unit of the catalogue) may
use ``page_by_offset`` instead: the same envelope, the cursor then carries a signed offset.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Protocol

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import Schema, fields, validate

from shared.errors import MalformedRequest

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
COUNT_CAP = 1_000
MAX_CURSOR_CHARS = 2_000
CURSOR_PATTERN = r"^[A-Za-z0-9_.-]+$"
Row = dict[str, Any]


class PageQuery(Schema):
    # A cursor is URL-safe base64 and dots (itsdangerous), so the pattern keeps a request line short
    # enough for the API server's limit (services/gunicorn_conf.py) whatever a client sends.
    cursor = fields.String(load_default=None, validate=[validate.Length(min=1, max=MAX_CURSOR_CHARS),
                                                        validate.Regexp(CURSOR_PATTERN)], metadata={
        "description": "Where the page starts: the `next` or `previous` cursor of the page before, as given. "
                       "Leave it out for the first page."})
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class InvalidCursor(MalformedRequest):
    """A cursor this list did not give, or gave for other filters: the caller's input, so a 400."""

    def __init__(self, why: str):
        super().__init__(f"The cursor is not one this list gave: {why}. Start again without a cursor.",
                         errors={"cursor": [why]})


class Executes(Protocol):
    """A unit of work or a connection whose rows are dicts (``shared.db`` pools make them so)."""

    def execute(self, sql: str, params: Any = ...) -> Any: ...


@dataclass(frozen=True)
class Key:
    """A sort key: a column (named the same in the source and in the selected row) and its SQL type,
    which the cursor's value is cast to."""

    column: str
    sql_type: str


@dataclass(frozen=True)
class Listing:
    """One list's declared shape: what it selects from where, its one sort and its equality filters.

    ``sort`` is "column type, ...", primary key last, e.g. "submitted_at timestamptz, id uuid";
    every key runs ``descending`` or every key ascending (so one row comparison finds the place).
    ``scope`` are columns always fixed (``column = value``; from the path, e.g. a course's sessions);
    ``filters`` are columns a caller may fix (from the query string). The service's migrations hold
    an index on (scope..., filter, sort keys...) for each filter and one on (scope..., sort keys...).
    ``members`` are array columns a caller may ask to hold a value (``%s = ANY(column)``): for a
    few broad values each row holds some of (a project's CQC key questions), read along the list's
    sort index, filtered, so a page reads a few times its size.
    ``search`` is an optional SQL condition with one ``%s``, applied with the query's ``q`` when it
    is given (words in a tsvector column, say); the cursors are bound to it as to the filters.
    """

    name: str
    source: str
    columns: str
    sort: str
    descending: bool = False
    scope: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    search: str | None = None

    @property
    def keys(self) -> tuple[Key, ...]:
        return tuple(Key(*part.split()) for part in self.sort.split(","))


@dataclass(frozen=True)
class Page:
    """One page of a list, as every list endpoint answers it (``page_of`` is its schema)."""

    items: list[Any]
    page_size: int
    next: str | None
    previous: str | None
    total: int
    total_is_exact: bool


@dataclass(frozen=True)
class _Position:
    keys: list[Any]
    backwards: bool
    total: tuple[int, bool]


def page(db: Executes, listing: Listing, query: Mapping[str, Any], *, secret: str | bytes | None = None,
         **scope: Any) -> Page:
    """The page of ``listing`` that ``query`` (a loaded ``PageQuery``) asks for.

    ``scope`` gives a value to every column of the listing's scope (path parameters); the listing's
    filters come from ``query`` and a filter that is None is not applied. ``secret`` signs the
    cursors (default: the Flask app's ``SECRET_KEY``, the service's cursor secret). Raises
    ``InvalidCursor``.
    """
    filters = _filters(listing, query, scope)
    cursors = _Cursors(listing.name, secret, filters)
    position = cursors.position(query.get("cursor"))
    size = query["page_size"]
    sql, params = _page_sql(listing, filters, position, size + 1)
    rows = db.execute(sql, params).fetchall()
    total, exact = position.total if position else _capped_count(db, listing, filters)
    has_more = len(rows) > size
    rows = rows[:size]
    if position and position.backwards:
        rows.reverse()
        has_next, has_previous = True, has_more
    else:
        has_next, has_previous = has_more, position is not None
    return Page(
        items=rows,
        page_size=size,
        next=cursors.make(_keys_of(listing, rows[-1]), (total, exact), backwards=False) if rows and has_next else None,
        previous=cursors.make(_keys_of(listing, rows[0]), (total, exact), backwards=True)
        if rows and has_previous else None,
        total=total,
        total_is_exact=exact,
    )


def page_by_offset(name: str, query: Mapping[str, Any], total: int, rows_at: Callable[[int, int], list[Any]],
                   *, secret: str | bytes | None = None, **filters: Any) -> Page:
    """A page of a list bounded by design (say why where it is used), in the same envelope: the
    cursors carry a signed offset, so a caller cannot ask for an arbitrary depth. ``rows_at(limit,
    offset)`` reads the rows; ``total`` is the exact size of the (bounded) list."""
    cursors = _Cursors(name, secret, {key: value for key, value in filters.items() if value is not None})
    position = cursors.position(query.get("cursor"))
    offset = _offset_of(position)
    size = query["page_size"]
    rows = rows_at(size, offset)
    return Page(
        items=rows,
        page_size=size,
        next=cursors.make([offset + size], (total, True), backwards=False) if offset + size < total else None,
        previous=cursors.make([max(offset - size, 0)], (total, True), backwards=True) if offset > 0 else None,
        total=total,
        total_is_exact=True,
    )


def _keys_of(listing: Listing, row: Row) -> list[Any]:
    return [row[key.column] for key in listing.keys]


def _offset_of(position: _Position | None) -> int:
    if position is None:
        return 0
    if len(position.keys) != 1 or not isinstance(position.keys[0], int) or position.keys[0] < 0:
        raise InvalidCursor("it does not hold a place in this list")
    return position.keys[0]


def _filters(listing: Listing, query: Mapping[str, Any], scope: Mapping[str, Any]) -> dict[str, Any]:
    if set(scope) != set(listing.scope) or None in scope.values():
        raise TypeError(f"the {listing.name} list needs a value for each of {listing.scope}, got {sorted(scope)}")
    chosen = {name: query.get(name) for name in (*listing.filters, *listing.members)}
    if listing.search is not None:
        chosen[_SEARCH] = query.get("q")
    return {**scope, **{name: value for name, value in chosen.items() if value is not None}}


def _page_sql(listing: Listing, filters: Mapping[str, Any], position: _Position | None, limit: int
              ) -> tuple[str, list[Any]]:
    conditions, params = _equalities(filters, listing)
    keys = listing.keys
    backwards = bool(position and position.backwards)
    descending = listing.descending != backwards
    if position is not None:
        if len(position.keys) != len(keys):
            raise InvalidCursor("it does not hold a place in this list")
        columns = ", ".join(key.column for key in keys)
        values = ", ".join(f"%s::{key.sql_type}" for key in keys)
        conditions.append(f"({columns}) {'<' if descending else '>'} ({values})")
        params.extend(position.keys)
    direction = " DESC" if descending else ""
    order = ", ".join(f"{key.column}{direction}" for key in keys)
    sql = f"SELECT {listing.columns} FROM {listing.source}{_where(conditions)} ORDER BY {order} LIMIT %s"
    return sql, [*params, limit]


def _capped_count(db: Executes, listing: Listing, filters: Mapping[str, Any]) -> tuple[int, bool]:
    conditions, params = _equalities(filters, listing)
    row = db.execute(
        f"SELECT count(*) AS n FROM (SELECT 1 FROM {listing.source}{_where(conditions)} LIMIT %s) AS capped",
        [*params, COUNT_CAP + 1],
    ).fetchone()
    counted = int(row["n"])
    return min(counted, COUNT_CAP), counted <= COUNT_CAP


_SEARCH = "?search"  # the key of the listing's search condition among the filters (no column has it)


def _equalities(filters: Mapping[str, Any], listing: Listing) -> tuple[list[str], list[Any]]:
    return ([_condition(column, listing) for column in filters], list(filters.values()))


def _condition(column: str, listing: Listing) -> str:
    if column == _SEARCH and listing.search:
        return listing.search
    return f"%s = ANY({column})" if column in listing.members else f"{column} = %s"


def _where(conditions: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _plain(value: Any) -> Any:
    """A key or filter value as JSON holds it; Postgres reads the text form back (``%s::type``)."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class _Cursors:
    """Makes and reads one list's cursors: the keys of a row, the direction, the total counted for
    the first page and the filters, signed."""

    def __init__(self, name: str, secret: str | bytes | None, filters: Mapping[str, Any]):
        key = secret if secret is not None else current_app.secret_key
        if not key:
            raise RuntimeError("no cursor secret: set SECRET_KEY (WTGR_CURSOR_SECRET) or pass secret=")
        self._serializer = URLSafeSerializer(key, salt=f"wtgr.page.{name}")
        self._filters = json.dumps({column: _plain(value) for column, value in filters.items()}, sort_keys=True)

    def make(self, keys: list[Any], total: tuple[int, bool], *, backwards: bool) -> str:
        return str(self._serializer.dumps({"k": [_plain(value) for value in keys], "b": backwards,
                                           "t": list(total), "f": self._filters}))

    def position(self, cursor: str | None) -> _Position | None:
        if cursor is None:
            return None
        try:
            payload = self._serializer.loads(cursor)
        except BadData:
            raise InvalidCursor("it is garbled, forged or from another list") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("k"), list):
            raise InvalidCursor("it does not hold a place in this list")
        if payload.get("f") != self._filters:
            raise InvalidCursor("it was given for other filters")
        total, exact = payload.get("t") or (0, False)
        return _Position(payload["k"], bool(payload.get("b")), (int(total), bool(exact)))


@cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The response schema for one page of ``item_schema`` items: the envelope every list answers."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page_size": fields.Integer(metadata={"description": "the most items a page holds", "example": 50}),
            "next": fields.String(allow_none=True, metadata={
                "description": "send as `cursor` for the page after this one; null on the last page",
                "example": "eyJrIjpbIjIwMjYtMDMiXX0.Zk3q9w"}),
            "previous": fields.String(allow_none=True, metadata={
                "description": "send as `cursor` for the page before this one; null on the first page",
                "example": None}),
            "total": fields.Integer(metadata={
                "description": f"how many items the list (with its filters) holds, counted up to {COUNT_CAP:,} "
                               f"for the first page and carried by the cursors: when total_is_exact is false "
                               f"there are more than this", "example": 137}),
            "total_is_exact": fields.Boolean(metadata={
                "description": f"false when the list holds more than {COUNT_CAP:,} items and total is that cap",
                "example": True}),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )
