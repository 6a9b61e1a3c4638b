import re
from datetime import UTC, date, datetime, timedelta

import pytest

from services.training.domain.training import (
    BookingRefused,
    NotYours,
    SessionRefused,
    check_booking_for,
    check_can_cancel,
    check_can_enrol,
    check_can_mark_attended,
    check_prerequisite,
    check_session_time,
    month_of,
    new_certificate_code,
    place_for,
    reminders_due,
    rises,
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


def test_only_a_learner_with_a_confirmed_place_can_be_marked_attended():
    check_can_mark_attended(NOW, NOW, "enrolled")
    with pytest.raises(BookingRefused, match="no booking"):
        check_can_mark_attended(NOW, NOW, None)
    with pytest.raises(BookingRefused, match="no booking"):
        check_can_mark_attended(NOW, NOW, "cancelled")


def test_a_learner_on_the_waitlist_never_attended():
    with pytest.raises(BookingRefused, match="not one on the waitlist"):
        check_can_mark_attended(NOW, NOW, "waitlisted")


def test_a_session_is_scheduled_only_in_the_future():
    check_session_time(NOW + timedelta(minutes=1), NOW)
    with pytest.raises(SessionRefused) as refused:
        check_session_time(NOW - timedelta(days=365 * 6), NOW)
    assert refused.value.errors == {"starts_at": ["is in the past"]}


def test_only_trainers_and_admins_book_for_someone_else():
    check_booking_for("sam", "sam", caller_may_book_for_others=False)
    check_booking_for("tara", "sam", caller_may_book_for_others=True)
    with pytest.raises(NotYours):
        check_booking_for("sam", "pat", caller_may_book_for_others=False)


def test_a_booking_is_cancelled_only_before_the_session_starts():
    check_can_cancel(NOW + timedelta(hours=1), NOW, "waitlisted")
    with pytest.raises(BookingRefused, match="has started"):
        check_can_cancel(NOW, NOW, "enrolled")
    with pytest.raises(BookingRefused, match="no booking"):
        check_can_cancel(NOW + timedelta(hours=1), NOW, "cancelled")


def test_a_prerequisite_must_be_completed_first():
    check_prerequisite(None, [])
    check_prerequisite("QI-101", ["QI-101"])
    with pytest.raises(BookingRefused, match="QI-101"):
        check_prerequisite("QI-101", ["QI-999"])


@pytest.mark.parametrize(("before", "due"), [
    (timedelta(days=8), []), (timedelta(days=7), ["7d"]), (timedelta(days=3), ["7d"]),
    (timedelta(hours=24), ["1d"]), (timedelta(minutes=5), ["1d"]), (timedelta(0), []), (-timedelta(hours=1), []),
])
def test_reminders_fall_due_7_days_and_then_1_day_before(before, due):
    assert reminders_due(NOW + before, NOW) == due


def test_certificate_codes_are_three_groups_of_four_unambiguous_characters():
    codes = {new_certificate_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code) for code in codes)


def test_a_persons_qi_level_rises_only_with_a_higher_rank():
    assert rises(None, 1) and rises(1, 2)
    assert not rises(2, 2) and not rises(3, 1)


def test_a_session_counts_in_the_trusts_month_not_the_utc_month():
    late_on_31_march_utc = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 April
    assert month_of(late_on_31_march_utc) == date(2026, 4, 1)
    assert month_of(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(2026, 1, 1)  # GMT: still January


def test_the_staff_trained_measure_is_a_months_count_at_a_unit():
    assert staff_trained_measure(date(2026, 4, 1), "DIR-ELDER", 7) == {
        "kpi_code": "STAFF_TRAINED_QI", "unit_code": "DIR-ELDER", "period": "2026-04", "value": 7.0,
        "source": "training-service"}
