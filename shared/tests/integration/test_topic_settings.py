"""The topics devstack created (shared.create_topics) carry the retention and in-sync minimum of
shared.topics.topic_configs."""

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from shared import topics
from shared.platform import all_topics

pytestmark = pytest.mark.integration


def test_every_platform_topic_has_its_retention_and_in_sync_minimum(kafka_admin: KafkaAdminClient):
    names = sorted(all_topics())
    described = kafka_admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names], config_filter="all")
    found = {name: {key: entry["value"] for key, entry in configs.items()}
             for name, configs in described["topic"].items()}
    for name in names:
        assert found[name]["retention.ms"] == topics.topic_configs(name, 1)["retention.ms"], name
        assert found[name]["min.insync.replicas"] == "1", name
    assert found["wtgr.metrics.deadletter"]["retention.ms"] == str(30 * 24 * 3600 * 1000)
