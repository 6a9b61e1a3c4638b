"""Create every platform topic with its partition count: python -m shared.create_topics --bootstrap HOST:PORT

Used by deploy/docker-compose.yml; topics are never auto-created (auto.create.topics.enable=false).
"""

from __future__ import annotations

import argparse
import contextlib
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from shared.topics import all_topics


def create_topics(bootstrap: str, replication_factor: int = 1) -> list[str]:
    """Create the missing topics; returns the names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="wtgr-topics")
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(name, partitions, replication_factor)
                   for name, partitions in all_topics().items() if name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process made them in between
                admin.create_topics(missing)
        return [topic.name for topic in missing]
    finally:
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the broker")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while True:
        try:
            created = create_topics(args.bootstrap, args.replication_factor)
            break
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    print(f"topics created: {', '.join(created) or 'none (all exist)'}")


if __name__ == "__main__":
    main()
