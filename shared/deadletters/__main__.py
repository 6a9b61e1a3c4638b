"""List, show and replay dead letters.

    python -m shared.deadletters list [--service metrics] [--reason rejected] [--limit 50]
    python -m shared.deadletters show metrics 12 [--original]
    python -m shared.deadletters replay metrics 12 [13 ...]

A dead letter is named by its service (whose topic is wtgr.<service>.deadletter, or --topic) and
its offset there. The broker is WTGR_KAFKA_BOOTSTRAP (or --bootstrap); replay checks the original
against WTGR_MAX_EVENT_BYTES and today's schemas. Exit status 1 when any asked-for record could not
be shown or replayed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from kafka import KafkaConsumer

from shared import platform, topics
from shared.config import Settings
from shared.deadletters.store import (
    DeadLetterError,
    StoredDeadLetter,
    dead_letter_at,
    dead_letters,
    original_of,
    replay,
)
from shared.kafka_clients import offset_reader, reliable_producer


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env("deadletters")
    reader = offset_reader(args.bootstrap or settings.kafka_bootstrap, "wtgr-deadletters")
    try:
        if args.command == "list":
            return _list(reader, args)
        if args.command == "show":
            return _show(reader, args)
        return _replay(reader, args, settings)
    finally:
        reader.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.deadletters", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default: WTGR_KAFKA_BOOTSTRAP)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="dead letters, oldest first, one a line")
    listing.add_argument("--service", action="append", choices=platform.service_names(), help="repeatable; default all")
    listing.add_argument("--reason", help="only this category (too_large, invalid_payload, rejected, ...)")
    listing.add_argument("--topic", help="a dead-letter topic of another name")
    listing.add_argument("--limit", type=int, default=0, help="the newest N only")
    for name, text in (("show", "one dead letter in full"), ("replay", "send originals back to their topic")):
        command = commands.add_parser(name, help=text)
        command.add_argument("service", choices=platform.service_names())
        command.add_argument("offset", type=int, nargs="+" if name == "replay" else None)
        command.add_argument("--topic", help="a dead-letter topic of another name")
        command.add_argument("--partition", type=int, default=0)
    commands.choices["show"].add_argument("--original", action="store_true",
                                          help="print only the original value's bytes (fetched when truncated)")
    return parser


def _list(reader: KafkaConsumer, args: argparse.Namespace) -> int:
    found = list(_selected(reader, args))
    if not found:
        print("no dead letters", file=sys.stderr)
    for stored in found[-args.limit:] if args.limit else found:
        record = stored.record
        print("\t".join([record.consumer, str(stored.offset), record.dead_lettered_at, record.category,
                         str(record.origin), f"{record.value_bytes} B", "whole" if record.complete else "truncated",
                         record.reason[:120]]))
    return 0


def _selected(reader: KafkaConsumer, args: argparse.Namespace) -> Iterator[StoredDeadLetter]:
    services = args.service or platform.service_names()
    names = [args.topic] if args.topic else [topics.dead_letter_topic(s) for s in services]
    for topic in names:
        for stored in dead_letters(reader, topic):
            if args.reason in (None, stored.record.category):
                yield stored


def _show(reader: KafkaConsumer, args: argparse.Namespace) -> int:
    try:
        stored = dead_letter_at(reader, args.topic or topics.dead_letter_topic(args.service), args.offset,
                                args.partition)
        if args.original:
            sys.stdout.buffer.write(original_of(reader, stored.record).value)
            return 0
    except DeadLetterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    record = stored.record
    for label, value in (("dead letter", f"{stored.topic}/{stored.partition}@{stored.offset}"),
                         ("consumer", record.consumer), ("category", record.category), ("reason", record.reason),
                         ("origin", str(record.origin)), ("key", record.key),
                         ("value", f"{record.value_bytes} bytes, sha256 {record.value_sha256}, "
                                   f"{'held whole below' if record.complete else 'truncated below: --original'}"),
                         ("headers", record.headers), ("dead-lettered at", record.dead_lettered_at)):
        print(f"{label + ':':18}{value}")
    print(record.value)
    return 0


def _replay(reader: KafkaConsumer, args: argparse.Namespace, settings: Settings) -> int:
    producer = reliable_producer(args.bootstrap or settings.kafka_bootstrap, "wtgr-deadletters-replay")
    topic = args.topic or topics.dead_letter_topic(args.service)
    failures = 0
    try:
        for offset in args.offset:
            try:
                stored = dead_letter_at(reader, topic, offset, args.partition)
                sent = replay(reader, producer, stored, settings.max_event_bytes)
                print(f"{offset}: replayed to {sent.topic}/{sent.partition}@{sent.offset} replay_id {sent.replay_id}")
            except DeadLetterError as exc:
                failures += 1
                print(f"{offset}: not replayed: {exc}", file=sys.stderr)
    finally:
        producer.close(timeout=10)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
