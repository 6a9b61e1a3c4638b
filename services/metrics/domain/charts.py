"""Which chart a series gets when nobody chooses: a run chart while it is too short for process
limits, the XmR chart from then on.

One rule for the SPC calculator's ``chart_type: auto`` and for every chart the aggregator stores.
The threshold is where NHSRplotthedots 0.2.2 stops flagging a period with ``short_group_warning``
(13 points, although its text says 12): below it every limit would be a trial limit, and a run
chart (the median and the Anhøj rules, as in qicharts2) is the honest picture.
"""

from __future__ import annotations

from services.metrics.domain.runchart import RunChart
from services.metrics.domain.spc import SHORT_GROUP_THRESHOLD, SpcChart

XMR, RUN = "xmr", "run"
CHART_TYPES = (XMR, RUN)
MIN_POINTS_FOR_XMR = SHORT_GROUP_THRESHOLD

Chart = SpcChart | RunChart


def auto_chart_type(n_points: int) -> str:
    """``run`` for a series of fewer than 13 points, else ``xmr``."""
    return RUN if n_points < MIN_POINTS_FOR_XMR else XMR


def chart_type_of(chart: Chart) -> str:
    return XMR if isinstance(chart, SpcChart) else RUN
