"""The aggregator's tail after a backfill, side by side: the same backfill's queued work drained by
one or two aggregator worker processes, with this checkout's code and with other checkouts' (the
code before a change), in one run on one machine.

    python -m bench.aggregator_drain --compare main=/tmp/main-checkout [--units 100 --kpis 20 --months 24]

For each configuration (code x workers) a catalogue of its own (a trust, directorates, wards,
KPIs) gets the backfill's measures, stored and queued by the consumer's statement
(``handlers.record_measures(queue=True)``) with no worker running, in batches of ``--batch``
(2,000, the consumer's poll; smaller batches, as when polls mix partitions, queue each parent's
month many times, spread along the queue, which made two workers that claimed roll-ups as rows
wait for each other). Then the workers start together, and the drain is timed from their start
to the moment the last sees both queues empty (every roll-up done, every chart current); the
statements waiting for a lock meanwhile are sampled every 50 ms. Stop the stack's own aggregator worker
first: it would drain the queue too. ``--without-index NAME`` drops the roll-up queue's index
(migration 0036) for that code's runs, as its schema had none. The end states (every chart and
rolled-up value, numbers rounded to 9 places) are compared across configurations.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.backfill import _catalogue, _measures
from bench.common import months, tag
from services.metrics.domain.measures import Measure
from services.metrics.service_layer import handlers
from shared import db
from shared.config import Settings
from shared.month import first_day_of

WORKER = """
import sys, time
from shared import db
from shared.config import Settings
from services.metrics.adapters import queues
from services.metrics.service_layer import aggregator
pool = db.make_pool(Settings.from_env("metrics").database_url, max_size=2, name="bench-drain")
print("ready", flush=True)
sys.stdin.readline()
passes = []
while True:
    started = time.time()
    claimed = aggregator.run_pass(pool)
    if claimed:
        passes.append(f"{claimed}:{started:.2f}-{time.time():.2f}")
        continue
    with db.unit_of_work(pool, "metrics") as uow:
        if queues.queued(uow) == 0:
            break
    time.sleep(0.05)
