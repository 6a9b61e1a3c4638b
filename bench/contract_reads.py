"""python -m bench.contract_reads [--events 50000] [--rounds 3]: how long the consumer takes to read
one ``measure.recorded`` event, the typed way (msgspec) beside the orjson + contract way, in µs.

No server: the messages are built as the backfill bench produces them (``new_event(...).to_json()``)
and read in one process, each way in turn, ``--rounds`` times; the best round of each is printed
with its ratio to the orjson way measured in the same run:
- the readers alone: ``decode`` + ``ContractReader.read`` against ``ContractReader.read_raw``;
- the whole first step of the consumer, ``ConsumerRunner.parse`` with the metrics handlers, as the
  backfill's *decode + validate* line runs it: with a reader that has no typed path (the consumer
  before it) and with the typed path.
No figure is asserted: the machines are shared and noisy; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from bench.common import months
from services.metrics import bootstrap
from shared.config import Settings
from shared.consumer import ConsumerRunner, Outcome
from shared.events import new_event
from shared.events.contracts import MEASURE_CONTRACT, ContractReader, compile_contract, decode


def messages(count: int, units: int = 50, kpis: int = 20) -> list[bytes]:
    """``count`` events shaped as bench/backfill.py's ``_produce`` sends them."""
    month_list = months(max(1, count // (units * kpis)) + 1)
    built = []
    for i in range(count):
        month, unit, kpi = month_list[i // (units * kpis)], i // kpis % units, i % kpis
        event = new_event("measure.recorded", {"kpi_code": f"K{kpi:02d}", "unit_code": f"U{unit:03d}", "period": month,
                                               "value": 4.0 + i % 11 / 10, "source": "bench"}, source="urn:bench")
        built.append(event.to_json())
    return built


def runner(typed: bool) -> ConsumerRunner:
    """The metrics consumer runner's parsing, with or without the typed path."""
    made = ConsumerRunner("metrics", None, None, None, "unused",  # type: ignore[arg-type]
                          bootstrap.event_handlers(Settings.from_env("metrics"), None))  # type: ignore[arg-type]
    if not typed:
        made.contracts = {"measure.recorded": ContractReader(
            "measure.recorded", compile_contract(MEASURE_CONTRACT, "MeasureRecordedEnvelope"))}
    return made


def microseconds_each(read: Callable[[Any], Any], items: list[Any]) -> float:
    started = time.perf_counter()
    for item in items:
        if read(item) is None:
            raise SystemExit("bench: a backfill event was not read")
    return (time.perf_counter() - started) / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    raw = messages(args.events)
    wrapped = [SimpleNamespace(value=item) for item in raw]
    reader, before, now = ContractReader.for_measures(), runner(typed=False), runner(typed=True)
    ways: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
        "orjson + read": (lambda item: reader.read(decode(item), item), raw),
        "read_raw (msgspec)": (reader.read_raw, raw),
        "parse, orjson way": (lambda message: _parsed(before, message), wrapped),
        "parse, typed first": (lambda message: _parsed(now, message), wrapped),
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(args.rounds):
        for name, (read, items) in ways.items():
            best[name] = min(best[name], microseconds_each(read, items))
    print(f"{args.events} events, best of {args.rounds} rounds, µs per event (ratio to the orjson way):")
    for name, baseline in (("orjson + read", "orjson + read"), ("read_raw (msgspec)", "orjson + read"),
                           ("parse, orjson way", "parse, orjson way"), ("parse, typed first", "parse, orjson way")):
        print(f"  {name:<20} {best[name]:7.2f} µs  {best[name] / best[baseline]:.3f}")


def _parsed(made: ConsumerRunner, message: Any) -> Any:
    _, payload = made.parse(message)
    return None if isinstance(payload, Outcome) else payload


if __name__ == "__main__":
    main()
