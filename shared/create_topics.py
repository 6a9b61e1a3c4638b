"""Create every platform topic with its partition count, retention and minimum in-sync replicas
(shared.topics.topic_configs): python -m shared.create_topics --bootstrap HOST:PORT

Topics are never auto-created (auto.create.topics.enable=false). devstack and
docker-compose.yml both create them through ``ensure_topics``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError, TopicAlreadyExistsError

from shared.platform import all_topics
from shared.topics import topic_configs


@dataclass(frozen=True)
class TopicReport:
    created: list[str]
    mismatched: dict[str, int]  # topic -> the partitions it has, where the catalogue wants others


def ensure_topics(bootstrap: str, topics: dict[str, int] | None = None, *, replication_factor: int = 1,
                  timeout: float = 60.0) -> TopicReport:
    """Create the missing topics and wait until all exist. Retries while the broker settles after
    a start; raises the last KafkaError once ``timeout`` seconds have passed."""
    wanted = all_topics() if topics is None else topics
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="wtgr-topics",
                             bootstrap_timeout_ms=10_000, request_timeout_ms=10_000)
    created: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            existing = _partitions_by_topic(admin)
            missing = {name: n for name, n in wanted.items() if name not in existing}
            if not missing:
                break
            try:
                admin.create_topics({name: {"num_partitions": n, "replication_factor": replication_factor,
                                            "configs": topic_configs(name, replication_factor)}
                                     for name, n in missing.items()}, timeout_ms=30_000)
                created += sorted(missing)
            except TopicAlreadyExistsError:
                pass  # another process was quicker, or only some were missing: look again
            except KafkaError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        admin.wait_for_topics(list(wanted), timeout_ms=int(timeout * 1000))
    finally:
        admin.close()
    mismatched = {name: existing[name] for name, n in wanted.items() if name in existing and existing[name] != n}
    return TopicReport(created, mismatched)


def _partitions_by_topic(admin: KafkaAdminClient) -> dict[str, int]:
    return {t["name"]: len(t.get("partitions") or []) for t in admin.describe_topics() if not t.get("error_code")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the broker")
    args = parser.parse_args()
    report = ensure_topics(args.bootstrap, replication_factor=args.replication_factor, timeout=args.wait)
    print(f"topics created: {', '.join(report.created) or 'none (all exist)'}")
    for name, partitions in report.mismatched.items():
        print(f"warning: {name} has {partitions} partitions, shared/platform.py says {all_topics()[name]}")


if __name__ == "__main__":
    main()
