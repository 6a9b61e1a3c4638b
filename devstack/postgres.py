"""PostgreSQL from Debian's packages: one cluster per env, one schema and one role per service."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from devstack import proc
from devstack.config import (
    PG_ADMIN_PASSWORD,
    PG_ADMIN_ROLE,
    PG_DATABASE,
    PG_OS_USER,
    PG_SUPERUSER,
    StackConfig,
    service_password,
)
from devstack.proc import PidRecord, StartupError
from devstack.system import RunAs, apt_install, ensure_system_user, ensure_traversable, say

PREFERRED_MAJOR = "15"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 60


def _major(bin_dir: Path) -> float:
    try:
        return float(bin_dir.parent.name)
    except ValueError:
        return 0.0


def find_bin_dir() -> Path | None:
    candidates = []
    if os.environ.get("WTGR_PG_BIN"):
        candidates.append(Path(os.environ["WTGR_PG_BIN"]))
    candidates.append(Path(f"/usr/lib/postgresql/{PREFERRED_MAJOR}/bin"))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_major, reverse=True)
    for candidate in candidates:
        if all((candidate / tool).exists() for tool in ("initdb", "pg_ctl", "postgres", "pg_isready")):
            return candidate
    return None


def ensure_installed() -> Path:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        apt_install(["postgresql"], "PostgreSQL is not installed")
        bin_dir = find_bin_dir()
    if bin_dir is None:
        raise StartupError("installed postgresql, but found no initdb/pg_ctl under /usr/lib/postgresql")
    return bin_dir


class Postgres:
    name = "postgres"

    def __init__(self, config: StackConfig):
        self.config = config
        self.data_dir = config.pg_data_dir
        self.log = config.pg_log
        self.pid_file = config.pg_pid_file
        self.port = config.ports.pg

    @property
    def socket_dir(self) -> Path:
        """Inside .local/<env>, unless that path is too long for a unix socket (108 bytes)."""
        preferred = self.config.state_dir / "run"
        if len(str(preferred / f".s.PGSQL.{self.port}.lock")) < 100:
            return preferred
        digest = hashlib.sha1(str(self.config.state_dir).encode()).hexdigest()[:10]
        return Path(tempfile.gettempdir()) / f"wtgr-pg-{self.config.env}-{digest}"

    # --- state ---

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
            return int(first.strip())
        except (OSError, IndexError, ValueError):
            return None

    def running(self) -> PidRecord | None:
        record = proc.running(self.pid_file)
        if record is not None:
            return record
        pid = self._postmaster_pid()  # started outside devstack's bookkeeping, or pid file lost
        if pid is not None and proc.is_alive(pid) and "postgres" in proc.cmdline(pid):
            return proc.write_pid_file(self.pid_file, self.name, pid, ["postgres", "-D", str(self.data_dir)])
        return None

    def answers(self) -> bool:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            return False
        cmd = [str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        cmd += ["-d", "postgres", "-t", "3"]
        return subprocess.run(cmd, check=False, stdin=subprocess.DEVNULL).returncode == 0

    # --- start ---

    def start(self) -> PidRecord:
        bin_dir = ensure_installed()
        who = ensure_system_user(PG_OS_USER)
        state = self.config.state_dir
        state.mkdir(parents=True, exist_ok=True)
        ensure_traversable(state, who)
        self._initdb(bin_dir, who)
        self._write_conf(who)
        socket_dir = self.socket_dir
        socket_dir.mkdir(parents=True, exist_ok=True)
        who.own(socket_dir, 0o700)
        ensure_traversable(socket_dir, who)
        self.log.touch(exist_ok=True)
        who.own(self.log, 0o640)
        proc.require_free_port(self.port, "PostgreSQL", "WTGR_PG_PORT")

        pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log)]
        pg_ctl += ["-w", "-t", str(int(START_TIMEOUT)), "-s", "start"]
        proc.run_checked(
            who.wrap(pg_ctl),
            what="PostgreSQL",
            timeout=START_TIMEOUT + 30,
            cwd=state,
            new_session=True,  # the postmaster must not die with our terminal's ^C
        )
        proc.wait_until(
            self.answers, what="PostgreSQL (pg_isready)", timeout=START_TIMEOUT, log=self.log
        )
        record = self.running()
        if record is None:
            raise StartupError("PostgreSQL answered, but its postmaster.pid is missing", self.log)
        return record

    def _initdb(self, bin_dir: Path, who: RunAs) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        if self.data_dir.exists():
            say(f"{self.data_dir} is not a complete cluster (no PG_VERSION); recreating it")
            shutil.rmtree(self.data_dir)
        tmp = self.data_dir.with_name(self.data_dir.name + ".initdb-tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(mode=0o700)
        who.own(tmp, 0o700)
        say(f"creating a PostgreSQL cluster in {self.data_dir}")
        cmd = [str(bin_dir / "initdb"), "-D", str(tmp), "-U", PG_SUPERUSER, "-E", "UTF8"]
        cmd += ["--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256"]
        if self.config.env == "test":
            cmd.append("--no-sync")
        proc.run_checked(who.wrap(cmd), what="initdb", timeout=300, cwd=self.config.state_dir)
        hba = tmp / "pg_hba.conf"
        hba.write_text(
            "# Written by devstack. The superuser only over the unix socket (a directory only\n"
            "# its owner can enter); everyone else over TCP on 127.0.0.1 with a password.\n"
            "# TYPE  DATABASE  USER      ADDRESS        METHOD\n"
            f"local   all       {PG_SUPERUSER}                  trust\n"
            "host    all       all       127.0.0.1/32   scram-sha-256\n"
        )
        who.own(hba, 0o600)
        with open(tmp / "postgresql.conf", "a") as conf:
            conf.write("\n# devstack writes ports and paths here on every start\n")
            conf.write("include_if_exists = 'devstack.conf'\n")
        tmp.rename(self.data_dir)

    def _write_conf(self, who: RunAs) -> None:
        lines = [
            "# Written by devstack on every start (see devstack/postgres.py); do not edit.",
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "password_encryption = 'scram-sha-256'",
            "max_connections = 200",
            # merging a backfill's landed measures holds an advisory lock per month (10,000 a pass),
            # an aggregator pass two per chart: the default of 64 a connection overflows the lock table
            "max_locks_per_transaction = 256",
            # PostgreSQL's default of 128 MB holds less than a million-measure backfill's tables and
            # indexes (about 1 GB), and every merge then reads through the OS; a quarter of a
            # server's memory is the usual advice, and 512 MB is a modest share of a developer's machine
            "shared_buffers = '512MB'",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            "log_line_prefix = '%m [%p] %q%u@%d '",
        ]
        if self.config.env == "test":  # throwaway data: trade durability for speed
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        conf = self.data_dir / "devstack.conf"
        conf.write_text("\n".join(lines) + "\n")
        who.own(conf, 0o600)

    # --- roles, schemas and grants ---

    def bootstrap(self, services: tuple[str, ...]) -> None:
        """Create the database, one login role + schema per service, and the admin role.

        Idempotent: runs on every `up`, resetting passwords and grants to what they should be.
        """
        import psycopg
        from psycopg import sql

        def connect(dbname: str) -> psycopg.Connection:
            return psycopg.connect(
                host=str(self.socket_dir),
                port=self.port,
                user=PG_SUPERUSER,
                dbname=dbname,
                autocommit=True,
                connect_timeout=10,
            )

        def ensure_role(cur: psycopg.Cursor, name: str, password: str, superuser: bool) -> None:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
            verb = "ALTER" if cur.fetchone() else "CREATE"
            attributes = "SUPERUSER" if superuser else "NOSUPERUSER NOCREATEDB NOCREATEROLE"
            cur.execute(
                sql.SQL("{} ROLE {} WITH LOGIN {} PASSWORD {}").format(
                    sql.SQL(verb), sql.Identifier(name), sql.SQL(attributes), sql.Literal(password)
                )
            )

        db = sql.Identifier(PG_DATABASE)
        with connect("postgres") as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(db))
            ensure_role(cur, PG_ADMIN_ROLE, PG_ADMIN_PASSWORD, superuser=True)
            for service in services:
                ensure_role(cur, service, service_password(service), superuser=False)
            for database in (PG_DATABASE, "postgres", "template1"):
                cur.execute(
                    sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(
                        sql.Identifier(database)
                    )
                )
            for service in services:
                cur.execute(
                    sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, sql.Identifier(service))
                )
        with connect(PG_DATABASE) as conn, conn.cursor() as cur:
            cur.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            for service in services:
                role = sql.Identifier(service)
                cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(role, role))
                cur.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(role, role))
                cur.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(role))
            # Extensions the services use (pg_trgm: ideas' similar-text search) are the admin's to
            # install, once per database, in a schema of their own every service role may use.
            cur.execute("CREATE SCHEMA IF NOT EXISTS extensions")
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions")
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA extensions TO {}").format(
                sql.SQL(", ").join(sql.Identifier(service) for service in services)))

    # --- stop ---

    def stop(self, report: Callable[[str], None]) -> bool:
        record = self.running()
        if record is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        bin_dir = find_bin_dir()
        who = ensure_system_user(PG_OS_USER) if bin_dir is not None else None
        for mode in ("fast", "immediate"):
            if bin_dir is None or who is None:
                break
            cmd = [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w"]
            cmd += ["-t", str(STOP_TIMEOUT), "-s", "stop"]
            result = subprocess.run(
                who.wrap(cmd), stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
            )
            if not record.alive:
                break
            report(f"pg_ctl stop -m {mode} did not stop PostgreSQL: {result.stdout}{result.stderr}")
        if record.alive:
            proc.stop_all([record], timeout=10, report=report)
        self.pid_file.unlink(missing_ok=True)
        return True
