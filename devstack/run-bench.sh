#!/usr/bin/env bash
# make bench: the test servers and every service, `python -m bench` against them, then stop
# everything again (also on failure or ^C). Extra arguments go to the bench.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

stop_servers() {
  local status=$?
  echo "== python -m devstack down --env test"
  "$PY" -m devstack down --env test \
    || echo "run-bench: devstack down failed; see: $PY -m devstack status --env test" >&2
  exit "$status"
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Every run starts from empty servers: the test servers keep their data between runs, and a
# million-measure backfill left behind by each earlier run slows the next one's merges (the
# figures would depend on how many benches ran before).
echo "== the test servers' data from earlier runs removed (.local/test/pg, .local/test/kafka-data)"
"$PY" -m devstack down --env test >/dev/null 2>&1 || true
rm -rf .local/test/pg .local/test/kafka-data

echo "== python -m devstack up --env test --services"
"$PY" -m devstack up --env test --services || exit 1

if [ ! -e bench/__main__.py ] && [ ! -e bench.py ]; then
  echo "run-bench: no bench module yet (bench/__main__.py); nothing to run"
  exit 0
fi
set -a
# shellcheck disable=SC1091
. .local/test/env
set +a
echo "== python -m bench $*"
"$PY" -m bench "$@"
