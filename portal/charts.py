"""A stored chart of metrics as the portal shows it: the SVG metrics draws, inlined, and the data as
a table (``templates/macros/charts.html``), on a KPI's chart page and a project's measures alike."""

from __future__ import annotations

from typing import Any

from portal.backend import backend


def chart_of(kpi_code: str, unit_code: str) -> tuple[dict[str, Any], str]:
    """metrics' chart of a KPI and unit (its points, annotations and rebases) and the same drawn as SVG."""
    path = f"/api/v1/kpis/{kpi_code}/units/{unit_code}"
    return backend().get("metrics", path + "/chart"), backend().call("GET", "metrics", path + "/chart.svg").text


def table_rows(found: dict[str, Any], marks: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
    """The chart's data as table rows, newest month first (provisional months, not yet judged, at the
    top), each with the notes on its month and the
    page's own ``marks`` by month (a project's PDSA cycles started then, say)."""
    notes: dict[str, list[str]] = {}
    for note in found.get("annotations") or []:
        notes.setdefault(note["period"], []).append(note["text"])
    if found.get("chart"):
        rows = [{"period": p["period"], "value": p["y"], "centre": p["mean_col"], "lower": p["lpl"],
                 "upper": p["upl"], "point_type": p["point_type"], "target": p.get("target")}
                for p in found["chart"]["points"]]
    else:
        run = found["run_chart"]
        rows = [{"period": month, "value": value, "centre": run["cl"], "lower": None, "upper": None,
                 "point_type": None, "target": None}
                for month, value in zip(run["periods_of_points"], run["values"], strict=True)]
    for month in found.get("provisional") or []:
        rows.append({"period": month["period"], "value": month["value"], "centre": None, "lower": None,
                     "upper": None, "point_type": None, "target": None, "provisional": month})
    for row in rows:
        row["notes"] = notes.get(row["period"], [])
        row["marks"] = (marks or {}).get(row["period"], [])
    return list(reversed(rows))
