"""python -m devstack up|down|status|env|info --env run|test"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TextIO

from devstack import stack
from devstack.config import ENVS, ConfigError


class _Tolerant:
    """A stream that drops output once its reader has gone (`... | head`), so a closed pipe
    cannot stop `up` halfway, with servers running and no env file written."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (BrokenPipeError, ValueError):
            return len(text)

    def flush(self) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            self._stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="Start and stop the WTGR platform's real servers (PostgreSQL, Kafka, "
        "a mail catcher, the services) as local processes. State: .local/<env>/.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--env", choices=ENVS, required=True, help="which environment")
        return sub

    up = command("up", "start Postgres, Kafka and the mail catcher (idempotent)")
    up.add_argument("--services", action="store_true", help="also migrate and start every service")
    up.add_argument("--demo", action="store_true", help="load demo data (with --services)")
    down = command("down", "stop everything `up` started (services, mail, Kafka, Postgres)")
    down.add_argument("--purge", action="store_true", help="also delete .local/<env> (all data)")
    command("status", "show what runs and whether it answers (exit 1 if a server is down)")
    command("env", "print the env file (KEY=VALUE lines) that services and tests read")
    command("info", "print where to look: service URLs, mail viewer, how to get a token")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sys.stdout = _Tolerant(sys.stdout)
    sys.stderr = _Tolerant(sys.stderr)
    try:
        if args.command == "up":
            return stack.run_with_errors("up", args.env, stack.up, args.env, args.services, args.demo)
        if args.command == "down":
            return stack.run_with_errors("down", args.env, stack.down, args.env, args.purge)
        if args.command == "status":
            return stack.status(args.env)
        if args.command == "env":
            return stack.print_env(args.env)
        if args.command == "info":
            return stack.info(args.env)
    except ConfigError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(args.command)
