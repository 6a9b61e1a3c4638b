"""Apache Kafka in KRaft mode, one node (broker + controller), from Maven Central's jars."""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devstack import proc
from devstack.config import REPO_ROOT, StackConfig, warn
from devstack.proc import PidRecord, StartupError
from devstack.system import require_executable, say

KAFKA_VERSION = "4.1.1"
KAFKA_MAIN_JAR = f"kafka_2.13-{KAFKA_VERSION}.jar"
POM = REPO_ROOT / "devstack" / "kafka" / "pom.xml"
LOG4J_CONFIG = REPO_ROOT / "devstack" / "kafka" / "log4j2.yaml"
JVM_OPTIONS = ["-Xmx768m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true"]
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
MIN_JAVA = 17

# kafka-python logs every refused connection while the broker starts; devstack reports itself.
logging.getLogger("kafka").setLevel(logging.CRITICAL)


def new_cluster_id() -> str:
    """What `kafka-storage random-uuid` prints: 16 random bytes, url-safe base64, no padding."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


def format_arguments(cluster_id: str, properties: Path) -> list[str]:
    """kafka-storage format's arguments. The id goes with ``=``: one id in 64 starts with "-",
    which the tool's parser would otherwise take for an option."""
    return [f"--cluster-id={cluster_id}", f"--config={properties}"]


def libs_dir(config: StackConfig) -> Path:
    return config.cache_dir / f"kafka-{KAFKA_VERSION}" / "libs"


def ensure_libs(config: StackConfig) -> Path:
    """The Kafka jars in the cache, fetched with Maven on first use.

    Maven copies into a temporary directory that is renamed into place only when complete,
    so an interrupted download never looks like a usable cache.
    """
    libs = libs_dir(config)
    if (libs / KAFKA_MAIN_JAR).is_file():
        return libs
    with proc.file_lock(libs.parent / ".fetch.lock"):
        if (libs / KAFKA_MAIN_JAR).is_file():  # another devstack fetched it while we waited
            return libs
        for stale in libs.parent.glob("libs.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if libs.exists():
            shutil.rmtree(libs)
        mvn = require_executable("mvn", "maven", "Maven is needed to fetch the Kafka jars")
        ensure_java()
        tmp = libs.parent / f"libs.tmp-{os.getpid()}"
        say(f"fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central into {libs} (once)")
        cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies"]
        cmd += [f"-DoutputDirectory={tmp}", "-DincludeScope=runtime"]
        try:
            proc.run_checked(cmd, what="fetching the Kafka jars with Maven", timeout=1200)
            if not (tmp / KAFKA_MAIN_JAR).is_file():
                raise StartupError(f"Maven finished, but {KAFKA_MAIN_JAR} is not in {tmp}")
            tmp.rename(libs)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return libs


def ensure_java() -> str:
    java = require_executable("java", "openjdk-17-jre-headless", "Java is needed to run Kafka")
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_..." style
            major = int(match.group(2))
        if major < MIN_JAVA:
            raise StartupError(
                f"Kafka {KAFKA_VERSION} needs Java {MIN_JAVA}+, but `{java}` is Java {major}; "
                "install openjdk-17-jre-headless and put it first on PATH"
            )
    return java


def admin_client(bootstrap: str, timeout_ms: int = 5000) -> Any:
    from kafka import KafkaAdminClient

    return KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="wtgr-devstack",
        bootstrap_timeout_ms=timeout_ms,
        request_timeout_ms=timeout_ms,
    )


class Kafka:
    name = "kafka"

    def __init__(self, config: StackConfig):
        self.config = config
        self.port = config.ports.kafka
        self.controller_port = config.ports.kafka_controller
        self.log = config.kafka_log
        self.pid_file = config.kafka_pid_file
        self.properties = config.kafka_dir / "server.properties"

    def running(self) -> PidRecord | None:
        return proc.running_as(self.pid_file, "kafka.Kafka")

    def answers(self) -> bool:
        """A metadata request succeeds."""
        admin = admin_client(self.config.kafka_bootstrap, timeout_ms=3000)
        try:
            admin.list_topics()
            return True
        finally:
            admin.close()

    def _write_properties(self) -> None:
        ctrl = self.controller_port
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{ctrl}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{ctrl}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.config.kafka_data_dir),
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "auto.create.topics.enable": "false",
            "group.initial.rebalance.delay.ms": "0",
            "num.partitions": "6",
        }
        self.properties.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# Written by devstack on every start (see devstack/kafka_broker.py); do not edit."]
        lines += [f"{key}={value}" for key, value in settings.items()]
        self.properties.write_text("\n".join(lines) + "\n")

    def _java_cmd(self, java: str, libs: Path, main: str, *args: str) -> list[str]:
        return [
            java,
            *JVM_OPTIONS,
            "-cp",
            f"{libs}/*",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            main,
            *args,
        ]

    def _format(self, java: str, libs: Path) -> None:
        data = self.config.kafka_data_dir
        if (data / "meta.properties").exists():
            return
        if data.exists():  # an interrupted format: nothing in it is worth keeping
            shutil.rmtree(data)
        data.mkdir(parents=True)
        cluster_id = new_cluster_id()
        cmd = self._java_cmd(java, libs, "kafka.tools.StorageTool", "format")
        cmd += format_arguments(cluster_id, self.properties)
        proc.run_checked(cmd, what="formatting the Kafka storage", timeout=120, log=self.log)

    def start(self) -> PidRecord:
        java = ensure_java()
        libs = ensure_libs(self.config)
        proc.require_free_port(self.port, "Kafka", "WTGR_KAFKA_PORT")
        proc.require_free_port(self.controller_port, "Kafka controller", "WTGR_KAFKA_CONTROLLER_PORT")
        self._write_properties()
        self._format(java, libs)
        cmd = self._java_cmd(java, libs, "kafka.Kafka", str(self.properties))
        popen, record = proc.start_detached(
            cmd, log=self.log, pid_file=self.pid_file, name=self.name, cwd=self.config.state_dir
        )
        proc.wait_until(
            self.answers,
            what="Kafka (metadata request)",
            timeout=START_TIMEOUT,
            log=self.log,
            still_running=proc.popen_alive(popen),
            interval=0.5,
        )
        return record

    def ensure_topics(self, topics: dict[str, int], timeout: float = 60.0) -> list[str]:
        """Create the missing topics (replication factor 1); return the names created."""
        from kafka.errors import KafkaError

        from shared.create_topics import ensure_topics

        try:
            report = ensure_topics(self.config.kafka_bootstrap, topics, timeout=timeout)
        except KafkaError as exc:
            raise StartupError(f"creating Kafka topics failed: {exc!r}", self.log) from exc
        for name, partitions in report.mismatched.items():
            warn(
                f"topic {name} has {partitions} partitions, the catalogue says {topics[name]}; "
                f"`python -m devstack down --env {self.config.env} --purge` recreates it"
            )
        return report.created

    def stop(self, report: Callable[[str], None]) -> bool:
        return proc.stop_recorded(self.running(), self.pid_file, timeout=STOP_TIMEOUT, report=report)
