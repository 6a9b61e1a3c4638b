"""SQL for the board packs: their dates set by hand, the data sources' owners, the feeds missing for
a month, the dead-lettered feed rows kept per data source, and who was told before which pack."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.metrics.domain.board_pack import DeadLetteredRow, MissingFeed
from shared.db import UnitOfWork
from shared.month import Month


def overrides(uow: UnitOfWork, months: list[Month]) -> dict[Month, date]:
    rows = uow.all("SELECT month, due_on FROM board_pack_dates WHERE month = ANY(%s)",
                   ([month.first_day for month in months],))
    return {Month.of(row["month"]): row["due_on"] for row in rows}


def set_override(uow: UnitOfWork, month: Month, due_on: date, by: str) -> None:
    uow.execute("""INSERT INTO board_pack_dates (month, due_on, set_by) VALUES (%s, %s, %s)
                   ON CONFLICT (month) DO UPDATE SET due_on = excluded.due_on, set_by = excluded.set_by,
                                                     set_at = now()""", (month.first_day, due_on, by))


def clear_override(uow: UnitOfWork, month: Month) -> bool:
    return uow.one("DELETE FROM board_pack_dates WHERE month = %s RETURNING 1 AS gone", (month.first_day,)) is not None


def override_row(uow: UnitOfWork, month: Month) -> dict[str, Any] | None:
    return uow.one("SELECT due_on, set_by, set_at FROM board_pack_dates WHERE month = %s", (month.first_day,))


# Every KPI fed by a data feed and unit that has reported it before the month (the overdue worker's
# rule: expected to report), open in that month, with no measure for it; with the KPI's owners and
# its data source's.
MISSING = """
    SELECT k.code AS kpi_code, k.name AS kpi_name, u.code AS unit_code, u.name AS unit_name,
           k.data_source, k.owners AS kpi_owners, coalesce(s.owners, '{}') AS source_owners
      FROM kpis k
      JOIN (SELECT DISTINCT kpi_code, unit_code FROM measures WHERE period < %(month)s) reported
        ON reported.kpi_code = k.code
      JOIN units u ON u.code = reported.unit_code
      LEFT JOIN data_sources s ON s.name = k.data_source
     WHERE k.expects_feed
       AND (u.closed_on IS NULL OR u.closed_on >= %(month)s)
       AND NOT EXISTS (SELECT 1 FROM measures m WHERE m.kpi_code = k.code AND m.unit_code = u.code
                          AND m.period = %(month)s)
     ORDER BY k.code, u.code"""


def missing_feeds(uow: UnitOfWork, month: Month) -> list[MissingFeed]:
    return [MissingFeed(row["kpi_code"], row["unit_code"], row["kpi_name"], row["unit_name"], row["data_source"],
                        tuple(row["kpi_owners"]), tuple(row["source_owners"]))
            for row in uow.all(MISSING, {"month": month.first_day})]


# -- data sources ------------------------------------------------------------------------------------

DATA_SOURCES = """
    SELECT names.name, coalesce(s.owners, '{}') AS owners, coalesce(s.version, 0) AS version,
           s.changed_by, s.changed_at, names.kpis
      FROM (SELECT name, sum(kpis)::int AS kpis FROM (
                SELECT data_source AS name, count(*) AS kpis FROM kpis
                 WHERE expects_feed AND data_source <> '' GROUP BY data_source
                UNION ALL SELECT name, 0 FROM data_sources) both_ GROUP BY name) names
      LEFT JOIN data_sources s ON s.name = names.name"""


def data_sources(uow: UnitOfWork, limit: int, offset: int) -> list[dict[str, Any]]:
    """Every data source the KPIs name (and any given owners before a KPI named it), by name, with
    its owners and how many KPIs it feeds."""
    return uow.all(f"{DATA_SOURCES} ORDER BY names.name LIMIT %s OFFSET %s", (limit, offset))


def data_source_count(uow: UnitOfWork) -> int:
    row = uow.one(f"SELECT count(*) AS n FROM ({DATA_SOURCES}) sources")
    return int(row["n"]) if row else 0


def data_source(uow: UnitOfWork, name: str) -> dict[str, Any] | None:
    return uow.one(f"{DATA_SOURCES} WHERE names.name = %s", (name,))


def source_owners(uow: UnitOfWork, names: list[str]) -> dict[str, tuple[str, ...]]:
    rows = uow.all("SELECT name, owners FROM data_sources WHERE name = ANY(%s)", (names,))
    return {row["name"]: tuple(row["owners"]) for row in rows}


def put_owners(uow: UnitOfWork, name: str, owners: list[str], by: str, seen_version: int | None
               ) -> dict[str, Any] | None:
    """The data source with its new owners; None when ``seen_version`` is not its version now."""
    row = uow.one(
        """INSERT INTO data_sources AS s (name, owners, changed_by) VALUES (%(name)s, %(owners)s, %(by)s)
           ON CONFLICT (name) DO UPDATE SET owners = excluded.owners, changed_by = excluded.changed_by,
                  changed_at = now(), version = s.version + 1
            WHERE %(seen)s::int IS NULL OR s.version = %(seen)s
           RETURNING name""",
        {"name": name, "owners": owners, "by": by, "seen": seen_version})
    return None if row is None else data_source(uow, name)


# -- dead-lettered feed rows -----------------------------------------------------------------------------

def positions(uow: UnitOfWork) -> dict[int, int]:
    return {row["dl_partition"]: row["next_offset"]
            for row in uow.all("SELECT dl_partition, next_offset FROM dead_letter_positions")}


def add_dead_letters(uow: UnitOfWork, rows: list[dict[str, Any]], read_up_to: dict[int, int]) -> int:
    """Keep ``rows`` (each once, by partition and offset) and where reading resumes; how many were new."""
    added = 0
    for row in rows:
        added += uow.one(
            """INSERT INTO feed_dead_letters (dl_partition, dl_offset, data_source, kpi_code, unit_code, period,
                                              reason, category, event_id, dead_lettered_at)
               VALUES (%(dl_partition)s, %(dl_offset)s, %(data_source)s, %(kpi_code)s, %(unit_code)s, %(period)s,
                       %(reason)s, %(category)s, %(event_id)s, %(dead_lettered_at)s)
               ON CONFLICT DO NOTHING RETURNING 1 AS new""", row) is not None
    for partition, offset in read_up_to.items():
        uow.execute("""INSERT INTO dead_letter_positions (dl_partition, next_offset) VALUES (%s, %s)
                       ON CONFLICT (dl_partition) DO UPDATE SET next_offset = greatest(
                           dead_letter_positions.next_offset, excluded.next_offset)""", (partition, offset))
    return added


DEAD_LETTER_COLUMNS = ("dl_partition, dl_offset, data_source, kpi_code, unit_code, period, reason, category, "
                       "dead_lettered_at, reported_in, reported_at")


def unreported_dead_letters(uow: UnitOfWork, data_sources: list[str]) -> list[DeadLetteredRow]:
    rows = uow.all(f"""SELECT {DEAD_LETTER_COLUMNS} FROM feed_dead_letters
                        WHERE reported_at IS NULL AND data_source = ANY(%s)
                        ORDER BY dead_lettered_at LIMIT 5000""", (data_sources,))
    return [_dead_lettered(row) for row in rows]


def mark_reported(uow: UnitOfWork, rows: list[DeadLetteredRow], month: Month) -> None:
    keys = [tuple(int(part) for part in row.position.split("@")) for row in rows]
    uow.execute("""UPDATE feed_dead_letters SET reported_in = %s, reported_at = now()
                    WHERE (dl_partition, dl_offset) IN (SELECT * FROM unnest(%s::int[], %s::bigint[]))
                      AND reported_at IS NULL""",
                (month.first_day, [key[0] for key in keys], [key[1] for key in keys]))


def dead_letters_page(uow: UnitOfWork, data_source: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    return uow.all(f"""SELECT {DEAD_LETTER_COLUMNS} FROM feed_dead_letters
                        WHERE %(source)s::text IS NULL OR data_source = %(source)s
                        ORDER BY dead_lettered_at DESC, dl_partition, dl_offset LIMIT %(limit)s OFFSET %(offset)s""",
                   {"source": data_source, "limit": limit, "offset": offset})


def dead_letter_count(uow: UnitOfWork, data_source: str | None) -> int:
    row = uow.one("SELECT count(*) AS n FROM feed_dead_letters"
                  " WHERE %(source)s::text IS NULL OR data_source = %(source)s", {"source": data_source})
    return int(row["n"]) if row else 0


def _dead_lettered(row: dict[str, Any]) -> DeadLetteredRow:
    at: datetime = row["dead_lettered_at"]
    return DeadLetteredRow(at.isoformat(), f"{row['dl_partition']}@{row['dl_offset']}", row["data_source"],
                           row["reason"], row["kpi_code"], row["unit_code"], row["period"])


# -- who was told ----------------------------------------------------------------------------------------

def first_notice(uow: UnitOfWork, month: Month, recipient: str, missing: int, dead_lettered: int) -> bool:
    """Record that ``recipient`` is told before the month's board pack; False when they were already."""
    return uow.one("""INSERT INTO board_pack_notices (month, recipient, missing, dead_lettered)
                      VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1 AS new""",
                   (month.first_day, recipient.casefold(), missing, dead_lettered)) is not None


def notices_sent(uow: UnitOfWork, month: Month) -> list[dict[str, Any]]:
    return uow.all("SELECT recipient, missing, dead_lettered, sent_at FROM board_pack_notices WHERE month = %s"
                   " ORDER BY recipient", (month.first_day,))
