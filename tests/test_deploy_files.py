"""docker-compose.yml and deploy/ cannot be run here (no Docker engine), so check they say what the
code does, load them with compose-go's loader and check Prometheus' files with promtool."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import shared.telemetry  # noqa: F401  (registers the metric catalogue)
from devstack import config, deploy_tools, mailpit
from services.metrics.entrypoints.scrape import OverdueFeedGauges
from shared import platform
from shared.collectors import OutboxGauges
from shared.create_topics import ensure_topics
from shared.lag_exporter import KafkaLagReader, LagCollector

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())


def known_metric_names() -> set[str]:
    """Every series name the catalogue's metrics expose (it registers them in the default registry),
    and those the scrape-time collectors read (APIs' outbox and overdue feeds, the lag exporter)."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    counted = {family.name + suffix for family in REGISTRY.collect() for suffix in suffixes.get(family.type, ("",))}
    collectors = [OutboxGauges("any", None), OverdueFeedGauges(None, None), LagCollector(KafkaLagReader("", {}))]
    return counted | {family.name for collector in collectors for family in collector.describe()}


def worker_targets() -> list[str]:
    """Every service process but the API, as compose names it, on its registered port."""
    return [f"{item.name}-{process.name}:{port}" for item in platform.SERVICES
            for process, port in item.workers_and_ports]


def scrape_targets(job_name: str) -> list[str]:
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == job_name]
    return [target for group in job["static_configs"] for target in group["targets"]]


def compose_command(name: str) -> str:
    return " ".join(COMPOSE["services"][name].get("command", []))


def test_every_registered_process_is_a_compose_service_running_its_module():
    for registered in platform.SERVICES:
        assert f"-m {registered.migrate_module}" in compose_command(f"{registered.name}-migrate")
        for process in registered.processes:
            name = f"{registered.name}-{process.name}"
            assert name in COMPOSE["services"], f"docker-compose.yml has no {name}"
            module = registered.module(process)
            expected = f"{module}:create_app()" if process == platform.API else f"-m {module}"
            assert expected in compose_command(name), name


def test_the_compose_file_runs_no_service_process_the_registry_does_not_know():
    registered = {f"{item.name}-{process.name}" for item in platform.SERVICES for process in item.processes}
    registered |= {f"{name}-migrate" for name in platform.service_names()}
    belongs_to_a_service = {name for name in COMPOSE["services"] if name.split("-")[0] in platform.service_names()}
    assert belongs_to_a_service == registered


def test_each_api_listens_and_is_checked_on_its_registered_port():
    for registered in platform.SERVICES:
        spec = COMPOSE["services"][f"{registered.name}-api"]
        assert f"0.0.0.0:{registered.port}" in compose_command(f"{registered.name}-api")
        assert spec["ports"] == [f"{registered.port}:{registered.port}"]
        assert f"localhost:{registered.port}/readyz" in " ".join(spec["healthcheck"]["test"])


def test_prometheus_scrapes_every_api_on_its_registered_port():
    assert scrape_targets("wtgr") == [f"{item.name}-api:{item.port}" for item in platform.SERVICES]


def test_prometheus_scrapes_every_worker_on_its_registered_port():
    assert scrape_targets("wtgr-workers") == worker_targets()


def test_prometheus_scrapes_the_platforms_own_processes():
    assert scrape_targets("wtgr-platform") == [f"{item.name}:{item.port}" for item in platform.PLATFORM_PROCESSES]


def test_a_worker_missing_from_the_scrape_targets_is_caught(monkeypatch):
    extra = platform.Process("janitor", "janitor")
    metrics = platform.service("metrics")
    widened = platform.Service(metrics.name, metrics.port, metrics.publishes, metrics.consumes,
                               (*metrics.workers, extra))
    monkeypatch.setattr(platform, "SERVICES", tuple(widened if item.name == "metrics" else item
                                                    for item in platform.SERVICES))
    assert "metrics-janitor:8503" in worker_targets()
    assert scrape_targets("wtgr-workers") != worker_targets()


def test_every_worker_is_checked_on_its_own_port_and_the_ports_never_collide():
    for registered in platform.SERVICES:
        for process, port in registered.workers_and_ports:
            spec = COMPOSE["services"][f"{registered.name}-{process.name}"]
            assert f"localhost:{port}/healthz" in " ".join(spec["healthcheck"]["test"]), process.name
    ports = [item.port for item in platform.SERVICES] + [int(t.rsplit(":", 1)[1]) for t in worker_targets()]
    ports += [item.port for item in platform.PLATFORM_PROCESSES]
    assert len(ports) == len(set(ports))


def test_the_compose_file_runs_the_platforms_own_processes():
    for item in platform.PLATFORM_PROCESSES:
        assert f"-m {item.module}" in compose_command(item.name)
        assert f"localhost:{item.port}/healthz" in " ".join(COMPOSE["services"][item.name]["healthcheck"]["test"])


def test_every_alert_has_a_unit_test_and_a_runbook():
    rules = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((DEPLOY / "prometheus/alerts_test.yml").read_text())
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]
              if any(case.get("exp_alerts") or [])}
    assert alerts == tested, alerts ^ tested
    runbooks = set(re.findall(r"^#### `(Wtgr\w+)`", (ROOT / "docs/operations.md").read_text(), re.M))
    assert alerts <= runbooks, alerts - runbooks


