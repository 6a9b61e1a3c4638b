"""SQL for signal episodes: a run of special causes of one kind, alerted once (hold the series'
lock, ``locks.lock_series``, to read and change them)."""

from __future__ import annotations

from datetime import date

from services.metrics.adapters.measures import SERIES
from services.metrics.adapters.rows import SeriesKey, StoredEpisode
from shared.db import UnitOfWork


def latest_episodes(uow: UnitOfWork, series: list[SeriesKey]) -> dict[SeriesKey, StoredEpisode]:
    """The newest signal episode of each series that has one."""
    rows = uow.all(
        f"""SELECT DISTINCT ON (e.kpi_code, e.unit_code) e.id, e.kpi_code, e.unit_code, e.point_type, e.started,
                   e.last_seen
              FROM {SERIES.sql} JOIN signal_episodes e USING (kpi_code, unit_code)
             ORDER BY e.kpi_code, e.unit_code, e.id DESC""",
        (SERIES.param(series),),
    )
    return {(row["kpi_code"], row["unit_code"]): StoredEpisode(**row) for row in rows}


def extend_episode(uow: UnitOfWork, episode_id: int, month: date) -> None:
    uow.execute("UPDATE signal_episodes SET last_seen = greatest(last_seen, %s) WHERE id = %s", (month, episode_id))


def start_episode(uow: UnitOfWork, kpi_code: str, unit_code: str, point_type: str, special_cause_type: str,
                  month: date) -> None:
    uow.execute(
        """INSERT INTO signal_episodes (kpi_code, unit_code, point_type, special_cause_type, started, last_seen)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (kpi_code, unit_code, point_type, special_cause_type, month, month),
    )
