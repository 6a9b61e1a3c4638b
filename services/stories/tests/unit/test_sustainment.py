"""Whether a story's improvement held since its project completed (no I/O)."""

from __future__ import annotations

from datetime import date

from services.stories.domain.sustainment import earlier_slip, sustainment

MONTHS = ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]


def test_an_improvement_with_no_signal_of_concern_is_sustained_for_the_months_charted_since_completion():
    held = sustainment(date(2026, 3, 20), MONTHS)
    assert (held.sustained, held.months, held.slipped_in) == (True, 4, None)  # April to July: not March itself


def test_an_improvement_that_slipped_counts_the_months_it_held_and_names_the_month():
    slipped = sustainment(date(2026, 3, 20), MONTHS, slipped_in="2026-06", slipped_on="Falls, Ward 12")
    assert (slipped.sustained, slipped.months, slipped.slipped_in, slipped.slipped_on) == (
        False, 2, "2026-06", "Falls, Ward 12")


def test_no_month_charted_since_completion_is_zero_months():
    assert sustainment(date(2026, 7, 2), MONTHS).months == 0


def test_the_first_slip_is_kept():
    assert earlier_slip(None, "2026-06") == "2026-06"
    assert earlier_slip("2026-06", "2026-08") == "2026-06"
    assert earlier_slip("2026-06", "2026-05") == "2026-05"