def test_every_runnable_entrypoint_is_registered():
    """A module under entrypoints/ that can run on its own is one of its service's registered
    processes (or its migration): a new worker cannot be forgotten by devstack and deploy."""
    root = Path(__file__).parents[1]
    known = {item.module(process) for item in platform.SERVICES for process in item.processes}
    known |= {item.migrate_module for item in platform.SERVICES}
    for path in sorted((root / "services").glob("*/entrypoints/*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        if "__main__" in path.read_text() or module.endswith(".api"):
            assert module in known, f"{module} runs on its own but shared/platform.py does not register it"


def test_every_registered_module_exists():
    root = Path(__file__).parents[1]
    for module in {item.module(process) for item in platform.SERVICES for process in item.processes}:
        assert (root / (module.replace(".", "/") + ".py")).is_file(), module


def test_every_service_has_its_database_role_schema_and_url_in_deploy():
    init_sql = (DEPLOY / "postgres/init.sql").read_text()
    environment = COMPOSE["x-service-env"]
    for name in platform.service_names():
        assert f"CREATE ROLE {name} LOGIN" in init_sql, name
        assert f"CREATE SCHEMA {name} AUTHORIZATION {name};" in init_sql, name
        assert "@postgres:5432/wtgr" in environment[f"{name.upper()}_DATABASE_URL"], name


def test_deploy_runs_the_mail_catcher_devstack_runs():
    assert COMPOSE["services"]["mail"]["image"] == f"axllent/mailpit:{mailpit.MAILPIT_VERSION}"


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


@pytest.fixture(scope="module")
def loaded_compose() -> dict:
    """The compose file as compose-go (Docker Compose's own loader) resolves and validates it."""
    checker = deploy_tools.composecheck(config.cache_dir(os.environ))
    result = subprocess.run([checker, COMPOSE_FILE], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_go_loads_the_compose_file_with_every_process(loaded_compose):
    expected = {f"{item.name}-{process.name}" for item in platform.SERVICES for process in item.processes}
    expected |= {"postgres", "kafka", "kafka-topics", "mail", "prometheus", "alertmanager", "grafana"}
    expected |= {item.name for item in platform.PLATFORM_PROCESSES}
    assert expected <= set(loaded_compose["services"])


def test_compose_go_rejects_a_broken_compose_file(tmp_path):
    checker = deploy_tools.composecheck(config.cache_dir(os.environ))
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  api:\n    image: x\n    restart: sometimes\n    depends_on: [nowhere]\n")
    result = subprocess.run([checker, broken], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "composecheck:" in result.stderr


def test_every_long_running_container_restarts_and_one_shot_jobs_retry(loaded_compose):
    for name, spec in loaded_compose["services"].items():
        one_shot = name.endswith("-migrate") or name == "kafka-topics"
        assert spec.get("restart") == ("on-failure" if one_shot else "unless-stopped"), name


def test_every_platform_container_has_its_multiprocess_metrics_folder(loaded_compose):
    for name, spec in loaded_compose["services"].items():
        if spec.get("image") == "wtgr-platform:local" and name != "kafka-topics":
            folder = spec["environment"]["PROMETHEUS_MULTIPROC_DIR"]
            assert folder in spec.get("tmpfs", [""])[0], name


def test_the_compose_demo_runs_as_development_unless_told_otherwise(loaded_compose):
    for name, spec in loaded_compose["services"].items():
        if "PROMETHEUS_MULTIPROC_DIR" in spec.get("environment", {}):
            assert spec["environment"]["WTGR_ENV"] == os.environ.get("WTGR_ENV", "development"), name


def test_kafka_keeps_its_data_on_the_mounted_volume(loaded_compose):
    kafka = loaded_compose["services"]["kafka"]
    [volume] = kafka["volumes"]
    assert volume["type"] == "volume" and kafka["environment"]["KAFKA_LOG_DIRS"] == volume["target"]


def test_every_file_the_compose_file_mounts_is_in_the_repository(loaded_compose):
    for name, spec in loaded_compose["services"].items():
        for volume in spec.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), f"{name}: {volume['source']}"


def test_the_build_context_leaves_out_keys_virtualenvs_and_history():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".local", ".venv", ".git", "**/__pycache__"} <= ignored


def test_the_image_runs_as_a_non_root_user_after_a_build_stage():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    [user] = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user.split(":")[0] not in {"root", "0"}
    assert "install -d -o wtgr -g wtgr -m 0700 /tmp/prometheus" in dockerfile


def test_promtool_accepts_the_prometheus_config_and_its_rules():
    result = subprocess.run(
        [deploy_tools.promtool(), "check", "config", DEPLOY / "prometheus/prometheus.yml"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_pass_their_unit_tests():
    result = subprocess.run(
        [deploy_tools.promtool(), "test", "rules", "alerts_test.yml"],
        capture_output=True, text=True, cwd=DEPLOY / "prometheus", check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_mails_every_alert_to_the_mail_catcher():
    alertmanager = yaml.safe_load((DEPLOY / "alertmanager/alertmanager.yml").read_text())
    assert alertmanager["global"]["smtp_smarthost"] == "mail:1025"
    receivers = {item["name"]: item for item in alertmanager["receivers"]}
    assert receivers[alertmanager["route"]["receiver"]]["email_configs"]


@pytest.mark.integration
def test_creating_the_topics_again_creates_nothing(kafka_bootstrap):
    report = ensure_topics(kafka_bootstrap)
    assert report.created == []
    assert report.mismatched == {}


def test_the_image_has_the_font_training_draws_certificates_in():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"apt-get install -y --no-install-recommends fonts-dejavu-core", dockerfile)
    assert "WTGR_CERTIFICATE_FONT_DIR=/usr/share/fonts/truetype/dejavu" in dockerfile
