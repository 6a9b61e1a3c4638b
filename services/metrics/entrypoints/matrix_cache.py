"""The unit KPI matrix's answers, kept per process while the unit's data is unchanged.

A unit's matrix (``GET /dashboards/units/<unit>/kpis``) is the same for every signed-in caller, and
changes only when one of the rows it reads does: the unit itself, its charts and monthly values, or
the KPI catalogue and targets. Migration 0038 keeps a version per unit and one for the catalogue
('*'), bumped as each transaction that writes one of those rows commits. A request reads both
versions (``dashboard_store.matrix_version``, one statement, two primary-key probes) and serves the
JSON body this process made for the same query at the same versions; otherwise it reads the matrix
as before and keeps the body. Because the versions are read before the matrix, a kept body is never
older than the versions it is kept under, and any later change moves a version: a kept body cannot
be served stale.

Bounded: at most ``max_entries`` bodies and ``max_bytes`` bytes, least recently used evicted first;
an older version's body is replaced by the next miss of the same query. Every body carries a strong
ETag (a hash of its bytes), so a caller's If-None-Match gets a 304 whether the body was kept or made
again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from prometheus_client import Counter

LOOKUPS = Counter("wtgr_dashboard_cache_lookups_total",
                  "Unit KPI matrix answers looked up in the per-process cache, by result (hit, miss)",
                  ["service", "result"])

DEFAULT_MAX_ENTRIES = 512
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Kept:
    """A kept answer: the versions it was made at, its JSON body and its ETag (without quotes)."""

    version: Hashable
    body: bytes
    etag: str


class BodyCache:
    """A thread-safe LRU of response bodies by query, each valid for the version it was made at."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES,
                 service: str = "metrics"):
        if max_entries < 0 or max_bytes < 0:
            raise ValueError("cache bounds cannot be negative")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._service = service
        self._entries: OrderedDict[Hashable, Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, service: str = "metrics") -> BodyCache:
        """Bounds from WTGR_DASHBOARD_CACHE_ENTRIES (default 512; 0 turns the cache off) and
        WTGR_DASHBOARD_CACHE_MB (default 32), per process."""
        return cls(int(os.environ.get("WTGR_DASHBOARD_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES)),
                   int(float(os.environ.get("WTGR_DASHBOARD_CACHE_MB", DEFAULT_MAX_BYTES / 2**20)) * 2**20),
                   service)

    def get(self, key: Hashable, version: Hashable) -> Kept | None:
        """The body kept for ``key`` if it was made at ``version``, else None."""
        with self._lock:
            kept = self._entries.get(key)
            if kept is not None and kept.version == version:
                self._entries.move_to_end(key)
            else:
                kept = None
        LOOKUPS.labels(self._service, "miss" if kept is None else "hit").inc()
        return kept

    def put(self, key: Hashable, version: Hashable, body: bytes) -> Kept:
        """Keep ``body`` for ``key`` at ``version`` (unless it alone exceeds the bounds) and return it."""
        kept = Kept(version, body, hashlib.blake2b(body, digest_size=16).hexdigest())
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            if self.max_entries and len(body) <= self.max_bytes:
                self._entries[key] = kept
                self._bytes += len(body)
                while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                    _, evicted = self._entries.popitem(last=False)
                    self._bytes -= len(evicted.body)
        return kept

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_in_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
