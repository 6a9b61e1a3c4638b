"""The SPC calculator: any series in, its Making Data Count chart out (as JSON or SVG).

Open to every analyst without a token, like NHS England's Excel tool; it stores nothing. A series
the SPC domain refuses is answered by the shared error map, naming the field the refusal names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Response

from services.metrics.adapters.svg import render_svg
from services.metrics.domain.charts import MIN_POINTS_FOR_XMR, RUN, Chart, auto_chart_type, chart_type_of
from services.metrics.domain.runchart import RunChart, run_chart
from services.metrics.domain.spc import SpcChart, xmr_chart
from services.metrics.entrypoints.spc_schemas import (
    SpcRequest,
    SpcRequestSchema,
    SpcResultSchema,
    SpcSvgRequestSchema,
)
from shared.web import Blueprint, public

OPEN_CALCULATOR = "a calculator over the numbers sent: it reads and stores nothing, like NHS England's Excel tool"

spc_api = Blueprint("spc_api", __name__, url_prefix="/api/v1",
                    description="SPC calculator: XmR and run charts of any series (stores nothing)")

XMR_ONLY_OPTIONS = ("rebase_at", "target", "fix_after_n_points")
RUN_ONLY_OPTIONS = ("freeze", "cl")


@dataclass(frozen=True)
class Drawing:
    """The chart drawn for a request, and anything the caller should know about it."""

    chart: Chart
    notes: list[str] = field(default_factory=list)

    @property
    def chart_type(self) -> str:
        return chart_type_of(self.chart)


@spc_api.route("/spc", methods=["POST"])
@public(OPEN_CALCULATOR)
@spc_api.arguments(SpcRequestSchema)
@spc_api.response(200, SpcResultSchema)
def spc(request: SpcRequest) -> Any:
    """The XmR (or run) chart of a series, with the package's names for every column.

    With `chart_type: auto` the answer is a run chart when the series has fewer than 13
    points, else an XmR chart, the rule every stored KPI chart follows. 13 is where
    NHSRplotthedots 0.2.2 stops flagging a period with `short_group_warning` ("Some groups
    have 'n < 12' observations. These have trial limits..."; its count is `n < 13` although
    the text says 12): below it every limit would be a trial limit, and a run chart (median,
    Anhøj rules) is the honest picture.
    A run chart has no periods, targets or fixed limits: those options are then reported
    in `notes` and not used. A run chart takes qicharts2 0.8.1's `freeze` (the median of the
    first n points) and `cl` (a centre line given, used even with `freeze`); the runs analysis
    covers every point. An XmR chart reports those two in `notes` and does not use them.
    """
    return _body(draw(request), request.dates)


@spc_api.route("/spc.svg", methods=["POST"])
@public(OPEN_CALCULATOR)
@spc_api.arguments(SpcSvgRequestSchema)
@spc_api.response(200, {"type": "string"}, content_type="image/svg+xml",
                  description="The chart as a standalone, accessible SVG image.")
def spc_svg(request: SpcRequest) -> Response:
    """The same chart as `POST /api/v1/spc`, drawn as an SVG image (optional title, width, height)."""
    svg = render_svg(draw(request).chart, title=request.title, dates=request.dates, width=request.width,
                     height=request.height)
    return Response(svg, mimetype="image/svg+xml")


def draw(request: SpcRequest) -> Drawing:
    if request.chart_type == "run":
        return Drawing(_run_chart(request), _unused_options(request))
    if request.chart_type == "auto" and auto_chart_type(len(request.values)) == RUN:
        reason = (f"auto drew a run chart: {len(request.values)} values are fewer than the "
                  f"{MIN_POINTS_FOR_XMR} an XmR chart needs for more than trial limits")
        return Drawing(_run_chart(request), [reason, *_unused_options(request)])
    given = {"freeze": request.freeze is not None, "cl": request.cl is not None}
    return Drawing(xmr_chart(request.values, request.options),
                   [f"{name} applies to a run chart only and was not used" for name in RUN_ONLY_OPTIONS if given[name]])


def _run_chart(request: SpcRequest) -> RunChart:
    return run_chart(request.values, freeze=request.freeze, cl=request.cl)


def _unused_options(request: SpcRequest) -> list[str]:
    options = request.options
    given = {"rebase_at": bool(options.rebase_at), "target": options.target is not None,
             "fix_after_n_points": options.fix_after_n_points is not None}
    return [f"{name} does not apply to a run chart and was not used" for name in XMR_ONLY_OPTIONS if given[name]]


def _body(drawing: Drawing, dates: list[str] | None) -> dict[str, Any]:
    return {
        "chart_type": drawing.chart_type,
        "dates": dates,
        "notes": drawing.notes,
        "xmr": _xmr_body(drawing.chart, dates) if isinstance(drawing.chart, SpcChart) else None,
        "run": drawing.chart.to_dict() if isinstance(drawing.chart, RunChart) else None,
    }


def _xmr_body(chart: SpcChart, dates: list[str] | None) -> dict[str, Any]:
    body = chart.to_dict()
    for row in body["points"]:
        row["date"] = dates[row["x"]] if dates else None
    for row in body["periods"]:
        row["start_date"] = dates[row["start"]] if dates else None
    return body
