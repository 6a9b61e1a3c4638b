"""Consumer-group lag measured from outside the consumers: ``python -m shared.lag_exporter``.

A small Prometheus exporter of the platform's own (shared/platform.py registers it as a platform
process; devstack, docker-compose.yml and deploy/k8s run one). At each scrape it asks the broker
for every platform group's committed offsets (shared/platform.py ``consumer_groups``) and the end
offset of every partition of the topics the group reads, and exports

    wtgr_consumer_group_lag_messages{service, group, topic, partition} = end - committed

(a partition the group never committed counts from its earliest offset). The figures come from the
broker alone, so a consumer that died, hangs or never started shows its lag growing; they are
never a dead process' last report.

Bounded: every Kafka request has ``request_timeout_ms`` and the whole reading a deadline; with the
broker down a scrape answers within seconds with ``wtgr_scrape_success{collector="consumer_lag"}``
0 and no lag series. /healthz answers 200 while the exporter's loop beats (shared.liveness).
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import OffsetSpec
from kafka.structs import TopicPartition
from prometheus_client.core import GaugeMetricFamily, Metric

from shared import platform, telemetry
from shared.correlation import configure_logging
from shared.liveness import Heartbeat, serve_worker_endpoint
from shared.processes import stop_on_sigterm

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_MS = 3000  # each Kafka request; a scrape is over within DEADLINE_SECONDS anyway
DEADLINE_SECONDS = 5.0  # under Prometheus' default scrape timeout (10 s)
COLLECTOR = "consumer_lag"


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group has committed nothing on this partition
    end: int
    earliest: int

    @property
    def lag(self) -> int:
        start = self.earliest if self.committed is None or self.committed < 0 else max(self.committed, self.earliest)
        return max(0, self.end - start)


def lag_of(groups: Mapping[str, tuple[str, ...]], partitions: Mapping[str, list[int]],
           committed: Mapping[str, Mapping[TopicPartition, int]], ends: Mapping[TopicPartition, int],
           earliest: Mapping[TopicPartition, int]) -> list[PartitionLag]:
    """Each group's lag on each partition of the topics it reads, from the broker's answers."""
    found = []
    for group, topics in groups.items():
        for topic in topics:
            for partition in partitions.get(topic, []):
                tp = TopicPartition(topic, partition)
                found.append(PartitionLag(group, topic, partition, committed.get(group, {}).get(tp), ends[tp],
                                          earliest.get(tp, 0)))
    return found


class KafkaLagReader:
    """Reads committed and end offsets with one admin client, made again after any failure."""

    def __init__(self, bootstrap: str, groups: Mapping[str, tuple[str, ...]]):
        self.bootstrap = bootstrap
        self.groups = dict(groups)
        self._admin: KafkaAdminClient | None = None

    def read(self) -> list[PartitionLag]:
        try:
            return self._read(self._client())
        except Exception:
            self.close()
            raise

    def _client(self) -> KafkaAdminClient:
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="wtgr-lag-exporter",
                                           request_timeout_ms=REQUEST_TIMEOUT_MS,
                                           bootstrap_timeout_ms=REQUEST_TIMEOUT_MS)
        return self._admin

    def _read(self, admin: KafkaAdminClient) -> list[PartitionLag]:
        topics = sorted({topic for read in self.groups.values() for topic in read})
        partitions = {item["name"]: sorted(p["partition_index"] for p in item["partitions"])
                      for item in admin.describe_topics(topics) if item.get("partitions")}
        tps = [TopicPartition(topic, p) for topic, found in partitions.items() for p in found]
        ends = {tp: found.offset for tp, found in admin.list_partition_offsets(
            dict.fromkeys(tps, OffsetSpec.LATEST)).items()}
        earliest = {tp: found.offset for tp, found in admin.list_partition_offsets(
            dict.fromkeys(tps, OffsetSpec.EARLIEST)).items()}
        offsets = admin.list_group_offsets(list(self.groups))
        committed = {group: {tp: meta.offset for tp, meta in (found or {}).items()}
                     for group, found in offsets.items()}
        return lag_of(self.groups, partitions, committed, ends, earliest)

    def close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            try:
                admin.close()
            except Exception:  # closing a client of a broker that is gone: nothing left to do
                log.debug("closing the admin client failed", exc_info=True)


class LagCollector:
    """The Prometheus collector: one bounded reading per scrape."""

    def __init__(self, reader: KafkaLagReader, *, deadline: float = DEADLINE_SECONDS):
        self.reader = reader
        self.deadline = deadline
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lag-reading")
        known = platform.consumer_groups()  # a group is its service's, or one of its lanes'
        self._service_of = {group: platform.service_of_group(group) if group in known else group
                            for group in reader.groups}

    def describe(self) -> list[Metric]:
        return [self._family(), self._success(None)]

    def collect(self) -> Iterator[Metric]:
        try:
            lags = self._executor.submit(self.reader.read).result(timeout=self.deadline)
        except Exception as exc:  # late or failed: the scrape says so and carries on
            log.warning("consumer lag not read", extra={"error": repr(exc)})
            yield self._success(False)
            return
        family = self._family()
        for item in lags:
            family.add_metric([self._service_of.get(item.group, item.group), item.group, item.topic,
                               str(item.partition)], float(item.lag))
        yield family
        yield self._success(True)

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(telemetry.CONSUMER_LAG_NAME,
                                 "Messages between a group's committed offset and the partition's end, "
                                 "from the broker", labels=["service", "group", "topic", "partition"])

    @staticmethod
    def _success(ok: bool | None) -> GaugeMetricFamily:
        family = GaugeMetricFamily(telemetry.SCRAPE_SUCCESS_NAME,
                                   "1 when a scrape-time reading succeeded, 0 when it failed or was late",
                                   labels=["service", "collector"])
        if ok is not None:
            family.add_metric(["platform", COLLECTOR], 1.0 if ok else 0.0)
        return family


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.lag_exporter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    exporter = platform.LAG_EXPORTER
    parser.add_argument("--bootstrap", default=os.environ.get("WTGR_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    parser.add_argument("--port", type=int, default=int(os.environ.get(exporter.port_env_var) or exporter.port))
    parser.add_argument("--host", default=os.environ.get("WTGR_WORKER_ENDPOINT_HOST", "0.0.0.0"))
    args = parser.parse_args(argv)
    configure_logging(exporter.name, os.environ.get("WTGR_LOG_LEVEL", "INFO"))
    stop = stop_on_sigterm()
    heartbeat = Heartbeat("platform", exporter.name)
    reader = KafkaLagReader(args.bootstrap, platform.consumer_groups())
    serve_worker_endpoint(heartbeat, args.port, args.host, [LagCollector(reader)])
    log.info("lag exporter started", extra={"groups": sorted(reader.groups), "port": args.port})
    run_until_stopped(heartbeat, stop)
    reader.close()


def run_until_stopped(heartbeat: Heartbeat, stop: threading.Event, every: float = 5.0) -> None:
    """The exporter does its work in scrapes; its loop only says the process is alive."""
    while not stop.wait(every):
        heartbeat.beat()


if __name__ == "__main__":
    main()
