"""THE allow-list: every operation any service answers without a token, and why. Nothing else is
public (docs/security.md). The probe suite (tests/security) proves every other operation of every
OpenAPI document refuses a caller without a token."""

PUBLIC_OPERATIONS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness probe for the supervisor; says only that the process answers",
    ("GET", "/readyz"): "readiness probe for the load balancer; names the failing dependency, no data",
    ("GET", "/metrics"): "Prometheus scrape (counters and timings by route template, no personal data); "
                         "keep the port off the public network",
    ("GET", "/openapi.json"): "the API contract, the same for every caller",
    ("GET", "/docs"): "the browsable page over /openapi.json (and its static files under /docs-static/)",
}

# metrics' operations that still answer anonymous callers until default-deny (shared/web.py) is
# merged: their anonymous-refusal tests are xfail(strict=True). Empty this set on that merge.
ANONYMOUS_UNTIL_DEFAULT_DENY: set[tuple[str, str]] = {
    ("GET", "/api/v1/dashboards/kpis"),
    ("GET", "/api/v1/dashboards/units/{unit_code}/kpis"),
    ("GET", "/api/v1/kpis"),
    ("GET", "/api/v1/kpis/{code}"),
    ("GET", "/api/v1/kpis/{code}/history"),
    ("GET", "/api/v1/kpis/{code}/targets"),
    ("GET", "/api/v1/kpis/{kpi_code}/units/{unit_code}/chart"),
    ("GET", "/api/v1/kpis/{kpi_code}/units/{unit_code}/chart.csv"),
    ("GET", "/api/v1/kpis/{kpi_code}/units/{unit_code}/chart.svg"),
    ("GET", "/api/v1/kpis/{kpi_code}/units/{unit_code}/measures"),
    ("GET", "/api/v1/kpis/{kpi_code}/units/{unit_code}/measures/{period}/revisions"),
    ("GET", "/api/v1/units"),
    ("GET", "/api/v1/units/{code}/history"),
    ("GET", "/api/v1/units/{code}/placements"),
    ("POST", "/api/v1/spc"),
    ("POST", "/api/v1/spc.svg"),
}
