#!/usr/bin/env bash
# make test: start the test servers and every service (the end-to-end tests go through them),
# lint, run pytest against them, and ALWAYS stop everything again (also on failure or ^C).
# Exits with pytest's status, else lint's.
# Extra arguments go to pytest: devstack/run-tests.sh -k mail -x
# WTGR_TEST_SERVICES=0 starts only Postgres, Kafka and the mail catcher (no services).
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

stop_servers() {
  local status=$?
  echo "== python -m devstack down --env test"
  "$PY" -m devstack down --env test \
    || echo "run-tests: devstack down failed; see: $PY -m devstack status --env test" >&2
  exit "$status"
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

up_args=(--env test --services)
if [ "${WTGR_TEST_SERVICES:-1}" = "0" ]; then
  up_args=(--env test)
fi
echo "== python -m devstack up ${up_args[*]}"
"$PY" -m devstack up "${up_args[@]}" || exit 1

lint_status=0
devstack/lint.sh || lint_status=$?

# compose-go's loader and kustomize (built once into ~/.cache/wtgr) and promtool (Debian's
# prometheus package), which tests/test_deploy_files.py and tests/test_k8s_manifests.py run.
echo "== python -m devstack.deploy_tools"
"$PY" -m devstack.deploy_tools || exit 1

# pytest's paths: the testpaths of pyproject.toml that exist, plus devstack's own tests.
mapfile -t paths < <("$PY" - <<'PYTHON'
import os
import tomllib

with open("pyproject.toml", "rb") as handle:
    config = tomllib.load(handle)
paths = config.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("testpaths", [])
paths = [*paths, "devstack/tests"] if "devstack/tests" not in paths else paths
print("\n".join(p for p in paths if os.path.exists(p)))
PYTHON
)

# The servers' addresses, credentials and key files, as services and tests read them.
set -a
# shellcheck disable=SC1091
. .local/test/env
set +a

echo "== pytest ${paths[*]} $*"
"$PY" -m pytest "${paths[@]}" "$@"
test_status=$?
if [ "$test_status" -eq 5 ]; then
  echo "run-tests: FAILED: pytest collected no tests (exit 5) in: ${paths[*]}" >&2
fi

if [ "$test_status" -ne 0 ]; then
  echo "run-tests: pytest failed (exit $test_status)" >&2
  exit "$test_status"
fi
if [ "$lint_status" -ne 0 ]; then
  echo "run-tests: tests passed, but ruff/mypy did not (see above)" >&2
fi
exit "$lint_status"
