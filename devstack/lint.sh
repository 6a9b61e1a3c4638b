#!/usr/bin/env bash
# make lint: ruff (style, complexity, naming, banned imports), import-linter's architecture
# contracts (pyproject.toml [tool.importlinter]) and mypy over shared/, services/, devstack/ and chaos/.
# Runs every check, then exits non-zero if any complained. Needs no server.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
BIN="$(dirname "$PY")"

status=0
echo "== ruff check ."
"$PY" -m ruff check . || status=1

echo "== lint-imports"
"$BIN/lint-imports" --no-logo || status=1

echo "== mypy shared services devstack chaos portal"
"$PY" -m mypy shared services devstack chaos portal || status=1
exit "$status"
