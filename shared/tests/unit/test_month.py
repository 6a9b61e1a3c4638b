"""The Month value type: text, first days, arithmetic and order, checked by example and by property."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from shared.fields import MonthField
from shared.month import Month, first_day_of, month_text

months = st.builds(Month, st.integers(1900, 2999), st.integers(1, 12))
steps = st.integers(-2000, 2000)


def test_a_month_is_written_year_dash_two_digit_month():
    assert str(Month(2026, 3)) == "2026-03"
    assert f"{Month(987 + 1000, 11)}" == "1987-11"


def test_text_that_is_not_a_month_from_1900_is_refused():
    for text in ("2026-13", "2026-00", "2026-3", "Sep 2026", "2026-03-01", "1899-12", "3000-01", "", " 2026-03"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            Month.parse(text)


def test_the_month_before_january_is_last_december_and_after_december_next_january():
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2025, 12).next() == Month(2026, 1)


def test_a_stored_period_is_the_first_day_of_its_month():
    assert Month(2026, 3).first_day == date(2026, 3, 1)
    assert first_day_of("2026-03") == date(2026, 3, 1)
    assert month_text(date(2026, 3, 31)) == "2026-03"
    assert Month.of(datetime(2026, 3, 31, 23, 59)) == Month(2026, 3)


def test_the_fifteenth_day_of_a_month():
    assert Month(2027, 1).day(15) == date(2027, 1, 15)


def test_an_impossible_month_cannot_be_made():
    with pytest.raises(ValueError):
        Month(2026, 13)


@given(months)
def test_writing_then_reading_a_month_gives_it_back(month):
    assert Month.parse(str(month)) == month


@given(months, steps)
def test_adding_months_then_taking_them_away_gives_the_month_back(month, n):
    assert (month + n) - n == month
    assert (month + n) - month == n


@given(months, steps)
def test_months_are_ordered_as_their_first_days(month, n):
    later = month + n
    assert (month < later) == (month.first_day < later.first_day)
    assert (month < later) == (n > 0)


@given(months)
def test_the_next_month_starts_the_day_after_this_one_ends(month):
    from datetime import timedelta

    assert month.next().first_day - timedelta(days=1) < month.next().first_day
    assert Month.of(month.next().first_day - timedelta(days=1)) == month


@given(months)
def test_the_text_sorts_as_the_months_do(month):
    assert (str(month) < str(month.next())) and month < month.next()


class Body(Schema):
    period = MonthField(required=True)


def test_the_month_field_loads_a_month_and_dumps_text_from_a_month_a_date_or_text():
    assert Body().load({"period": "2026-03"}) == {"period": Month(2026, 3)}
    assert Body().dump({"period": Month(2026, 3)}) == {"period": "2026-03"}
    assert Body().dump({"period": date(2026, 3, 1)}) == {"period": "2026-03"}
    assert Body().dump({"period": "2026-03"}) == {"period": "2026-03"}


def test_the_month_field_refuses_a_day_with_a_clear_message():
    with pytest.raises(ValidationError) as refused:
        Body().load({"period": "2026-03-01"})
    assert refused.value.messages == {"period": ["must be a month as YYYY-MM, from 1900"]}


class Event(Schema):
    period = MonthField(required=True, loads_text=True)


def test_an_events_month_is_checked_but_read_as_the_text_sent():
    assert Event().load({"period": "2026-03"}) == {"period": "2026-03"}
    with pytest.raises(ValidationError):
        Event().load({"period": "2026-3"})
