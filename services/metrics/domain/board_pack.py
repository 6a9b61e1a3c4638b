"""Before the board pack: when each month's board pack is due, when the feeds still missing for it
are chased, and who is told of what (plain Python).

A month's board pack is due on the Nth working day (Monday to Friday, bank holidays of England
excepted) of the month after it, unless an admin set that month's date by hand. ``notice_days``
calendar days before the due date the missing feeds of the month are listed, once, to each data
source's owners and to the owners of each KPI missing a feed, with the feed rows that were
dead-lettered for each data source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from services.metrics.domain.signal_life import is_working_day
from shared.month import Month

DATA_SOURCE_OWNER, KPI_OWNER = "data_source_owner", "kpi_owner"


@dataclass(frozen=True)
class BoardPackRule:
    """The default date of a month's board pack (the ``working_day``-th working day of the month
    after) and how many days before it the missing feeds are chased."""

    working_day: int = 10
    notice_days: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.working_day <= 20:
            raise ValueError("the board pack's working day is the 1st to the 20th of the month")
        if not 0 <= self.notice_days <= 60:
            raise ValueError("the board pack's notice is 0 to 60 days")


def nth_working_day(month: Month, n: int) -> date:
    """The ``n``-th working day of ``month`` (n from 1)."""
    day, found = month.first_day, 0
    while True:
        if is_working_day(day):
            found += 1
            if found == n:
                return day
        day += timedelta(days=1)


def default_date(month: Month, rule: BoardPackRule) -> date:
    """The board pack of ``month`` by the rule: the Nth working day of the month after."""
    return nth_working_day(month.next(), rule.working_day)


@dataclass(frozen=True)
class BoardPack:
    """The board pack of a month: its date, whether an admin set it, and when its feeds are chased."""

    month: Month
    due_on: date
    overridden: bool
    chase_on: date


def board_pack(month: Month, rule: BoardPackRule, override: date | None = None) -> BoardPack:
    due = override or default_date(month, rule)
    return BoardPack(month, due, override is not None, due - timedelta(days=rule.notice_days))


def packs_to_chase(today: date, rule: BoardPackRule, overrides: Callable[[Month], date | None]) -> list[BoardPack]:
    """The board packs whose feeds are chased today: those of the two months before this one whose
    chase has begun and whose date has not passed (a month's pack falls in the month after it, or,
    moved by hand, a little later)."""
    this_month = Month.of(today)
    packs = (board_pack(month, rule, overrides(month)) for month in (this_month - 2, this_month.previous()))
    return [pack for pack in packs if pack.chase_on <= today <= pack.due_on]


@dataclass(frozen=True, order=True)
class MissingFeed:
    """A KPI and unit expected to report a month that has not."""

    kpi_code: str
    unit_code: str
    kpi_name: str = field(compare=False)
    unit_name: str = field(compare=False)
    data_source: str = field(compare=False)
    kpi_owners: tuple[str, ...] = field(compare=False, default=())
    source_owners: tuple[str, ...] = field(compare=False, default=())


@dataclass(frozen=True, order=True)
class DeadLetteredRow:
    """A feed's row that was dead-lettered, with why, as its data source's owners are told of it."""

    dead_lettered_at: str
    position: str  # the dead letter's partition and offset, unique
    data_source: str = field(compare=False)
    reason: str = field(compare=False)
    kpi_code: str | None = field(compare=False, default=None)
    unit_code: str | None = field(compare=False, default=None)
    period: str | None = field(compare=False, default=None)


@dataclass
class Notice:
    """What one person is told before a board pack: the feeds missing that concern them (as the
    owner of its data source, of its KPI, or both) and the dead-lettered rows of their data sources."""

    recipient: str
    relations: set[str] = field(default_factory=set)
    missing: list[MissingFeed] = field(default_factory=list)
    dead_lettered: list[DeadLetteredRow] = field(default_factory=list)


def notices(missing: Iterable[MissingFeed], dead_lettered: Iterable[DeadLetteredRow],
            source_owners: dict[str, tuple[str, ...]]) -> list[Notice]:
    """One notice per person (addresses compared without regard to case, the first spelling kept),
    by address: each missing feed listed once to its data source's owners and its KPI's owners, each
    dead-lettered row to its data source's owners; a person with nothing to hear of is left out."""
    by_person: dict[str, Notice] = {}

    def notice(address: str, relation: str) -> Notice:
        found = by_person.setdefault(address.strip().casefold(), Notice(address.strip()))
        found.relations.add(relation)
        return found

    for feed in sorted(set(missing)):
        told: set[str] = set()
        for relation, owners in ((DATA_SOURCE_OWNER, feed.source_owners), (KPI_OWNER, feed.kpi_owners)):
            for owner in owners:
                person = notice(owner, relation)
                if person.recipient.casefold() not in told:
                    person.missing.append(feed)
                    told.add(person.recipient.casefold())
    for row in sorted(set(dead_lettered)):
        for owner in source_owners.get(row.data_source, ()):
            notice(owner, DATA_SOURCE_OWNER).dead_lettered.append(row)
    return [by_person[key] for key in sorted(by_person)]
