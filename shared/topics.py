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
NOTIFICATIONS = "wtgr.notifications"


def dead_letter_topic(service: str) -> str:
    """Each service's consumer dead-letters into its own topic, so ops can see whose input was bad."""
    return f"wtgr.{service}.deadletter"

