#!/usr/bin/env bash
# make lint: ruff over the repository, mypy over shared/, the services' domain packages and
# devstack/ (each only if it exists). Exits non-zero if either complains.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

status=0
echo "== ruff check ."
"$PY" -m ruff check . || status=1

targets=()
for path in shared services/*/domain devstack; do
  [ -e "$path" ] && targets+=("$path")
done
if ((${#targets[@]})); then
  echo "== mypy ${targets[*]}"
  "$PY" -m mypy "${targets[@]}" || status=1
fi
exit "$status"
