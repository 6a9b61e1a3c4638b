"""Every list's pages are index range scans: no list, with any of its filters, scans or sorts a whole table.

Each page the shared ``page()`` builds (the first, one reached by ``next``, one reached by
``previous``) and its capped total is run under ``EXPLAIN (FORMAT JSON)`` in the service's own
schema, with sequential scans, bitmap scans and sorts disabled, so that on tables of any size the
planner shows the index it would use: a plan that still holds a Seq Scan, a Bitmap Heap Scan or a
Sort means the index that list's sort and filters need is missing.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest

from conftest import required_env
from shared.config import Settings
from shared.db import migrate
from shared.pagination import Listing, PageQuery, page

pytestmark = pytest.mark.integration

LISTS = {  # service: the module that declares its lists
    "ideas": "services.ideas.adapters.store",
    "projects": "services.projects.adapters.store",
    "training": "services.training.adapters.store",
    "notifications": "services.notifications.adapters.store",
    "metrics": "services.metrics.adapters.listings",
    "stories": "services.stories.adapters.store",
}
SHARED_LISTS = "shared.audit"  # lists every service has, over its own schema's copy of the table
# Lists bounded by design whose source is a view that orders rows one way: read backwards, they sort
# their (small) scope. A series has one row a month of one KPI for one unit.
FORWARD_ONLY = {"series"}
SAMPLES = {"timestamptz": datetime(2026, 1, 1, tzinfo=UTC), "date": date(2026, 1, 1), "integer": 1, "bigint": 1,
           "text": "x"}
UUID_COLUMNS = {"campaign_id", "idea_id", "project_id", "session_id"}  # filter and scope columns of type uuid
BOOLEAN_COLUMNS = {"active", "unread"}  # filter columns of type boolean
NUMBER_COLUMNS = {"signal_id"}  # filter and scope columns of type bigint
WHOLE_TABLE_NODES = {"Seq Scan", "Bitmap Heap Scan", "Sort"}


def declared_lists() -> Iterator[tuple[str, Listing, str | None]]:
    for service, module_name in LISTS.items():
        modules = [importlib.import_module(name) for name in (module_name, SHARED_LISTS)]
        for listing in [value for module in modules for value in vars(module).values() if isinstance(value, Listing)]:
            for filter_column in [None, *listing.filters, *listing.members]:
                yield service, listing, filter_column


class Explained:
    """Runs each statement under EXPLAIN and keeps its plan; answers as if two rows matched, so
    ``page()`` goes on to make the cursors of the next and previous pages."""

    def __init__(self, conn: psycopg.Connection[Any], listing: Listing):
        self.conn, self.listing = conn, listing
        self.plans: list[tuple[str, dict[str, Any]]] = []

    def execute(self, sql: str, params: Any = None) -> Explained:
        [[plan]] = self.conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()
        self.plans.append((sql, plan["Plan"]))
        return self

    def fetchall(self) -> list[dict[str, Any]]:
        return [{key.column: self._sample(key.sql_type) for key in self.listing.keys} for _ in range(2)]

    def fetchone(self) -> dict[str, Any]:
        return {"n": 0}

    @staticmethod
    def _sample(sql_type: str) -> Any:
        return uuid.uuid4() if sql_type == "uuid" else SAMPLES[sql_type]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def sample_of(column: str) -> Any:
    """A value for a scope or filter column: a month's date, an id, or text."""
    if column == "period":
        return SAMPLES["date"]
    if column in BOOLEAN_COLUMNS:
        return True
    if column in NUMBER_COLUMNS:
        return 1
    return uuid.uuid4() if column in UUID_COLUMNS else "x"


@pytest.fixture(scope="module")
def connections() -> Iterator[dict[str, psycopg.Connection[Any]]]:
    opened = {}
    for service in LISTS:
        required_env(f"{service.upper()}_DATABASE_URL")
        settings = Settings.from_env(service)
        migrate(settings.database_url, importlib.import_module(f"services.{service}.bootstrap").MIGRATIONS)
        conn = psycopg.connect(settings.database_url, autocommit=True)
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        conn.execute("SET enable_sort = off")  # a sort then shows only where no index gives the order
        opened[service] = conn
    yield opened
    for conn in opened.values():
        conn.close()


@pytest.mark.parametrize(("service", "listing", "filter_column"), list(declared_lists()),
                         ids=lambda value: value.name if isinstance(value, Listing) else str(value))
def test_every_page_of_every_list_is_an_index_range_scan(connections, service, listing, filter_column):
    explained = Explained(connections[service], listing)
    scope = {column: sample_of(column) for column in listing.scope}
    query = PageQuery().load({"page_size": "1"})
    if filter_column:
        query[filter_column] = sample_of(filter_column)
    first = page(explained, listing, query, secret="plans", **scope)
    following = page(explained, listing, {**query, "cursor": first.next}, secret="plans", **scope)
    if listing.name not in FORWARD_ONLY:
        page(explained, listing, {**query, "cursor": following.previous}, secret="plans", **scope)
    # the first page and its total, then one page by each cursor (the total travels in the cursor)
    assert len(explained.plans) == (3 if listing.name in FORWARD_ONLY else 4)
    for sql, plan in explained.plans:
        whole = [node["Node Type"] for node in nodes(plan) if node["Node Type"] in WHOLE_TABLE_NODES]
        assert not whole, f"{listing.name} reads or sorts a whole table ({whole}) for:\n{sql}\n{plan}"
