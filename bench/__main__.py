"""python -m bench [--events N] [--consumers 1,2] [--rows 10000,1000000] [--only backfill|dashboard|alerts|lists]
(make bench BENCH_ARGS="...")

Runs against the test servers and services that `make bench` starts and prints, each as a ratio
to a baseline measured in the same run:

1. backfill (bench/backfill.py), for each consumer count of --consumers: raw kafka-python consume;
   decode + validate alone (marshmallow and the published contract, side by side); a plain COPY
   of the same rows; ingest (stored and committed, lag 0); end to end (every chart current);
   peak RSS of the consumer processes and the aggregator worker; and, during the first backfill,
   the alert latency;
2. dashboard: the KPI summary matrix of a unit with 50 KPIs under concurrent load: p50, p99 and
   requests/s, and its ratio to /healthz on the same gunicorn;
3. alerts: from an outside producer publishing a measure that creates a special cause to the
   email arriving in the SMTP server, p50 and p99, on an otherwise idle platform;
4. lists: the ideas list and the email log at each row count of --rows (seeded in the database):
   first, middle (by cursor) and filtered pages in requests/s, each as a ratio to /healthz, and
   the largest size against the smallest.

Then the goals table of the performance work: each ratio of this run beside its baseline.
No figure is asserted: the machines are shared and noisy; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import signal
import sys

from bench import alerts, backfill, dashboard, lists
from bench.common import percentile

BEFORE = {  # measured on 2026-11-26 (bench/README.md), before the contract reader, COPY and numpy
    "ingest": "0.055 (end to end)", "end_to_end": "0.055", "dashboard": "0.42", "alert": "74 ms idle",
    "rss": "not measured"}


def main() -> None:
    # SIGTERM unwinds like ^C: the backfill's consumer processes are stopped and joined, and
    # multiprocessing ends the rest at exit. Killed without it, they outlived the bench and
    # polled on beside the next run.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="backfill size (the goal is stated for 1,000,000)")
    parser.add_argument("--units", type=int, default=50, help="backfill: units (x KPIs x months = events)")
    parser.add_argument("--kpis", type=int, default=20)
    parser.add_argument("--consumers", type=_sizes, default=[1, 2],
                        help="backfill: metrics consumer processes in one group, one backfill per count, "
                             "comma-separated (at most the topic's 6 partitions)")
    parser.add_argument("--alerts-during", type=int, default=5,
                        help="backfill: alerts to time while the first backfill runs (0: none)")
    parser.add_argument("--seconds", type=float, default=10.0, help="dashboard: load duration per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="dashboard: concurrent clients")
    parser.add_argument("--alerts", type=int, default=20, help="alerts: how many alerts to time")
    parser.add_argument("--rows", type=_sizes, default=[10_000, 1_000_000],
                        help="lists: the row counts to seed and compare, comma-separated (e.g. 10000,100000)")
    parser.add_argument("--list-seconds", type=float, default=5.0, help="lists: load duration per page")
    parser.add_argument("--only", choices=["backfill", "dashboard", "alerts", "lists"])
    args = parser.parse_args()
    results: list[str] = []
    backfills: list[backfill.Figures] = []
    dashboard_ratio: float | None = None
    if args.only in (None, "backfill"):
        for i, consumers in enumerate(args.consumers):
            figures = backfill.run(args.events, args.units, args.kpis, consumers,
                                   args.alerts_during if i == 0 else 0)
            backfills.append(figures)
            _keep(results, backfill.describe(figures))
    if args.only in (None, "dashboard"):
        line, dashboard_ratio = dashboard.measure(args.seconds, args.clients)
        _keep(results, line)
    if args.only in (None, "alerts"):
        _keep(results, alerts.run(args.alerts))
    if args.only in (None, "backfill", "dashboard"):
        print("\n== goals (ratios of this run; the baseline each is against is measured in the same run)")
        print(goals_table(backfills, dashboard_ratio), flush=True)
    if args.only in (None, "lists"):
        for line in lists.run(args.rows, args.list_seconds, args.clients):
            _keep(results, line)
    print("\n== results")
    for line in results:
        print(line)


def _keep(results: list[str], line: str) -> None:
    """Print a figure as soon as it is measured (a later failure cannot lose it) and keep it."""
    print(line, flush=True)
    results.append(line)


def goals_table(backfills: list[backfill.Figures], dashboard_ratio: float | None) -> str:
    rows = ["| figure | before (2026-11-26) | this run | goal | met |", "| --- | --- | --- | --- | --- |"]
    for f in backfills:
        who = f"{f.events:,} events, {f.consumers} consumer{'s' if f.consumers > 1 else ''}"
        rows.append(_row(f"ingest rate / raw consume rate ({who}; raw {f.raw:,.0f}/s)", BEFORE["ingest"],
                         f.ingest / f.raw, ">= 0.5", f.ingest / f.raw >= 0.5))
        rows.append(_row(f"end-to-end rate / raw consume rate ({who})", BEFORE["end_to_end"],
                         f.end_to_end / f.raw, ">= 0.25", f.end_to_end / f.raw >= 0.25))
        peak = max(f.consumer_rss_mb, default=0.0)
        rows.append(f"| peak RSS of a consumer ({who}) | {BEFORE['rss']} | {peak:,.0f} MB | < 300 MB | "
                    f"{'yes' if peak < 300 else 'no'} |")
        if f.alert_latencies:
            hold = alerts.hold_seconds()
            p99 = percentile(f.alert_latencies, 99) - hold
            rows.append(f"| alert p99, publish to email, during the backfill, net of the {hold:g} s alert hold "
                        f"({who}) | {BEFORE['alert']} | {p99 * 1000:,.0f} ms | < 1 s | {'yes' if p99 < 1 else 'no'} |")
        elif f.alert_error:
            rows.append(f"| alert p99 during the backfill ({who}) | {BEFORE['alert']} | {f.alert_error} | < 1 s | no |")
    if dashboard_ratio is not None:
        rows.append(_row("dashboard rps / `/healthz` rps", BEFORE["dashboard"], dashboard_ratio, ">= 0.5",
                         dashboard_ratio >= 0.5))
    return "\n".join(rows)


def _row(figure: str, before: str, ratio: float, goal: str, met: bool) -> str:
    return f"| {figure} | {before} | {ratio:.3f} | {goal} | {'yes' if met else 'no'} |"


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


if __name__ == "__main__":
    main()