print("done", time.time(), ",".join(passes), flush=True)
pool.close()
"""


@dataclass
class Drain:
    code: str
    workers: int
    seconds: float
    passes: list[list[str]]
    queued_rows: int
    charts: int
    digest: list[tuple]
    lock_waits: Counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="append", default=[], metavar="NAME=PATH",
                        help="a checkout of code to compare this one's with (e.g. main=/tmp/main)")
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--kpis", type=int, default=20)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--batch", type=int, default=2_000, help="measures stored (and queued) per transaction")
    parser.add_argument("--rounds", type=int, default=1, help="each configuration this many times, interleaved")
    parser.add_argument("--without-index", action="append", default=[], metavar="NAME")
    args = parser.parse_args()
    pool = db.make_pool(Settings.from_env("metrics").database_url, max_size=2, name="bench-drain")
    trees = {name: Path(path).resolve() for name, path in (pair.split("=", 1) for pair in args.compare)}
    trees["this"] = Path.cwd()
    drains = []
    for _ in range(args.rounds):
        for workers in [int(n) for n in args.workers.split(",")]:
            for code, tree in trees.items():
                drains.append(_drain(pool, tree, code, workers, args))
                print(_line(drains[-1]), flush=True)
    pool.close()
    print(_table(drains, list(trees)))
    for d in drains[1:]:
        differ = [mine[:2] for mine, first in zip(d.digest, drains[0].digest, strict=True) if mine != first]
        if differ:
            print(f"end state of {d.code}, {d.workers} worker(s) differs from {drains[0].code}'s: {differ[:5]}")
    if all(d.digest == drains[0].digest for d in drains):
        print("end states: identical across configurations")


def _drain(pool, tree: Path, code: str, workers: int, args: argparse.Namespace) -> Drain:
    run_tag = tag()
    units, kpis = _catalogue(run_tag, args.units, args.kpis)
    _store(pool, units, kpis, months(args.months), args.batch)
    queued_rows = _count(pool, "SELECT (SELECT count(*) FROM rollup_queue) + (SELECT count(*) FROM chart_queue) AS n")
    without_index = code in args.without_index
    if without_index:
        _execute(pool, "DROP INDEX IF EXISTS rollup_queue_months")
    try:
        seconds, passes, lock_waits = _run_workers(pool, tree, workers)
    finally:
        if without_index:
            _execute(pool, "CREATE INDEX IF NOT EXISTS rollup_queue_months ON rollup_queue (kpi_code, period)")
    charts = _count(pool, f"SELECT count(*) AS n FROM spc_charts WHERE kpi_code LIKE '%-{run_tag}'")
    return Drain(code, workers, seconds, passes, queued_rows, charts, _digest(pool, run_tag), lock_waits)


def _store(pool, units: list[str], kpis: list[str], month_list: list[str], batch: int) -> None:
    measures = [Measure(kpi, unit, first_day_of(month), value, None, None, "bench")
                for kpi, unit, month, value in _measures(units, kpis, month_list)]
    for start in range(0, len(measures), batch):
        with db.unit_of_work(pool, "metrics") as uow:
            handlers.record_measures(uow, [handlers.Incoming(m) for m in measures[start:start + batch]],
                                     datetime.now(UTC).date(), queue=True)


def _run_workers(pool, tree: Path, workers: int) -> tuple[float, list[list[str]], Counter]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    processes = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=tree, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    done, lock_waits = threading.Event(), Counter()
    sampler = threading.Thread(target=_sample_lock_waits, args=(pool, done, lock_waits))
    sampler.start()
    started = time.time()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    ends, passes = [], []
    for process in processes:
        assert process.stdout is not None
        _, end, *timings = process.stdout.readline().split()
        ends.append(float(end))
        passes.append(_relative(timings[0].split(",") if timings else [], started))
        process.wait(60)
    done.set()
    sampler.join()
    return max(ends) - started, passes, lock_waits


def _relative(passes: list[str], started: float) -> list[str]:
    """Each pass as rows claimed @ seconds from the start to its commit."""
    result = []
    for text in passes:
        claimed, span = text.split(":")
        begin, end = (float(t) - started for t in span.split("-"))
        result.append(f"{claimed}@{begin:.1f}-{end:.1f}")
    return result


def _sample_lock_waits(pool, done: threading.Event, found: Counter) -> None:
    """Every 50 ms, which statements of the service's role wait for a lock (heavyweight: advisory
    locks, rows, tables), counted by their first words."""
    with pool.connection() as conn:
        conn.autocommit = True
        while not done.wait(0.05):
            for row in conn.execute(
                    "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS q FROM pg_stat_activity"
                    " WHERE usename = current_user AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"):
                found[row["q"]] += 1


def _digest(pool, run_tag: str) -> list[tuple]:
    """Every chart's points and limits and every rolled-up value, with the run's tag taken off the
    codes and numbers rounded to 9 places (a mean's last bit depends on the order its children
    are summed in)."""
    with pool.connection() as conn:
        charts = conn.execute(
            "SELECT replace(kpi_code, %(t)s, '') AS k, replace(unit_code, %(t)s, '') AS u, chart_type, last_period,"
            " last_point_type, variation_icon, assurance_icon, chart->'point_columns' AS points FROM spc_charts"
            " WHERE kpi_code LIKE '%%' || %(t)s ORDER BY 1, 2", {"t": f"-{run_tag}"}).fetchall()
        values = conn.execute(
            "SELECT md5(string_agg(concat_ws(',', replace(kpi_code, %(t)s, ''), replace(unit_code, %(t)s, ''),"
            " period, round(value::numeric, 9)), ';' ORDER BY kpi_code, unit_code, period)) AS v FROM kpi_values"
            " WHERE kpi_code LIKE '%%' || %(t)s AND rolled_up", {"t": f"-{run_tag}"}).fetchone()
    return [(row["k"], row["u"], row["chart_type"], row["last_period"], row["last_point_type"],
             row["variation_icon"], row["assurance_icon"], _points(row["points"])) for row in charts] + [(values["v"],)]


def _points(columns: dict | None) -> str:
    kept = ("y", "mean_col", "lpl", "upl", "point_type")
    return repr({name: [round(v, 9) if isinstance(v, float) else v for v in (columns or {}).get(name) or []]
                 for name in kept})


def _count(pool, sql: str) -> int:
    with pool.connection() as conn:
        return int(conn.execute(sql).fetchone()["n"])


def _execute(pool, sql: str) -> None:
    with pool.connection() as conn:
        conn.execute(sql)


def _line(d: Drain) -> str:
    waits = "; ".join(f"{n} x {q}" for q, n in d.lock_waits.most_common(3)) or "none"
    return (f"{d.code} code, {d.workers} worker(s): drained {d.queued_rows:,} queued rows in {d.seconds:.1f} s"
            f" (passes {d.passes}), {d.charts} charts; lock waits sampled every 50 ms: {waits}")


def _table(drains: list[Drain], codes: list[str]) -> str:
    """Seconds to drain, each run, per code and number of workers; the ratio of the fastest run to
    the first code's fastest."""
    rows = [f"| workers | {' | '.join(f'{code} (s)' for code in codes)} | "
            f"{' | '.join(f'{code} / {codes[0]}' for code in codes[1:])} |",
            "| --- " * (1 + 2 * len(codes) - 1) + "|"]
    for workers in sorted({d.workers for d in drains}):
        runs = {code: [d.seconds for d in drains if d.workers == workers and d.code == code] for code in codes}
        cells = [", ".join(f"{s:.1f}" for s in runs[code]) for code in codes]
        ratios = [f"{min(runs[code]) / min(runs[codes[0]]):.2f}" for code in codes[1:]]
        rows.append(f"| {workers} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
