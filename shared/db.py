"""PostgreSQL access: one pool per process and the unit of work.

A unit of work is one Postgres transaction. Business rows and the outbox rows of the events
they cause commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
import psycopg
from psycopg.rows import args_row, dict_row
from psycopg_pool import ConnectionPool
from yoyo import get_backend, read_migrations

from shared import correlation
from shared.events import REGISTRY, Envelope, new_event

Made = TypeVar("Made")

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
POOL_TIMEOUT_SECONDS = 3.0  # how long a caller waits for a connection before PoolTimeout
CONNECT_TIMEOUT_SECONDS = 2  # how long one attempt to reach PostgreSQL may take


NO_JIT = "-c jit=off"


def make_pool(database_url: str, *, min_size: int = 1, max_size: int = 8, name: str = "wtgr",
              wait: bool = True) -> ConnectionPool:
    """A pool whose callers wait at most ``POOL_TIMEOUT_SECONDS`` for a connection: with the
    database down, ``pool.connection()`` raises ``psycopg_pool.PoolTimeout`` (an
    ``OperationalError``) within seconds, never hangs, and the pool reconnects by itself once the
    database is back. ``wait`` opens it only once a first connection is made (up to 30 s).

    Each connection is checked (one empty round trip) before it is handed out: after PostgreSQL
    restarts, every pooled connection is dead, and unchecked each would fail one caller in turn
    (a worker backing off up to 30 s between them).

    Each connection runs with PostgreSQL's JIT compilation off (``NO_JIT``): the platform's
    statements are short, and a batch's merge, whose staging tables the planner guesses large,
    crossed ``jit_above_cost`` and spent 110 ms of 275 ms compiling its expressions (a
    2,000-measure batch: 68 ms without)."""
    pool = ConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT_SECONDS, "options": NO_JIT},
        name=name,
        open=False,
        timeout=POOL_TIMEOUT_SECONDS,
        check=ConnectionPool.check_connection,
    )
    pool.open(wait=wait, timeout=30)
    return pool


class Rows:
    """Many rows passed as one JSON parameter and read back in SQL with json_to_recordset: a batch
    in one statement, and far cheaper to send than one array parameter per column."""

    def __init__(self, alias: str, columns: str):
        self.names = [column.split()[0] for column in columns.split(",")]
        self.sql = f"json_to_recordset(%s::json) AS {alias}({columns})"

    def param(self, rows: Iterable[tuple[Any, ...]]) -> str:
        """The rows as one JSON array of objects, encoded by orjson: a chart pass sends each chart's
        JSON and each kpi.updated's 100-month series this way, and the standard library's encoder
        took a sixth of the aggregator's time (dates are written ISO 8601, as PostgreSQL reads them)."""
        return orjson.dumps([dict(zip(self.names, row, strict=True)) for row in rows], default=str).decode()


def texts(values: Iterable[str]) -> str:
    """Many strings as one JSON array parameter, read in SQL with ``json_array_elements_text(%s::json)``
    (in the order given): psycopg adapts a list of thousands of strings to an array parameter in
    Python, item by item, several times slower than orjson encodes it."""
    return orjson.dumps(list(values)).decode()


class Staging:
    """A staging table (an UNLOGGED table of the service's migrations) that a batch is copied into
    with binary ``COPY``, then merged from by one set-based statement that consumes it (``taken``,
    in a WITH clause): PostgreSQL's fastest way in for rows that must be merged (``ON CONFLICT``)
    rather than appended. Every transaction takes back all it staged before it commits, and sees
    no rows of another still running, so concurrent consumers share the table. ``columns`` as for
    ``Rows``, the table's columns in order."""

    def __init__(self, name: str, columns: str):
        self.name = name
        self.names = [column.split()[0] for column in columns.split(",")]
        self.types = [column.split(None, 1)[1].strip() for column in columns.split(",")]
        self.taken = f"(DELETE FROM {name} RETURNING *)"

    def fill(self, uow: UnitOfWork, rows: Iterable[tuple[Any, ...]]) -> None:
        copy_rows(uow, self.name, self.names, self.types, rows)


def copy_rows(uow: UnitOfWork, table: str, names: list[str], types: list[str], rows: Iterable[tuple[Any, ...]]
              ) -> None:
    """Append ``rows`` to ``table`` with ``COPY … FROM STDIN (FORMAT BINARY)``; statement triggers
    (a queue's wake-up) fire once."""
    sql = f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
    with uow.conn.cursor() as cursor, cursor.copy(sql) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


