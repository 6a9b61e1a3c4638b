"""Back up the platform's PostgreSQL database and restore it into a fresh cluster, then prove that
every row came back.

    python -m shared.backup dump    --url ADMIN_URL --to DIR
    python -m shared.backup restore --url SUPERUSER_URL_OF_THE_NEW_CLUSTER --from DIR
    python -m shared.backup verify  --url ADMIN_URL_OF_ANY_COPY --from DIR

``dump`` writes three files into DIR (created with mode 0700): ``globals.sql`` (the login roles
with their password hashes, from ``pg_dumpall --globals-only``), ``database.dump`` (``pg_dump``'s
custom format: every schema, table, row, index, grant and the outbox) and ``manifest.json`` (each
table's row count and an MD5 of its rows in a fixed order, taken in the same snapshot as the dump).
``restore`` creates the roles and the database on the new cluster, restores into it and then runs
``verify``, which recounts and rehashes every table and exits 1 naming each table that differs.

The PostgreSQL client programs (pg_dump, pg_dumpall, pg_restore, psql) are found on PATH, or in
``WTGR_PG_BIN``; use a major version at least the server's. On Kubernetes, CloudNativePG's own
backups (Barman to object storage) are the primary copy; this tool is for one-host installations,
for moving between clusters and for proving a backup restores (docs/operations.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

GLOBALS = "globals.sql"
DATABASE = "database.dump"
MANIFEST = "manifest.json"
SKIPPED_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class TableFigure:
    rows: int
    digest: str


def program(name: str) -> str:
    """The path of a PostgreSQL client program: WTGR_PG_BIN's, else PATH's."""
    folder = os.environ.get("WTGR_PG_BIN")
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).exists():
        raise BackupError(f"{name} not found: install PostgreSQL's client programs or set WTGR_PG_BIN")
    return found


def run(cmd: list[str], what: str) -> None:
    result = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def table_figures(conn: psycopg.Connection) -> dict[str, TableFigure]:
    """Every user table's row count and a digest of its rows, as ``schema.table``."""
    tables = conn.execute(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname <> ALL(%s) ORDER BY 1, 2",
        (list(SKIPPED_SCHEMAS),)).fetchall()
    figures = {}
    for schema, table in tables:
        query = sql.SQL("SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') "
                        "FROM {}.{} AS t").format(sql.Identifier(schema), sql.Identifier(table))
        row = conn.execute(query).fetchone()
        assert row is not None
        figures[f"{schema}.{table}"] = TableFigure(rows=row[0], digest=row[1])
    return figures


def dump(url: str, folder: Path) -> dict[str, TableFigure]:
    """Dump the database at ``url`` (an admin's URL) and the cluster's roles into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert snapshot is not None
        figures = table_figures(conn)  # the same snapshot the dump below reads
        dbname = conn.info.dbname
        run([program("pg_dump"), "--format=custom", f"--snapshot={snapshot[0]}", f"--file={folder / DATABASE}",
             f"--dbname={url}"], "pg_dump")
    run([program("pg_dumpall"), "--globals-only", f"--file={folder / GLOBALS}", f"--dbname={url}"], "pg_dumpall")
    (folder / GLOBALS).chmod(0o600)  # password hashes
    manifest = {"database": dbname, "tables": {name: vars(figure) for name, figure in figures.items()}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return figures


def restore(url: str, folder: Path) -> list[str]:
    """Restore ``folder`` into the cluster at ``url`` (a superuser's URL on its ``postgres``
    database); returns the tables that differ from the manifest (none when all is well)."""
    manifest = json.loads((folder / MANIFEST).read_text())
    dbname = manifest["database"]
    # Roles first. A role that exists already (the superuser running this) is reported by psql
    # and skipped; anything else is an error.
    psql = [program("psql"), "--no-psqlrc", "--quiet", f"--dbname={url}", "--file", str(folder / GLOBALS)]
    result = subprocess.run(psql, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line and "already exists" not in line]
    if result.returncode != 0 or errors:
        raise BackupError(f"restoring roles failed: {' '.join(errors) or result.stderr.strip()}")
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            raise BackupError(f"database {dbname} exists already on the target: restore into a fresh cluster")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    target = psycopg.conninfo.make_conninfo(url, dbname=dbname)
    run([program("pg_restore"), "--exit-on-error", "--single-transaction", f"--dbname={target}",
         str(folder / DATABASE)], "pg_restore")
    return verify(target, folder)


def verify(url: str, folder: Path) -> list[str]:
    """The tables whose rows at ``url`` differ from the manifest's, each with what differs."""
    expected = {name: TableFigure(**figure)
                for name, figure in json.loads((folder / MANIFEST).read_text())["tables"].items()}
    with psycopg.connect(url) as conn:
        found = table_figures(conn)
    differences = []
    for name in sorted(set(expected) | set(found)):
        want, got = expected.get(name), found.get(name)
        if want != got:
            differences.append(f"{name}: expected {_describe(want)}, found {_describe(got)}")
    return differences


def _describe(figure: TableFigure | None) -> str:
    return "no table" if figure is None else f"{figure.rows} rows (md5 {figure.digest[:12]})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.backup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, folder_flag in (("dump", "--to"), ("restore", "--from"), ("verify", "--from")):
        command = commands.add_parser(name)
        command.add_argument("--url", required=True, help="a libpq connection URL")
        command.add_argument(folder_flag, dest="folder", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "dump":
            figures = dump(args.url, args.folder)
            print(f"backed up {len(figures)} tables, {sum(f.rows for f in figures.values())} rows, into {args.folder}")
            return 0
        differences = restore(args.url, args.folder) if args.command == "restore" else verify(args.url, args.folder)
    except (BackupError, psycopg.Error, OSError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    for line in differences:
        print(f"differs: {line}")
    if differences:
        return 1
    print(f"{args.command}: every table matches the manifest in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
