"""Lists as their tables grow: the ideas list and the email log at each row count asked for.

The rows an earlier run seeded are removed first. For each size the tables are topped up to that
many rows straight in the database (generate_series, not through the API), vacuumed and analysed;
then three pages of each list are loaded like /healthz of the same service in the same run: the
first page, a page in the middle of the list (reached by walking ``next`` cursors), and a filtered
page. Each figure is requests/s and its ratio
to /healthz; the last lines compare every page at the largest size with the same page at the
smallest. Goal: at 1,000,000 rows within 2x of 10,000 rows, and at least 0.3x /healthz.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import psycopg
import requests

from bench.common import admin_headers, service_url
from bench.dashboard import load

PAGE_SIZE = 20
WALK_PAGE_SIZE = 200


@dataclass(frozen=True)
class BenchedList:
    service: str
    path: str
    table: str
    seed_sql: str  # inserts %s rows
    seeded: str  # the condition that picks the rows the bench seeded (removed when it starts)
    filtered: str  # the query string of the filtered page


LISTS = (
    BenchedList("ideas", "/api/v1/ideas", "ideas",
                """INSERT INTO ideas (id, title, description, submitted_by, stage, submitted_at)
                   SELECT gen_random_uuid(), 'Bench idea ' || g, 'Seeded for the list benchmark', 'bench',
                          (ARRAY['submitted', 'under_review', 'accepted', 'declined'])[1 + g %% 4],
                          now() - make_interval(secs => g)
                     FROM generate_series(1, %s) g""",
                "submitted_by = 'bench'", "stage=accepted"),
    BenchedList("notifications", "/api/v1/emails", "emails",
                """INSERT INTO emails (id, caused_by, event_type, recipients, subject, body, status, attempts,
                                       created_at, sent_at)
                   SELECT gen_random_uuid(), 'bench', 'bench.seeded', ARRAY['bench@hospital.example'], 'Bench',
                          'Seeded for the list benchmark', CASE WHEN g %% 10 = 0 THEN 'failed' ELSE 'sent' END, 1,
                          now() - make_interval(secs => g), now() - make_interval(secs => g)
                     FROM generate_series(1, %s) g""",
                "caused_by = 'bench'", "status=failed"),
)


def run(sizes: list[int], seconds: float, clients: int) -> list[str]:
    figures: dict[tuple[str, str, int], float] = {}
    health_of: dict[tuple[str, int], float] = {}
    lines = []
    for benched in LISTS:
        _remove_seeded(benched)
    for size in sorted(sizes):
        for benched in LISTS:
            _top_up(benched, size)
            base = service_url(benched.service)
            health = health_of[(benched.service, size)] = load(f"{base}/healthz", seconds, clients)["rps"]
            for name, url in _pages(benched, base, size).items():
                rps = load(url, seconds, clients, headers=admin_headers())["rps"]
                figures[(benched.service, name, size)] = rps
                lines.append(f"lists: {benched.path} {name} page at {size:,} rows: {rps:,.0f} req/s, "
                             f"{rps / health:.2f}x /healthz ({health:,.0f} req/s) (goal >= 0.3)")
    lines.extend(_growth(figures, health_of, min(sizes), max(sizes)))
    return lines


def _growth(figures: dict[tuple[str, str, int], float], health_of: dict[tuple[str, int], float],
            smallest: int, largest: int) -> list[str]:
    """How much slower each page is at the largest size than at the smallest: in plain req/s, and
    against /healthz measured beside each (the goal's figure: the sizes run minutes apart on a
    shared machine, and /healthz shows how busy it was at each)."""
    lines = []
    for (service, name, size), rps in figures.items():
        if size != largest or largest == smallest:
            continue
        small = figures[(service, name, smallest)]
        plain = small / rps
        beside = (small / health_of[(service, smallest)]) / (rps / health_of[(service, largest)])
        lines.append(f"lists: {service} {name} page, {largest:,} vs {smallest:,} rows: {beside:.2f}x slower "
                     f"against /healthz beside each (goal <= 2); {plain:.2f}x in plain req/s")
    return lines


def _remove_seeded(benched: BenchedList) -> None:
    """An earlier run's rows go, so every run measures its sizes from the same start."""
    with psycopg.connect(os.environ[f"{benched.service.upper()}_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f"DELETE FROM {benched.table} WHERE {benched.seeded}")


def _top_up(benched: BenchedList, size: int) -> None:
    """``benched.table`` holds at least ``size`` rows, vacuumed (so index-only scans stay index-only)."""
    with psycopg.connect(os.environ[f"{benched.service.upper()}_DATABASE_URL"], autocommit=True) as conn:
        [(have,)] = conn.execute(f"SELECT count(*) FROM {benched.table}").fetchall()
        if have < size:
            conn.execute(benched.seed_sql, (size - have,))
        conn.execute(f"VACUUM ANALYZE {benched.table}")


def _pages(benched: BenchedList, base: str, size: int) -> dict[str, str]:
    url = f"{base}{benched.path}"
    return {"first": f"{url}?page_size={PAGE_SIZE}",
            "middle": f"{url}?page_size={PAGE_SIZE}&cursor={_cursor_at(url, size // 2)}",
            "filtered": f"{url}?page_size={PAGE_SIZE}&{benched.filtered}"}


def _cursor_at(url: str, depth: int) -> str:
    """The ``next`` cursor after about ``depth`` rows, reached by walking the list as a client would."""
    session, cursor, walked = requests.Session(), None, 0
    headers = admin_headers()
    while walked < depth:
        response = session.get(url, params={"page_size": WALK_PAGE_SIZE, **({"cursor": cursor} if cursor else {})},
                               headers=headers, timeout=60)
        response.raise_for_status()
        cursor = response.json()["next"]
        walked += WALK_PAGE_SIZE
        if cursor is None:
            raise SystemExit(f"bench: {url} ended before row {depth:,}")
    return cursor
