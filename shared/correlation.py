"""The correlation id that follows one request into the events it causes, and JSON logs carrying it."""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current() -> str | None:
    return _current.get()


def use(correlation_id: str | None) -> object:
    """Make this id current; returns a token for ``reset``."""
    return _current.set(correlation_id or new())


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def new() -> str:
    return uuid.uuid4().hex


class _CorrelationFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current()
        record.service = self.service
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stderr with service and correlation id; safe to call more than once."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(correlation_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_CorrelationFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)
