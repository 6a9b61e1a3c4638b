"""deploy/k8s: the generated files are up to date with the registry, kustomize renders every
overlay, its built-in objects decode strictly into the Kubernetes API's Go types (kubecheck), and
what it renders says what the platform needs. No cluster and no Kubernetes JSON schemas can be had
here, and the operators' resources (Strimzi, CloudNativePG) have no types available, so their
structure is checked by these tests alone."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from devstack import config, deploy_tools, render_k8s
from shared import platform, topics

K8S = Path(__file__).parents[1] / "deploy" / "k8s"
OVERLAYS = [environment.name for environment in render_k8s.ENVIRONMENTS]


def kustomize_build(overlay: str) -> str:
    kustomize = deploy_tools.kustomize(config.cache_dir(os.environ))
    result = subprocess.run([kustomize, "build", K8S / "overlays" / overlay], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def kubecheck(manifests: str) -> subprocess.CompletedProcess:
    checker = deploy_tools.kubecheck(config.cache_dir(os.environ))
    return subprocess.run([checker], input=manifests, capture_output=True, text=True, check=False)


def build(overlay: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(kustomize_build(overlay)) if doc]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_built_in_object_decodes_strictly_into_the_kubernetes_types(overlay):
    result = kubecheck(kustomize_build(overlay))
    assert result.returncode == 0, result.stderr
    unchecked = {line.split()[2] for line in result.stderr.splitlines() if line.startswith("unchecked:")}
    assert unchecked == {"Kafka", "KafkaNodePool", "KafkaTopic", "Cluster"}
    assert int(result.stdout.split()[1]) > len(platform.SERVICES) * 3


def test_kubecheck_rejects_a_misspelt_field_and_a_bad_quantity():
    manifests = kustomize_build("staging")
    for broken in (manifests.replace("readOnlyRootFilesystem", "readOnlyRootFilesytem", 1),
                   manifests.replace("memory: 256Mi", "memory: lots", 1)):
        result = kubecheck(broken)
        assert result.returncode == 1 and "kubecheck:" in result.stderr


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, dict[tuple[str, str], dict]]:
    """An overlay's objects by (kind, name); no two share both."""
    objects = build(request.param)
    by_key = {(item["kind"], item["metadata"]["name"]): item for item in objects}
    assert len(by_key) == len(objects)
    return request.param, by_key


def deployments(objects: dict) -> dict[str, dict]:
    return {name: item for (kind, name), item in objects.items() if kind == "Deployment"}


def test_the_generated_manifests_are_up_to_date():
    assert render_k8s.main(["--check"]) == 0, "run: python -m devstack.render_k8s"


def test_a_stale_generated_file_is_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(render_k8s, "K8S", tmp_path)
    assert render_k8s.main(["--check"]) == 1
    assert render_k8s.main([]) == 0 and render_k8s.main(["--check"]) == 0


def test_every_object_is_well_formed_and_in_the_environments_namespace(rendered):
    overlay, objects = rendered
    for (kind, name), item in objects.items():
        assert item["apiVersion"] and kind and name
        assert item["metadata"]["namespace"] == f"wtgr-{overlay}", (kind, name)


def test_every_registered_process_is_a_deployment_running_its_module(rendered):
    _, objects = rendered
    found = deployments(objects)
    expected = {f"{item.name}-{process.name}" for item in platform.SERVICES for process in item.processes}
    # the portal is no service (deploy/k8s/base/portal.yaml); the platform processes are its own
    assert set(found) == expected | {"portal-web"} | {item.name for item in platform.PLATFORM_PROCESSES}
    for service in platform.SERVICES:
        for process in service.processes:
            spec = found[f"{service.name}-{process.name}"]["spec"]
            [container] = spec["template"]["spec"]["containers"]
            assert service.module(process) in " ".join(container["command"])
            assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
            assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
            assert container["securityContext"]["runAsNonRoot"] is True


def test_the_portal_runs_as_one_non_root_replica_reached_only_from_the_ingress_controller(rendered):
    _, objects = rendered
    spec = deployments(objects)["portal-web"]["spec"]
    [container] = spec["template"]["spec"]["containers"]
    assert "portal.app:create_app()" in container["command"] and spec["replicas"] == 1
    assert container["securityContext"]["runAsNonRoot"] is True
    secrets = {item["name"]: item["valueFrom"]["secretKeyRef"]["name"]
               for item in container["env"] if "valueFrom" in item}
    assert secrets == {"WTGR_PORTAL_SECRET_KEY": "wtgr-portal", "WTGR_OIDC_CLIENT_SECRET": "wtgr-portal"}
    ingress = objects[("NetworkPolicy", "wtgr-portal-ingress")]["spec"]
    assert ingress["podSelector"]["matchLabels"] == {"wtgr/service": "portal"}
    [rule] = ingress["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]


def test_every_api_is_probed_and_served_on_its_registered_port(rendered):
    _, objects = rendered
    for service in platform.SERVICES:
        [container] = deployments(objects)[f"{service.name}-api"]["spec"]["template"]["spec"]["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": service.port}]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert objects[("Service", f"{service.name}-api")]["spec"]["ports"][0]["port"] == service.port


