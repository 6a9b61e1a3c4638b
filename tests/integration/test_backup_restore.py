"""A backup of the platform's database restores into a fresh PostgreSQL cluster with every row:
``python -m shared.backup`` dumps the test stack's database, a new cluster is started beside it,
the backup is restored there, and every table's count and row digest must match."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from devstack import config
from devstack.postgres import Postgres, find_bin_dir
from shared import backup

pytestmark = pytest.mark.integration

PROBE_ROWS = [(n, f"row {n}: Ward 7 — naïve “quotes”, a tab\there and a newline\n{n}") for n in range(1, 1001)]


@pytest.fixture(autouse=True)
def client_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client programs of the PostgreSQL devstack runs (the same major version)."""
    monkeypatch.setenv("WTGR_PG_BIN", str(find_bin_dir()))


@pytest.fixture
def fresh_cluster(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL cluster beside the test stack's; yields its superuser's URL."""
    port = int(psycopg.conninfo.conninfo_to_dict(admin_url)["port"]) + 7
    state = Path(config.REPO_ROOT) / ".local" / "test" / f"restore-check-{os.getpid()}"
    ports = config.Ports(pg=port, kafka=0, kafka_controller=0, smtp=0, mail_http=0)
    stack = config.StackConfig(env="test", ports=ports, services=(), repo_root=config.REPO_ROOT, state_dir=state,
                               cache_dir=config.REPO_ROOT / ".local" / "cache")
    cluster = Postgres(stack)
    cluster.start()
    try:
        yield f"postgresql://{config.PG_SUPERUSER}@/postgres?host={cluster.socket_dir}&port={port}"
    finally:
        cluster.stop(lambda _: None)
        shutil.rmtree(state, ignore_errors=True)


def test_a_backup_restores_into_a_fresh_cluster_with_every_row(
    admin_url, platform_test_schema, fresh_cluster, tmp_path
):
    with psycopg.connect(platform_test_schema, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS backup_probe")
        conn.execute("CREATE TABLE backup_probe (n integer PRIMARY KEY, note text NOT NULL)")
        with conn.cursor() as cursor:
            cursor.executemany("INSERT INTO backup_probe VALUES (%s, %s)", PROBE_ROWS)

    folder = tmp_path / "backup"
    figures = backup.dump(admin_url, folder)
    assert figures["platform_test.backup_probe"].rows == 1000
    assert "platform_test.outbox" in figures, "the tables the migrations made are in the backup"
    assert oct((folder / backup.GLOBALS).stat().st_mode & 0o777) == "0o600"

    assert backup.restore(fresh_cluster, folder) == [], "every table restored with every row"

    restored = psycopg.conninfo.make_conninfo(fresh_cluster, dbname="wtgr")
    with psycopg.connect(restored) as conn:
        assert conn.execute("SELECT n, note FROM platform_test.backup_probe ORDER BY n").fetchall() == PROBE_ROWS
        roles = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
        assert {"metrics", "ideas", "platform_test"} <= roles, "the services' login roles came back"
        conn.execute("UPDATE platform_test.backup_probe SET note = 'changed' WHERE n = 1")
        conn.commit()
    differences = backup.verify(restored, folder)
    assert len(differences) == 1 and differences[0].startswith("platform_test.backup_probe: expected 1000 rows"), \
        f"verify notices the changed row: {differences}"


def test_restore_refuses_a_cluster_that_already_has_the_database(admin_url, tmp_path):
    folder = tmp_path / "backup"
    backup.dump(admin_url, folder)
    with pytest.raises(backup.BackupError, match="exists already"):
        backup.restore(admin_url, folder)
