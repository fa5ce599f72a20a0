"""A real single-node Apache Kafka broker (KRaft) run from Maven Central's jars.

Used by `just up` and by the test fixtures on machines without a Docker engine.
"""

from __future__ import annotations

import base64
import dataclasses
import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import settings
from devstack.prereqs import MissingPrerequisite, port_accepts, require_command
from devstack.processes import ManagedProcess, wait_until

HERE = Path(__file__).resolve().parent / "kafka"
POM = HERE / "pom.xml"
LOG4J_CONFIG = HERE / "log4j2.properties"


def jars_dir(cache_dir: Path) -> Path:
    """Where the broker's jars for this pom live (a new pom means a new folder)."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, POM.read_text()).hex[:12]
    return cache_dir / f"kafka-{digest}" / "libs"


def fetch_jars(cache_dir: Path) -> Path:
    """Download the broker's jars once with Maven; later calls return the cached folder."""
    libs = jars_dir(cache_dir)
    done = libs.parent / "complete"
    if done.exists():
        return libs
    require_command("java")
    mvn = require_command("mvn")
    print(f"fetching the Kafka broker's jars with Maven into {libs} ...", flush=True)
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise MissingPrerequisite(
            "Maven could not fetch the Kafka jars from Maven Central: " + " | ".join(tail)
        )
    done.write_text("ok\n")
    return libs


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


@dataclass(frozen=True)
class KafkaBroker:
    """One broker+controller on 127.0.0.1, its data and config under `home`."""

    home: Path
    port: int
    controller_port: int
    libs: Path

    @property
    def bootstrap(self) -> str:
        """host:port for clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        """The broker's server.properties."""
        return self.home / "server.properties"

    def write_config(self) -> None:
        """Write server.properties for a single-node KRaft cluster with small-machine settings."""
        self.home.mkdir(parents=True, exist_ok=True)
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.home / "data"),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "12",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "log.retention.hours": "24",
        }
        self.config_file.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))

    def format_storage(self) -> None:
        """Format the log directory once (`kafka.tools.StorageTool format`)."""
        if (self.home / "data" / "meta.properties").exists():
            return
        result = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                # '=' form: a base64 id may start with '-', which argparse takes for a flag.
                f"--cluster-id={_cluster_id()}",
                "-c",
                str(self.config_file),
            ),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"kafka storage format failed: {result.stdout}{result.stderr}")

    def prepare(self) -> None:
        """Write config and format the storage (once): `command()` can run from then on."""
        self.write_config()
        self.format_storage()

    def command(self) -> list[str]:
        """The broker's command line (after `prepare`)."""
        return self._java("kafka.Kafka", str(self.config_file), heap="-Xmx512m")

    def start(self, process: ManagedProcess) -> None:
        """Write config, format and start the broker in the background."""
        self.prepare()
        process.start(self.command())

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Ready when the client listener accepts connections."""
        return wait_until(lambda: port_accepts(self.port), timeout, interval=0.2)

    def _java(self, main: str, *args: str, heap: str = "-Xmx256m") -> list[str]:
        return [
            require_command("java"),
            heap,
            # Young collections stop the broker; two threads halve the pause (10 ms, not 16).
            "-XX:+UseParallelGC",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "-cp",
            f"{self.libs}/*",
            main,
            *args,
        ]


def create_topics(bootstrap: str, names: Iterable[str], partitions: int) -> None:
    """Create the topics if missing, with the configured partition count."""
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = set(admin.list_topics(timeout=20).topics)
    wanted = [
        NewTopic(name, num_partitions=partitions, replication_factor=1)
        for name in names
        if name not in existing
    ]
    if not wanted:
        return
    for future in admin.create_topics(wanted, operation_timeout=30).values():
        try:
            future.result(timeout=30)
        except Exception as exc:  # a topic created meanwhile is fine
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise


def isolated_settings(
    bootstrap: str,
    redis_url: str,
    prefix: str,
    recovery_dir: Path,
    partitions: int | None = None,
) -> settings.Settings:
    """Settings on the given servers with audio and results topics of their own (created now)."""
    suffix = uuid.uuid4().hex[:10]
    base = settings.load()
    cfg = dataclasses.replace(
        base,
        kafka_bootstrap=bootstrap,
        redis_url=redis_url,
        topic_audio=f"{prefix}.audio.{suffix}",
        topic_results=f"{prefix}.results.{suffix}",
        topic_partitions=partitions or base.topic_partitions,
        recovery_dir=str(recovery_dir),
    )
    create_topics(bootstrap, [cfg.topic_audio, cfg.topic_results], cfg.topic_partitions)
    return cfg
