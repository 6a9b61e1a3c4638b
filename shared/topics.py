"""The Kafka topics of the platform, created explicitly (auto-creation is off on the broker):
shared.platform.all_topics lists every one, from what the services publish and consume.

Keys are aggregate ids, so one aggregate's events stay in order on one partition.
"""

PARTITIONS = 6

MEASURES = "wtgr.measures"  # measure.recorded, keyed "<kpi_code>|<unit_code>"
KPIS = "wtgr.kpis"  # kpi.updated, kpi.special_cause_detected, keyed "<kpi_code>|<unit_code>"
IDEAS = "wtgr.ideas"
PROJECTS = "wtgr.projects"
TRAINING = "wtgr.training"
STORIES = "wtgr.stories"  # story.drafted, story.published, resource.published, keyed by story or resource id
NOTIFICATIONS = "wtgr.notifications"


def dead_letter_topic(service: str) -> str:
    """Each service's consumer dead-letters into its own topic, so ops can see whose input was bad."""
    return f"wtgr.{service}.deadletter"



# How the topics are kept beyond one host (deploy/k8s renders KafkaTopic resources from these
# with `python -m devstack.render_k8s`): three replicas, a write acknowledged by two of them, a week
# of events (a consumer down for days can still catch up, and a dead letter's source bytes stay
# retrievable), and a month of dead letters.
REPLICATION_FACTOR = 3
MIN_INSYNC_REPLICAS = 2
RETENTION_MS = 7 * 24 * 3600 * 1000
DEAD_LETTER_RETENTION_MS = 30 * 24 * 3600 * 1000


def retention_ms(topic: str) -> int:
    """How long the broker keeps a topic's records."""
    return DEAD_LETTER_RETENTION_MS if topic.endswith(".deadletter") else RETENTION_MS


def topic_configs(topic: str, replication_factor: int = REPLICATION_FACTOR) -> dict[str, str]:
    """The broker settings every environment creates ``topic`` with: its retention, and how many
    replicas must have a write before it is acknowledged (at most the replicas there are)."""
    return {"retention.ms": str(retention_ms(topic)),
            "min.insync.replicas": str(min(MIN_INSYNC_REPLICAS, replication_factor))}
