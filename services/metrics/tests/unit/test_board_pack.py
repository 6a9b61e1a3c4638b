"""The board pack's dates and who hears of which missing feeds before it (no I/O)."""

from __future__ import annotations

from datetime import date

import pytest

from services.metrics.domain.board_pack import (
    DATA_SOURCE_OWNER,
    KPI_OWNER,
    BoardPackRule,
    DeadLetteredRow,
    MissingFeed,
    board_pack,
    default_date,
    notices,
    nth_working_day,
    packs_to_chase,
)
from shared.month import Month

RULE = BoardPackRule(working_day=10, notice_days=5)


def test_the_nth_working_day_skips_weekends_and_englands_bank_holidays():
    assert nth_working_day(Month.parse("2026-12"), 1) == date(2026, 12, 1)  # a Tuesday
    assert nth_working_day(Month.parse("2027-01"), 1) == date(2027, 1, 4)  # 1 January a bank holiday, then a weekend
    assert nth_working_day(Month.parse("2026-05"), 3) == date(2026, 5, 6)  # 4 May is the early May bank holiday


def test_a_months_board_pack_is_due_on_the_nth_working_day_of_the_month_after():
    assert default_date(Month.parse("2026-11"), RULE) == date(2026, 12, 14)
    assert default_date(Month.parse("2026-12"), BoardPackRule(working_day=1)) == date(2027, 1, 4)


def test_an_admins_date_overrides_the_rule_and_the_chase_starts_notice_days_before():
    pack = board_pack(Month.parse("2026-11"), RULE, override=date(2026, 12, 18))
    assert (pack.due_on, pack.overridden, pack.chase_on) == (date(2026, 12, 18), True, date(2026, 12, 13))
    assert board_pack(Month.parse("2026-11"), RULE).overridden is False


@pytest.mark.parametrize(("today", "chased"), [
    (date(2026, 12, 8), []),  # before the chase
    (date(2026, 12, 9), ["2026-11"]),  # the chase begins five days before the 14th
    (date(2026, 12, 14), ["2026-11"]),  # the day of the board pack
    (date(2026, 12, 15), []),  # too late: the pack is out
])
def test_the_feeds_are_chased_between_the_notice_and_the_board_pack(today, chased):
    assert [str(pack.month) for pack in packs_to_chase(today, RULE, lambda month: None)] == chased


def test_a_board_pack_moved_into_the_month_after_next_is_still_chased():
    moved = {Month.parse("2026-10"): date(2026, 12, 2)}
    packs = packs_to_chase(date(2026, 12, 1), RULE, moved.get)
    assert [str(pack.month) for pack in packs] == ["2026-10"]


def test_a_rule_outside_its_bounds_is_refused():
    with pytest.raises(ValueError):
        BoardPackRule(working_day=0)
    with pytest.raises(ValueError):
        BoardPackRule(notice_days=-1)


def _feed(kpi, unit, source="PAS", kpi_owners=(), source_owners=()):
    return MissingFeed(kpi, unit, f"{kpi} name", f"{unit} name", source, tuple(kpi_owners), tuple(source_owners))


def test_each_person_hears_once_of_every_missing_feed_that_concerns_them():
    feeds = [_feed("ALOS", "WARD-7", kpi_owners=["alice@x"], source_owners=["pas.owner@x"]),
             _feed("ALOS", "WARD-9", kpi_owners=["alice@x"], source_owners=["pas.owner@x"]),
             _feed("FALLS", "WARD-7", source="Datix", kpi_owners=["Pas.Owner@x"], source_owners=["datix@x"])]
    told = {notice.recipient.casefold(): notice for notice in notices(feeds, [], {})}
    assert sorted(told) == ["alice@x", "datix@x", "pas.owner@x"]
    assert [(f.kpi_code, f.unit_code) for f in told["alice@x"].missing] == [("ALOS", "WARD-7"), ("ALOS", "WARD-9")]
    assert told["alice@x"].relations == {KPI_OWNER}
    owner = told["pas.owner@x"]
    assert [(f.kpi_code, f.unit_code) for f in owner.missing] == [("ALOS", "WARD-7"), ("ALOS", "WARD-9"),
                                                                  ("FALLS", "WARD-7")]
    assert owner.relations == {DATA_SOURCE_OWNER, KPI_OWNER}


def test_a_feed_owned_twice_by_the_same_person_is_listed_once():
    [notice] = notices([_feed("ALOS", "WARD-7", kpi_owners=["a@x"], source_owners=["A@x"])] * 2, [], {})
    assert len(notice.missing) == 1


def test_dead_lettered_rows_go_to_their_data_sources_owners_oldest_first():
    rows = [DeadLetteredRow("2026-12-02T10:00:00", "0@8", "PAS", "rejected: unknown unit NOPE", "ALOS", "NOPE"),
            DeadLetteredRow("2026-12-01T10:00:00", "0@7", "PAS", "invalid payload: value", "ALOS", "WARD-7"),
            DeadLetteredRow("2026-12-01T11:00:00", "1@3", "Datix", "rejected: unknown KPI")]
    told = notices([], rows, {"PAS": ("pas.owner@x",)})
    [owner] = told
    assert owner.recipient == "pas.owner@x" and owner.missing == []
    assert [row.position for row in owner.dead_lettered] == ["0@7", "0@8"]


def test_nobody_is_told_when_nothing_is_missing():
    assert notices([_feed("ALOS", "WARD-7")], [], {}) == []
