from datetime import UTC, date, datetime, timedelta

import pytest

from services.training.domain.training import (
    BookingRefused,
    check_can_enrol,
    check_can_mark_attended,
    month_of,
    place_for,
    staff_trained_measure,
)

NOW = datetime(2026, 9, 15, 9, 0, tzinfo=UTC)


def test_a_learner_gets_a_place_while_places_remain_and_the_waitlist_after():
    assert [place_for(2, taken) for taken in range(4)] == ["enrolled", "enrolled", "waitlisted", "waitlisted"]


def test_nobody_books_a_session_that_has_started():
    check_can_enrol(NOW + timedelta(minutes=1), NOW)
    with pytest.raises(BookingRefused, match="already started"):
        check_can_enrol(NOW, NOW)


def test_attendance_is_marked_only_once_the_session_has_started():
    check_can_mark_attended(NOW, NOW, "enrolled")
    with pytest.raises(BookingRefused, match="once the session has started"):
        check_can_mark_attended(NOW + timedelta(hours=1), NOW, "enrolled")


def test_only_a_booked_learner_can_be_marked_attended():
    check_can_mark_attended(NOW, NOW, "waitlisted")
    with pytest.raises(BookingRefused, match="no booking"):
        check_can_mark_attended(NOW, NOW, None)


def test_a_session_counts_in_the_trusts_month_not_the_utc_month():
    late_on_31_march_utc = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 April
    assert month_of(late_on_31_march_utc) == date(2026, 4, 1)
    assert month_of(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(2026, 1, 1)  # GMT: still January


def test_the_staff_trained_measure_is_the_months_count_for_the_whole_trust():
    assert staff_trained_measure(date(2026, 4, 1), 7) == {
        "kpi_code": "STAFF_TRAINED_QI", "unit_code": "TRUST", "period": "2026-04", "value": 7.0,
        "source": "training-service"}
