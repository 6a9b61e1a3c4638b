"""Run charts with the Anhøj rules, as the qicharts2 R package (0.8.x) defines them.

For series too short for process limits. The centre line is the median; points on
the median are not "useful" and are left out of the runs analysis. Over the
``n_useful`` remaining points:

* an unusually long run: the longest run on one side of the median is longer than
  ``round(log2(n_useful)) + 3`` (Schilling);
* unusually few crossings: the median is crossed fewer times than the lower 5%
  quantile of Binomial(n_useful - 1, 0.5) (Chen).

Names follow qicharts2's summary columns (``n.useful`` becomes ``n_useful``).

As qicharts2's ``qic(chart = "run", freeze = , cl = )``: ``freeze`` takes the median of the first
``freeze`` points only (a baseline; a freeze past the last point takes them all), and ``cl`` is a
centre line known in advance, used as it is (even with ``freeze``). Either way the runs analysis
covers every point, against that centre line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from itertools import groupby
from typing import Any

from services.metrics.domain.spc import SpcInputRefused, r_mean

CROSSINGS_QUANTILE = 0.05


@dataclass(frozen=True)
class RunChart:
    """The runs analysis of one series. Counts are None when no point is off the median."""

    values: tuple[float, ...]
    cl: float
    n_obs: int
    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    runs_signal: bool
    freeze: int | None = None  # the median is of the first ``freeze`` points
    cl_given: bool = False  # the centre line was given, not computed

    @property
    def median(self) -> float:
        return self.cl

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "values": list(self.values)}


def run_chart(values: Sequence[float], *, freeze: int | None = None, cl: float | None = None) -> RunChart:
    ys = tuple(float(value) for value in values)
    if not ys:
        raise SpcInputRefused("values", "a run chart needs at least one value")
    if not all(math.isfinite(y) for y in ys):
        raise SpcInputRefused("values", "every value must be a finite number")
    if freeze is not None and freeze < 1:
        raise SpcInputRefused("freeze", "the baseline needs at least one point")
    if cl is not None and not math.isfinite(cl):
        raise SpcInputRefused("cl", "the centre line must be a finite number")
    centre = float(cl) if cl is not None else r_median(ys[:freeze])
    sides = useful_sides(ys, centre)
    if not sides:
        return RunChart(ys, centre, len(ys), 0, None, None, None, None, False, freeze, cl is not None)
    longest, longest_max = longest_run(sides), longest_run_limit(len(sides))
    crossings, crossings_min = n_crossings(sides), crossings_limit(len(sides))
    return RunChart(
        values=ys,
        cl=centre,
        n_obs=len(ys),
        n_useful=len(sides),
        longest_run=longest,
        longest_run_max=longest_max,
        n_crossings=crossings,
        n_crossings_min=crossings_min,
        runs_signal=longest > longest_max or crossings < crossings_min,
        freeze=freeze,
        cl_given=cl is not None,
    )


def r_median(ys: Sequence[float]) -> float:
    ordered = sorted(ys)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return r_mean(ordered[middle - 1 : middle + 1])


def useful_sides(ys: Sequence[float], centre: float) -> list[int]:
    """+1 / -1 for each point above / below the median; points on it are dropped."""
    return [1 if y > centre else -1 for y in ys if y != centre]


def run_lengths(sides: Sequence[int]) -> list[int]:
    return [len(list(run)) for _, run in groupby(sides)]


def longest_run(sides: Sequence[int]) -> int:
    return max(run_lengths(sides))


def n_crossings(sides: Sequence[int]) -> int:
    return len(run_lengths(sides)) - 1


def longest_run_limit(n_useful: int) -> int:
    # Python's round() rounds half to even, as R's does.
    return round(math.log2(n_useful)) + 3


def crossings_limit(n_useful: int) -> int:
    return binomial_lower_quantile(CROSSINGS_QUANTILE, n_useful - 1)


def binomial_lower_quantile(probability: float, trials: int) -> int:
    """Smallest k with P(X <= k) >= probability for X ~ Binomial(trials, 1/2), exactly
    (R's qbinom(probability, trials, 0.5))."""
    share = Fraction(str(probability))
    outcomes = share.numerator * 2**trials
    cumulative = 0
    for k in range(trials + 1):
        cumulative += math.comb(trials, k)
        if cumulative * share.denominator >= outcomes:
            return k
    return trials
