"""deploy/ cannot be run here (no Docker engine), so check it says what the code does."""

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import shared.telemetry  # noqa: F401  (registers the metric catalogue)
from shared import topics
from shared.create_topics import ensure_topics

DEPLOY = Path(__file__).parents[1] / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def known_metric_names() -> set[str]:
    """Every series name the catalogue's metrics expose (it registers them in the default registry)."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    return {family.name + suffix for family in REGISTRY.collect() for suffix in suffixes.get(family.type, ("",))}


def test_every_service_runs_its_migrations_api_and_relay():
    for service in topics.SERVICES:
        for process in ("migrate", "api", "relay"):
            assert f"{service}-{process}" in COMPOSE["services"], f"{service}-{process}"


def test_every_runnable_entrypoint_has_a_compose_service():
    root = Path(__file__).parents[1]
    commands = " ".join(" ".join(spec.get("command", [])) for spec in COMPOSE["services"].values())
    for path in sorted((root / "services").glob("*/entrypoints/*.py")):
        if "__main__" in path.read_text():
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            assert f"-m {module}" in commands or f"{module}:create_app()" in commands, module


def test_every_module_the_compose_file_starts_exists():
    root = Path(__file__).parents[1]
    for name, spec in COMPOSE["services"].items():
        command = " ".join(spec.get("command", []))
        for module in re.findall(r"(?:-m |\")((?:services|shared)\.[\w.]+?)(?::create_app\(\))?[\" ]", command + " "):
            assert (root / (module.replace(".", "/") + ".py")).is_file(), f"{name}: {module}"


def test_the_alert_rules_and_dashboard_use_only_metrics_the_code_exports():
    known = known_metric_names() | {"up"}
    rules = (DEPLOY / "prometheus/alerts.yml").read_text()
    dashboard = json.loads((DEPLOY / "grafana/dashboards/wtgr-platform.json").read_text())
    expressions = [rule["expr"] for group in yaml.safe_load(rules)["groups"] for rule in group["rules"]]
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in expressions for name in re.findall(r"\b(wtgr_\w+|up)\b", expr)}
    assert used, "the rules name some metrics"
    assert used <= known, used - known


@pytest.mark.integration
def test_creating_the_topics_again_creates_nothing(kafka_bootstrap):
    report = ensure_topics(kafka_bootstrap)
    assert report.created == []
    assert report.mismatched == {}
