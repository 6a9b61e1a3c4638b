"""How figures read on a page: numbers rounded for people, units of measure in words, times in UK form."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TRUST_TIME = ZoneInfo("Europe/London")  # the clock every page shows times on (GMT in winter, BST in summer)

UNITS_OF_MEASURE = {
    "rate_per_1000_bed_days": "per 1,000 bed days",
    "percent": "%",
    "count": "",
}


def number(value: float | int | None, places: int = 2) -> str:
    """1234.5678 -> "1,234.57", 4.0 -> "4", None -> "–"."""
    if value is None:
        return "–"
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fixed(value: float | int | None, places: int = 2) -> str:
    """Limits and means to a fixed number of places, so a column's figures line up: 6.2 -> "6.20"."""
    return "–" if value is None else f"{value:,.{places}f}"


def measure(unit_of_measure: str | None) -> str:
    if not unit_of_measure:
        return ""
    return UNITS_OF_MEASURE.get(unit_of_measure, unit_of_measure.replace("_", " "))


def when(iso: str | None) -> str:
    """An ISO 8601 time on the trust's clock: "2027-07-16T08:30:00+00:00" -> "Friday 16 July 2027, 09:30"
    (the services answer in UTC; people read UK time)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).astimezone(TRUST_TIME)
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M}"


def month_name(period: str | None) -> str:
    """ "2026-11" -> "November 2026"; text that is not a month is shown as it is."""
    try:
        return f"{datetime.strptime(period or '', '%Y-%m'):%B %Y}"
    except ValueError:
        return period or "–"


def day(iso: str | None) -> str:
    """An ISO date as "Monday 14 December 2026"."""
    if not iso:
        return "–"
    found = date.fromisoformat(iso[:10])
    return f"{found:%A} {found.day} {found:%B %Y}"


FILTERS = {"number": number, "fixed": fixed, "measure": measure, "when": when, "month_name": month_name, "day": day}
