#!/usr/bin/env bash
# make screenshots: start the test servers and every service on a fresh env test (its data is
# purged first, so the pages show the demo data alone), load the demo data, save a PNG of every main
# portal page into .local/screenshots/ (SCREENSHOTS_DIR overrides), and ALWAYS stop everything again.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

stop_servers() {
  local status=$?
  "$PY" -m devstack down --env test || echo "run-screenshots: devstack down failed" >&2
  exit "$status"
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$PY" -m devstack down --env test --purge || exit 1
"$PY" -m devstack up --env test --services || exit 1
set -a
# shellcheck disable=SC1091
. .local/test/env
set +a
"$PY" -m devstack.demo || exit 1
"$PY" -m portal.tests.browser.screenshots "${SCREENSHOTS_DIR:-.local/screenshots}"
