"""A calendar month as a value: what every service means by a "period".

The platform measures, counts and reports by month. On the wire a month is always ``YYYY-MM``
(``str(month)``); in Postgres it is the month's first day (``month.first_day``, a ``date``
column). ``Month`` is the one place that turns one into the other and does month arithmetic,
so no service writes ``date(year, month + 1, 1)`` again.

Months are ordered, hashable and immutable; ``month + 3``, ``month - 1`` and ``later - earlier``
(a number of months) work as expected across years. Plain Python: no framework imports.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import overload

# The months the platform accepts: 1900-01 (the earliest a measure can name) to 2999-12.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
PATTERN = re.compile(r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$")
FORMAT = "YYYY-MM"


@dataclass(frozen=True, order=True)
class Month:
    """One calendar month; ``Month(2026, 3)`` is March 2026, written ``2026-03``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1 to 12, not {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1 to 9999, not {self.year}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """The month written ``YYYY-MM`` (1900-01 to 2999-12); ValueError for anything else."""
        if not isinstance(text, str) or not PATTERN.fullmatch(text):
            raise ValueError(f"must be a month as {FORMAT}, from {EARLIEST_YEAR}")
        year, month = text.split("-")
        return cls(int(year), int(month))

    @classmethod
    def of(cls, day: date | datetime) -> Month:
        """The month ``day`` falls in (a datetime's own calendar day: convert its zone first)."""
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> Month:
        """The inverse of ``index``."""
        year, month0 = divmod(index, 12)
        return cls(year, month0 + 1)

    @property
    def index(self) -> int:
        """Months since year 0: consecutive months have consecutive indexes."""
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> date:
        """The month's first day: how a month is stored."""
        return date(self.year, self.month, 1)

    def day(self, number: int) -> date:
        """The ``number``-th day of the month (ValueError past its end)."""
        return date(self.year, self.month, number)

    def next(self) -> Month:
        return self + 1

    def previous(self) -> Month:
        return self - 1

    def __add__(self, months: int) -> Month:
        if not isinstance(months, int):
            return NotImplemented
        return Month.from_index(self.index + months)

    __radd__ = __add__

    @overload
    def __sub__(self, other: int) -> Month: ...

    @overload
    def __sub__(self, other: Month) -> int: ...

    def __sub__(self, other: int | Month) -> Month | int:
        if isinstance(other, Month):
            return self.index - other.index
        if isinstance(other, int):
            return Month.from_index(self.index - other)
        return NotImplemented

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@functools.lru_cache(maxsize=4096)
def month_text(day: date) -> str:
    """``YYYY-MM`` of the month ``day`` falls in (a stored period, for instance); remembered, as a
    backfill's charts and events name the same few hundred months millions of times."""
    return str(Month.of(day))


def first_day_of(text: str) -> date:
    """The first day of the month written ``YYYY-MM``; ValueError for anything else."""
    return _first_day_of_text(text) if isinstance(text, str) else Month.parse(text).first_day


@functools.lru_cache(maxsize=4096)
def _first_day_of_text(text: str) -> date:
    return Month.parse(text).first_day