def test_every_worker_is_probed_on_its_heartbeat_and_scraped_on_its_registered_port(rendered):
    _, objects = rendered
    for service in platform.SERVICES:
        for process, port in service.workers_and_ports:
            pod = deployments(objects)[f"{service.name}-{process.name}"]["spec"]["template"]
            [container] = pod["spec"]["containers"]
            assert container["ports"] == [{"name": "metrics", "containerPort": port}]
            for probe in ("livenessProbe", "readinessProbe"):
                assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}, (process.name, probe)
            assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
            assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port)


def test_the_lag_exporter_runs_with_a_service_prometheus_reaches(rendered):
    _, objects = rendered
    for process in platform.PLATFORM_PROCESSES:
        deployment = deployments(objects)[process.name]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert process.module in " ".join(container["command"]) and deployment["spec"]["replicas"] == 1
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        service = objects[("Service", process.name)]["spec"]
        assert service["ports"][0]["port"] == process.port
        assert service["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_prometheus_may_reach_every_workers_metrics_port(rendered):
    _, objects = rendered
    policy = objects[("NetworkPolicy", "wtgr-worker-metrics-ingress")]["spec"]
    [rule] = policy["ingress"]
    assert rule["ports"] == [{"port": "metrics"}]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    selects = {item["key"]: item for item in policy["podSelector"]["matchExpressions"]}
    for name, deployment in deployments(objects).items():
        process = deployment["spec"]["template"]["metadata"]["labels"]["wtgr/process"]
        assert (process not in selects["wtgr/process"].get("values", [])) == (process != "api"), name


def test_exactly_one_relay_per_service_replaced_never_rolled(rendered):
    _, objects = rendered
    for service in platform.SERVICES:
        spec = deployments(objects)[f"{service.name}-relay"]["spec"]
        assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}


def test_consumers_scale_up_to_their_topics_partitions_and_no_further(rendered):
    overlay, objects = rendered
    environment = next(item for item in render_k8s.ENVIRONMENTS if item.name == overlay)
    partitions = platform.all_topics()
    for service in (item for item in platform.SERVICES if item.consumes):
        replicas = deployments(objects)[f"{service.name}-consumer"]["spec"]["replicas"]
        assert 1 < replicas <= max(partitions[topic] for topic in service.consumes)
        assert replicas == min(environment.consumer_replicas, max(partitions[t] for t in service.consumes))


def test_apis_and_consumers_have_a_disruption_budget_that_selects_them(rendered):
    _, objects = rendered
    for name, item in deployments(objects).items():
        if name.endswith(("-api", "-consumer")):
            budget = objects[("PodDisruptionBudget", name)]["spec"]
            assert budget["selector"]["matchLabels"] == item["spec"]["selector"]["matchLabels"]


def test_ingress_is_denied_unless_a_policy_allows_it(rendered):
    _, objects = rendered
    deny = objects[("NetworkPolicy", "wtgr-default-deny-ingress")]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}
    allowed = objects[("NetworkPolicy", "wtgr-api-ingress")]["spec"]
    assert allowed["podSelector"]["matchLabels"] == {"wtgr/process": "api"}


def test_every_topic_is_a_kafka_topic_with_its_declared_settings(rendered):
    _, objects = rendered
    declared = {item["spec"]["topicName"]: item["spec"] for (kind, _), item in objects.items() if kind == "KafkaTopic"}
    assert set(declared) == set(platform.all_topics())
    for name, partitions in platform.all_topics().items():
        spec = declared[name]
        assert (spec["partitions"], spec["replicas"]) == (partitions, topics.REPLICATION_FACTOR)
        assert spec["config"]["min.insync.replicas"] == topics.MIN_INSYNC_REPLICAS
        assert spec["config"]["retention.ms"] == topics.retention_ms(name)
    assert topics.REPLICATION_FACTOR == 3 and topics.MIN_INSYNC_REPLICAS == 2


def test_kafka_and_postgres_are_run_by_their_operators(rendered):
    _, objects = rendered
    kafka = objects[("Kafka", "wtgr")]["spec"]["kafka"]["config"]
    assert (kafka["default.replication.factor"], kafka["min.insync.replicas"]) == (3, 2)
    assert kafka["auto.create.topics.enable"] is False
    assert objects[("KafkaNodePool", "dual-role")]["spec"]["replicas"] >= 3
    cluster = objects[("Cluster", "wtgr-postgres")]["spec"]
    init_sql = objects[("ConfigMap", "wtgr-postgres-init")]["data"]["init.sql"]
    roles = {role["name"] for role in cluster["managed"]["roles"]}
    assert roles == set(platform.service_names())
    for name in platform.service_names():
        assert f"CREATE SCHEMA {name} AUTHORIZATION {name};" in init_sql


def test_every_environment_runs_as_production(rendered):
    _, objects = rendered
    assert objects[("ConfigMap", "wtgr-config")]["data"]["WTGR_ENV"] == "production"
