#!/usr/bin/env bash
# make fuzz: every service on the test servers, schemathesis against each OpenAPI document (bad
# input must get a 4xx, never a 5xx; responses must match the documented schemas and types),
# then stop everything again and purge the data it made: the fuzzer edits the demo's KPIs as an admin
# (names, directions, descriptions), which a later make test on the same env would otherwise find.
# FUZZ_EXAMPLES sets how many cases per operation (default 25).
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

stop_servers() {
  local status=$?
  "$PY" -m devstack down --env test --purge || true
  exit "$status"
}
trap stop_servers EXIT

"$PY" -m devstack up --env test --services || exit 1
set -a
# shellcheck disable=SC1091
. .local/test/env
set +a
token=$("$PY" -m shared.auth.devtoken --role admin --user fuzz)
status=0
for service in ideas projects metrics training notifications; do
  port_var="${service^^}_PORT"
  echo "== schemathesis: $service"
  .venv/bin/schemathesis run "http://127.0.0.1:${!port_var}/openapi.json" \
    -H "Authorization: Bearer $token" --max-examples "${FUZZ_EXAMPLES:-25}" --workers 2 \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    || status=1
done
exit "$status"
