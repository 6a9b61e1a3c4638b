"""python -m chaos: start env chaos, run the fault suite, print its table, stop everything it started."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable

from chaos.report import table
from chaos.scenarios import SCENARIOS, Options, Row, scenario
from chaos.stack import Stack, say
from devstack import stack as devstack
from devstack.config import ENVS


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    chosen = [scenario(name) for name in args.only.split(",")] if args.only else [
        s for s in SCENARIOS if s.fast or not args.fast]
    options = Options(wards=args.wards, months=args.months, outage_seconds=args.outage_seconds,
                      smtp_outage_seconds=args.smtp_outage_seconds, timeout=args.timeout)
    if not args.running and devstack.run_with_errors("up", args.env, devstack.up, args.env, True, False) != 0:
        _down(args)
        return 1
    rows: list[Row] = []
    stack = Stack.of(args.env)
    started = time.monotonic()
    try:
        for item in chosen:
            say(f"scenario {item.name}: {item.proves}")
            rows.append(_run(item.name, item.run, stack, options))
            say(f"scenario {item.name}: {'ok' if rows[-1].ok else 'FAILED'}")
    finally:
        stack.stop_extras()
        if not args.running and not args.keep:
            _down(args)
    print()
    print(table(rows))
    print(f"\n{len(rows)} scenarios in {time.monotonic() - started:.0f} s; "
          f"{sum(not r.ok for r in rows)} failed")
    return 0 if rows and all(r.ok for r in rows) else 1


def _run(name: str, run: Callable[[Stack, Options], Row], stack: Stack, options: Options) -> Row:
    try:
        return run(stack, options)
    except Exception as exc:  # noqa: BLE001 - one scenario's crash is its row, the suite goes on
        traceback.print_exc()
        return Row(name, 0, 0, 0, None, [f"the scenario itself failed: {exc!r}"])


def _down(args: argparse.Namespace) -> None:
    devstack.run_with_errors("down", args.env, devstack.down, args.env, False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--env", default="chaos", choices=ENVS, help="devstack env to run on (default chaos)")
    parser.add_argument("--only", help="comma-separated scenarios: " + ", ".join(s.name for s in SCENARIOS))
    parser.add_argument("--fast", action="store_true", help="only the fast scenarios (those make test runs)")
    parser.add_argument("--running", action="store_true",
                        help="use the env as it runs (up with --services); start and stop nothing")
    parser.add_argument("--keep", action="store_true", help="leave env chaos running afterwards")
    parser.add_argument("--wards", type=int, default=6, help="wards per scenario (default 6)")
    parser.add_argument("--months", type=int, default=120, help="months per series (default 120)")
    parser.add_argument("--outage-seconds", type=float, default=60.0,
                        help="how long PostgreSQL and Kafka stay down (default 60)")
    parser.add_argument("--smtp-outage-seconds", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="seconds to reach the expected state after a fault is cleared (default 180)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
