from datetime import date

from services.metrics.domain.deadlines import deadline, owed_month


def test_nothing_is_owed_until_the_expected_day_has_passed():
    assert owed_month(date(2026, 11, 15), expected_by_day=15) is None


def test_the_day_after_the_deadline_last_months_measure_is_owed():
    assert owed_month(date(2026, 11, 16), expected_by_day=15) == date(2026, 10, 1)


def test_in_january_decembers_measure_is_owed():
    assert owed_month(date(2027, 1, 20), expected_by_day=10) == date(2026, 12, 1)


def test_decembers_deadline_falls_in_january():
    assert deadline(date(2026, 12, 1), 10) == date(2027, 1, 10)
