"""Dashboard load: the KPI summary matrix of a unit with 50 KPIs against /healthz, same gunicorn.

Both endpoints are loaded the same way (the same number of keep-alive clients for the same time),
so the ratio of their requests per second says what the matrix costs.
"""

from __future__ import annotations

import threading
import time

import requests

from bench.common import admin_headers, create, months, percentile, service_url, tag

KPIS = 50
MONTHS = 24


def run(seconds: float, clients: int) -> str:
    return measure(seconds, clients)[0]


def measure(seconds: float, clients: int) -> tuple[str, float]:
    """The figure's line, and the ratio of the matrix's req/s to /healthz's."""
    unit = _unit_with_50_kpis()
    base = service_url("metrics")
    matrix = load(f"{base}/api/v1/dashboards/units/{unit}/kpis?page_size={KPIS}", seconds, clients)
    health = load(f"{base}/healthz", seconds, clients)
    ratio = matrix["rps"] / health["rps"]
    return (f"dashboard: summary matrix of a unit with {KPIS} KPIs x {MONTHS} months, {clients} clients for "
            f"{seconds:.0f} s: p50 {matrix['p50'] * 1000:.1f} ms, p99 {matrix['p99'] * 1000:.1f} ms, "
            f"{matrix['rps']:,.0f} req/s vs /healthz {health['rps']:,.0f} req/s (p50 {health['p50'] * 1000:.1f} ms)"
            f" -> ratio {ratio:.2f} (goal >= 0.5)"), ratio


def _unit_with_50_kpis() -> str:
    run_tag = tag()
    unit = f"DU-{run_tag}"
    create("/api/v1/units", {"code": unit, "name": "Dashboard bench ward", "level": "ward"})
    session = requests.Session()
    headers = admin_headers()
    for k in range(KPIS):
        kpi = f"DK{k}-{run_tag}"
        create("/api/v1/kpis", {"code": kpi, "name": f"Bench KPI {k}", "unit_of_measure": "percent",
                                "improvement_direction": "increase"})
        for i, month in enumerate(months(MONTHS)):
            response = session.post(f"{service_url('metrics')}/api/v1/measures", headers=headers, timeout=30, json={
                "kpi_code": kpi, "unit_code": unit, "period": month, "value": 80 + (i * 7 + k) % 9,
                "source": "bench"})
            response.raise_for_status()
    return unit


def load(url: str, seconds: float, clients: int, headers: dict[str, str] | None = None) -> dict[str, float]:
    """``clients`` keep-alive clients GET ``url`` for ``seconds``: requests/s, p50 and p99 (seconds)."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    errors: list[str] = []

    reader = admin_headers()  # the dashboards are read by signed-in users

    def client() -> None:
        session, mine = requests.Session(), []
        session.headers.update(reader)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = session.get(url, timeout=30, headers=headers)
            mine.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.text[:200]}")
                break
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"bench: {url} failed: {errors[0]}")
    elapsed = time.monotonic() - began
    return {"rps": len(latencies) / elapsed, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}
