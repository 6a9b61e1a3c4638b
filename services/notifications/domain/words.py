"""Figures, units and months written for people ("4.6 days", "September 2026"), never raw codes."""

from __future__ import annotations

from shared.month import Month

UNIT_WORDS = {
    "days": ("day", "days"),
    "minutes": ("minute", "minutes"),
    "count": ("", ""),
    "rate_per_1000_bed_days": ("per 1,000 bed days", "per 1,000 bed days"),
    "rate_per_1000": ("per 1,000", "per 1,000"),
    "ratio": ("", ""),
    "score": ("", ""),
}


def figure(value: float) -> str:
    """A number as a person writes it: at most two decimals, thousands separated, no trailing zeros."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def quantity(value: float, unit_of_measure: str) -> str:
    """``4.6`` in ``days`` is "4.6 days", in ``percent`` "87.5%", in ``currency_gbp`` "£1,200"."""
    if unit_of_measure == "percent":
        return f"{figure(value)}%"
    if unit_of_measure == "currency_gbp":
        return f"-£{figure(-value)}" if value < 0 else f"£{figure(value)}"
    one, many = UNIT_WORDS.get(unit_of_measure, (unit_of_measure.replace("_", " "),) * 2)
    words = one if value == 1 else many
    return f"{figure(value)} {words}" if words else figure(value)


def month(period: str) -> str:
    """``2026-09`` is "September 2026"."""
    parsed = Month.parse(period)
    return f"{MONTH_NAMES[parsed.month - 1]} {parsed.year}"


def month_as_sent(period: str | None) -> str:
    """A month a feed sent, in words when it is one ("November 2026"), else as it was sent (quoted)."""
    if not period:
        return "no month"
    try:
        return month(period)
    except ValueError:
        return f'"{period}"'


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")

def rule(special_cause_type: str) -> str:
    """The Making Data Count rule (as the metrics service labels it) in words."""
    label = special_cause_type
    if label == "Above UCL":
        return "a month above the upper process limit"
    if label == "Below LCL":
        return "a month below the lower process limit"
    if label.startswith("7 Point Trend"):
        return "seven months in a row " + ("rising" if "Increasing" in label else "falling")
    if label.startswith("2 in 3"):
        return "two of three months close to the " + ("upper" if "Above" in label else "lower") + " process limit"
    if label.startswith("7 Points"):
        return "seven months in a row " + ("above" if "Above" in label else "below") + " the mean"
    return label
