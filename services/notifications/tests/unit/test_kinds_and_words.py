"""Defaults, digest slots and the words figures are written in."""

from datetime import UTC, datetime

import pytest

from services.notifications.domain import kinds, words


def test_alerts_come_at_once_and_routine_updates_weekly_unless_the_person_chose_otherwise():
    assert kinds.cadence({}, "kpi_alert", "email") == "immediately"
    assert kinds.cadence({}, "kpi_update", "email") == "weekly"
    assert kinds.cadence({}, "following", "email") == "weekly"
    assert kinds.cadence({("kpi_update", "email"): "daily"}, "kpi_update", "email") == "daily"
    assert kinds.cadence({}, "kpi_update", "in_app") == "immediately"


def test_the_weekly_slot_is_the_latest_monday_morning_and_the_daily_one_this_or_yesterdays_morning():
    wednesday = datetime(2026, 9, 16, 12, 0, tzinfo=UTC)
    assert kinds.latest_slot("weekly", wednesday, 7, 0) == datetime(2026, 9, 14, 7, 0, tzinfo=UTC)
    assert kinds.latest_slot("daily", wednesday, 7, 0) == datetime(2026, 9, 16, 7, 0, tzinfo=UTC)
    early_monday = datetime(2026, 9, 14, 6, 0, tzinfo=UTC)
    assert kinds.latest_slot("weekly", early_monday, 7, 0) == datetime(2026, 9, 7, 7, 0, tzinfo=UTC)
    assert kinds.latest_slot("daily", early_monday, 7, 0) == datetime(2026, 9, 13, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("value, unit, written", [
    (4.6, "days", "4.6 days"), (1, "days", "1 day"), (87.5, "percent", "87.5%"), (12, "count", "12"),
    (1200, "currency_gbp", "£1,200"), (17.56, "rate_per_1000_bed_days", "17.56 per 1,000 bed days"),
    (4.125, "minutes", "4.12 minutes"), (3.0, "score", "3"),
])
def test_figures_are_written_with_their_units(value, unit, written):
    assert words.quantity(value, unit) == written


def test_months_are_written_by_name():
    assert words.month("2026-09") == "September 2026"


@pytest.mark.parametrize("label, written", [
    ("Above UCL", "a month above the upper process limit"),
    ("7 Point Trend (Increasing)", "seven months in a row rising"),
    ("2 in 3 Below CL", "two of three months close to the lower process limit"),
    ("7 Points Above CL", "seven months in a row above the mean"),
])
def test_rules_are_written_in_words(label, written):
    assert words.rule(label) == written


def test_a_person_is_their_email_address_in_lower_case_and_a_sign_in_without_one_is_refused():
    from services.notifications.service_layer.people import person_of
    from shared.errors import Forbidden

    assert person_of(" Pat.Jones@Trust.example ") == "pat.jones@trust.example"
    with pytest.raises(Forbidden):
        person_of(None)