@dataclass(frozen=True)
class Outgoing:
    """An event for the outbox: its type, payload, topic and key."""

    type: str
    data: dict[str, Any]
    topic: str
    key: str
    version: int = 1
    correlation_id: str | None = None


OUTBOX_ROWS = Rows("o", "event_id uuid, topic text, key text, event_type text, envelope jsonb")


class UnitOfWork:
    """One transaction: ``execute`` business SQL, ``emit`` events into the outbox, commit on exit.

    Leaving the block with an exception rolls everything back, events included, so no event is
    ever published for a change that did not happen.
    """

    def __init__(self, conn: psycopg.Connection[Any], source: str):
        self.conn = conn
        self.source = source
        self.emitted: list[Envelope] = []
        self._deferred: dict[Hashable, Callable[[], None]] = {}
        self._memo: dict[Hashable, Any] = {}

    def memo(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """``read()`` once per transaction for ``key``: for reference data (a KPI, a unit's place
        in the hierarchy) that a batch of events reads again and again and nothing in the same
        transaction changes. Never for rows the transaction itself writes."""
        if key not in self._memo:
            self._memo[key] = read()
        return self._memo[key]

    def defer(self, key: Hashable, work: Callable[[], None]) -> None:
        """Do ``work`` once, just before this unit of work commits, however often it is deferred
        under ``key`` (the latest ``work`` wins). Deferred work runs in the order of the keys'
        reprs: one order for every transaction, so deferred work that takes locks in key order
        never waits on another transaction in a cycle. Lets a batch of changes refresh what they
        share once.
        """
        captured = correlation.current()

        def under_its_correlation() -> None:
            token = correlation.use(captured)
            try:
                work()
            finally:
                correlation.reset(token)

        self._deferred[key] = under_its_correlation

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: on an exception its rows and the work it deferred are undone."""
        kept = dict(self._deferred)
        try:
            with self.conn.transaction():
                yield
        except BaseException:
            self._deferred = kept
            raise

    def flush(self) -> None:
        """Run the deferred work (which may defer more). Called by ``unit_of_work`` before commit."""
        while self._deferred:
            queue, self._deferred = self._deferred, {}
            for key in sorted(queue, key=repr):
                queue[key]()  # work deferred meanwhile lands in a fresh queue, run by the next round

    def execute(self, sql: str, params: Any = None) -> psycopg.Cursor[Any]:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Any = None) -> dict[str, Any] | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        return self.conn.execute(sql, params).fetchall()

    def all_as(self, make: Callable[..., Made], sql: str, params: Any = None) -> list[Made]:
        """Every row as ``make(*columns)``, with no dict between: for the many rows of a pass."""
        with self.conn.cursor(row_factory=args_row(make)) as cursor:
            return cursor.execute(sql, params).fetchall()

    def emit(self, type: str, data: dict[str, Any], *, topic: str, key: str, version: int = 1) -> Envelope:
        """Validate the payload and write the event to the outbox in this transaction."""
        [event] = self.emit_many([Outgoing(type, data, topic, key, version, correlation.current())])
        return event

    def emit_many(self, outgoing: list[Outgoing]) -> list[Envelope]:
        """``emit`` for many events, each validated, written to the outbox in one statement in
        the order given (each under its own correlation id)."""
        events = [new_event(o.type, REGISTRY.dump(o.type, o.data, o.version), source=self.source, subject=o.key,
                            version=o.version, correlationid=o.correlation_id) for o in outgoing]
        if events:
            self.conn.execute(
                f"INSERT INTO outbox (event_id, topic, key, event_type, envelope)"
                f" SELECT event_id, topic, key, event_type, envelope FROM {OUTBOX_ROWS.sql}",
                (OUTBOX_ROWS.param((e.id, o.topic, o.key, o.type, e.to_dict())
                                   for e, o in zip(events, outgoing, strict=True)),),
            )
        self.emitted.extend(events)
        return events


@contextmanager
def unit_of_work(pool: ConnectionPool, source: str) -> Iterator[UnitOfWork]:
    with pool.connection() as conn, conn.transaction():
        uow = UnitOfWork(conn, source)
        yield uow
        uow.flush()


def migrate(database_url: str, *service_migrations: Path) -> int:
    """Apply the shared platform tables, then the service's own migrations; returns how many ran."""
    backend = get_backend(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    migrations = read_migrations(str(SHARED_MIGRATIONS), *map(str, service_migrations))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return len(pending)
