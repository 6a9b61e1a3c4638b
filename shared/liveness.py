"""A worker's own small HTTP endpoint and its heartbeat, so a dead or stuck worker is seen from
outside: Prometheus scrapes its /metrics, Kubernetes (and devstack's ``status``) asks its /healthz.

- ``Heartbeat.beat()`` is called by the worker's loop on every pass, also while it waits for work
  and while it rides out an outage (shared.outages): it sets
  ``wtgr_worker_heartbeat_timestamp_seconds{service,worker}`` to now. A worker that is retrying is
  alive; its retries are counted apart (``wtgr_worker_retries_total``).
- ``GET /healthz`` answers 200 while the last beat is at most ``stale_after`` seconds old, and 503
  once it is older: the loop is stuck, and the probe's failures get the process restarted.
- ``GET /metrics`` is the process' Prometheus exposition (shared.telemetry), whatever else is down.

``start_worker_endpoint`` gives a service's worker its heartbeat and serves the endpoint on the
port shared/platform.py gives the process, from a daemon thread; it never blocks the worker.
``WTGR_WORKER_ENDPOINT_HOST`` (default 0.0.0.0; devstack sets 127.0.0.1) is the address it binds.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client.registry import Collector

from shared import platform, telemetry
from shared.config import Settings

log = logging.getLogger(__name__)

STALE_AFTER_SECONDS = 120.0  # longer than any one pass: a relay's send (30 s), an outage's back-off (30 s)
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class Heartbeat:
    """When the worker's loop last went round. Thread-safe: the loop beats, the server reads."""

    def __init__(self, service: str, worker: str, *, stale_after: float = STALE_AFTER_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.service = service
        self.worker = worker
        self.stale_after = stale_after
        self.clock = clock
        self._gauge = telemetry.WORKER_HEARTBEAT.labels(service, worker)
        self._last = clock()
        self._gauge.set(self._last)

    def beat(self) -> None:
        self._last = self.clock()
        self._gauge.set(self._last)

    def age(self) -> float:
        """Seconds since the last beat."""
        return max(0.0, self.clock() - self._last)

    def is_fresh(self) -> bool:
        return self.age() <= self.stale_after


def worker_app(heartbeat: Heartbeat, collectors: Iterable[Collector] = ()) -> Callable[..., Iterable[bytes]]:
    """The WSGI app: GET /healthz and GET /metrics, 404 for anything else."""
    extra = tuple(collectors)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed", b"", "text/plain", [("Allow", "GET")])
        if path == "/metrics":
            body, content_type = telemetry.exposition(extra)
            return _answer(start_response, "200 OK", body, content_type)
        if path == "/healthz":
            fresh = heartbeat.is_fresh()
            body = json.dumps({"status": "ok" if fresh else "stale", "service": heartbeat.service,
                               "worker": heartbeat.worker, "heartbeat_age_seconds": round(heartbeat.age(), 1),
                               "stale_after_seconds": heartbeat.stale_after}).encode()
            return _answer(start_response, "200 OK" if fresh else "503 Service Unavailable", body, "application/json")
        return _answer(start_response, "404 Not Found", b"not found\n", "text/plain")

    return app


def _answer(start_response: StartResponse, status: str, body: bytes, content_type: str,
            headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *(headers or [])])
    return [body]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never keeps the worker from exiting
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class' name)
        pass  # every scrape and probe would be a log line


def serve_worker_endpoint(heartbeat: Heartbeat, port: int, host: str = "0.0.0.0",
                          collectors: Iterable[Collector] = ()) -> WSGIServer:
    """Serve /healthz and /metrics on ``host:port`` from a daemon thread; returns the server
    (``shutdown()`` stops it). Raises OSError when the port is taken: a second copy of a worker
    should not pass for the first."""
    server = make_server(host, port, worker_app(heartbeat, collectors), server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name=f"{heartbeat.worker}-endpoint", daemon=True).start()
    log.info("worker endpoint serving /healthz and /metrics", extra={"port": server.server_port})
    return server


def start_worker_endpoint(settings: Settings, worker: str, collectors: Iterable[Collector] = ()) -> Heartbeat:
    """The heartbeat of ``settings.service``'s process ``worker`` (its name in shared/platform.py),
    with /healthz and /metrics served on that process' port (``Service.port_of``, which follows the
    service's port where settings move it), or on ``WTGR_WORKER_ENDPOINT_PORT`` when that is set
    (an extra copy of a worker on the same host, e.g. a second consumer; 0 takes any free port)."""
    registered = platform.service(settings.service)
    heartbeat = Heartbeat(settings.service, worker)
    port = registered.port_of(registered.process(worker), settings.port)
    if os.environ.get("WTGR_WORKER_ENDPOINT_PORT"):
        port = int(os.environ["WTGR_WORKER_ENDPOINT_PORT"])
    serve_worker_endpoint(heartbeat, port, os.environ.get("WTGR_WORKER_ENDPOINT_HOST", "0.0.0.0"), collectors)
    return heartbeat
