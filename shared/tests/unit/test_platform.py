"""The registry of services: what devstack, deploy and the consumers read."""

import pytest

from shared import platform, topics


def test_every_event_topic_and_one_dead_letter_topic_per_service_is_created():
    assert platform.all_topics() == {
        "wtgr.measures": topics.PARTITIONS, "wtgr.kpis": topics.PARTITIONS, "wtgr.ideas": topics.PARTITIONS,
        "wtgr.projects": topics.PARTITIONS, "wtgr.training": topics.PARTITIONS,
        "wtgr.notifications": topics.PARTITIONS, "wtgr.stories": topics.PARTITIONS,
        "wtgr.ideas.deadletter": 1, "wtgr.projects.deadletter": 1, "wtgr.metrics.deadletter": 1,
        "wtgr.training.deadletter": 1, "wtgr.notifications.deadletter": 1, "wtgr.stories.deadletter": 1,
    }


def test_a_service_has_a_consumer_exactly_when_it_consumes_a_topic():
    assert [p.name for p in platform.service("training").processes] == ["api", "relay", "scheduler"]
    assert [p.name for p in platform.service("notifications").processes] == ["api", "relay", "consumer", "mailer",
                                                                                   "bounces", "alerts"]


def test_a_lane_reads_in_a_group_of_its_own_and_its_events_are_left_by_the_services_consumer():
    from shared.processes import consumer_plan

    notifications = platform.service("notifications")
    plan = consumer_plan(notifications)
    assert (plan.group, plan.topics, plan.poll_records) == ("notifications", list(notifications.consumes), 500)
    assert plan.wanted("kpi.updated") and plan.wanted("idea.received")
    assert not plan.wanted("kpi.special_cause_detected") and not plan.wanted("signal.opened")
    lane = consumer_plan(notifications, "alerts")
    assert (lane.group, lane.topics) == ("notifications-alerts", ["wtgr.kpis"])
    assert lane.wanted("kpi.special_cause_detected") and lane.wanted("signal.opened")
    assert not lane.wanted("kpi.updated")
    assert platform.consumer_groups()["notifications-alerts"] == ("wtgr.kpis",)
    assert platform.service_of_group("notifications-alerts") == "notifications"
    assert platform.service_of_group("metrics") == "metrics"
    assert notifications.module(notifications.process("alerts")) == "services.notifications.entrypoints.alerts"
    with pytest.raises(KeyError, match="has no lane 'urgent'; it has alerts"):
        notifications.lane("urgent")
    with pytest.raises(KeyError, match="no consumer group 'nobody'"):
        platform.service_of_group("nobody")


def test_a_lane_of_whole_topics_takes_them_from_the_services_consumer():
    from shared.processes import consumer_plan

    metrics = platform.service("metrics")
    consumer, lane = consumer_plan(metrics), consumer_plan(metrics, "events")
    assert (consumer.group, consumer.topics, consumer.poll_records) == ("metrics", ["wtgr.measures"], 2_000)
    assert (lane.group, lane.topics, lane.poll_records) == (
        "metrics-events", ["wtgr.ideas", "wtgr.projects", "wtgr.kpis"], 500)
    assert lane.wanted("kpi.updated") and lane.wanted("project.created") and consumer.wanted("measure.recorded")
    assert platform.consumer_groups()["metrics"] == ("wtgr.measures",)
    assert platform.consumer_groups()["metrics-events"] == ("wtgr.ideas", "wtgr.projects", "wtgr.kpis")
    assert [p.name for p in metrics.processes] == ["api", "relay", "consumer", "aggregator", "overdue", "events"]
    # every topic a service consumes is read by exactly one of its groups, or by several for different events
    for service in platform.SERVICES:
        read = {topic for group in service.groups for topic in group.topics}
        assert read == set(service.consumes), service.name


def test_a_process_runs_its_own_module():
    metrics = platform.service("metrics")
    [overdue] = [p for p in metrics.processes if p.name == "overdue"]
    assert metrics.module(overdue) == "services.metrics.entrypoints.overdue_check"
    assert metrics.migrate_module == "services.metrics.entrypoints.migrate"


def test_names_and_ports_are_unique():
    assert len(set(platform.service_names())) == len(platform.SERVICES)
    assert len({item.port for item in platform.SERVICES}) == len(platform.SERVICES)


def test_an_unknown_service_is_named_in_the_error():
    with pytest.raises(KeyError, match="no service 'billing'"):
        platform.service("billing")


def test_the_urgent_events_are_those_a_lane_waits_for():
    assert platform.urgent_events() == {"kpi.special_cause_detected", "signal.opened"}
    assert "kpi.updated" not in platform.urgent_events(), "a lane taking whole topics names no events"
