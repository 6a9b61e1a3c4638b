"""python -m bench [--events N] [--rows 10000,1000000] [--only backfill|dashboard|alerts|lists]
(make bench BENCH_ARGS="...")

Runs against the test servers and services that `make bench` starts. Prints three figures:

1. backfill: measure.recorded events from Kafka to stored, rolled-up, SPC-classified state, in
   events/s, and its ratio to the raw kafka-python consume rate of the same topic (same run);
2. dashboard: the KPI summary matrix of a unit with 50 KPIs under concurrent load: p50, p99 and
   requests/s, and its ratio to /healthz on the same gunicorn;
3. alerts: from an outside producer publishing a measure that creates a special cause to the
   email arriving in the SMTP server, p50 and p99;
4. lists: the ideas list and the email log at each row count of --rows (seeded in the database):
   first, middle (by cursor) and filtered pages in requests/s, each as a ratio to /healthz, and
   the largest size against the smallest.

No figure is asserted: the machines are shared and noisy; the ratios are what to compare.
"""

from __future__ import annotations

import argparse

from bench import alerts, backfill, dashboard, lists


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="backfill size (the goal is stated for 1,000,000)")
    parser.add_argument("--units", type=int, default=50, help="backfill: units (x KPIs x months = events)")
    parser.add_argument("--kpis", type=int, default=20)
    parser.add_argument("--consumers", type=int, default=1,
                        help="backfill: metrics consumer processes in one group (at most the topic's partitions)")
    parser.add_argument("--seconds", type=float, default=10.0, help="dashboard: load duration per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="dashboard: concurrent clients")
    parser.add_argument("--alerts", type=int, default=20, help="alerts: how many alerts to time")
    parser.add_argument("--rows", type=_sizes, default=[10_000, 1_000_000],
                        help="lists: the row counts to seed and compare, comma-separated (e.g. 10000,100000)")
    parser.add_argument("--list-seconds", type=float, default=5.0, help="lists: load duration per page")
    parser.add_argument("--only", choices=["backfill", "dashboard", "alerts", "lists"])
    args = parser.parse_args()
    results = []
    if args.only in (None, "backfill"):
        results.append(backfill.run(args.events, args.units, args.kpis, args.consumers))
    if args.only in (None, "dashboard"):
        results.append(dashboard.run(args.seconds, args.clients))
    if args.only in (None, "alerts"):
        results.append(alerts.run(args.alerts))
    if args.only in (None, "lists"):
        results.extend(lists.run(args.rows, args.list_seconds, args.clients))
    print("\n== results")
    for line in results:
        print(line)


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


if __name__ == "__main__":
    main()
