from datetime import date

import pytest

from services.projects.domain.projects import (
    CycleRefused,
    StageRefused,
    check_can_log_cycles,
    check_cycle_dates,
    check_stage_move,
    is_completion,
    next_cycle_number,
)

TODAY = date(2026, 9, 15)


@pytest.mark.parametrize(("current", "target"), [("draft", "active"), ("active", "completed")])
def test_a_project_moves_to_its_next_stage(current, target):
    check_stage_move(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("draft", "completed"), ("active", "draft"), ("completed", "active"), ("draft", "draft"),
])
def test_a_project_cannot_skip_a_stage_or_go_back(current, target):
    with pytest.raises(StageRefused):
        check_stage_move(current, target)


def test_a_completed_project_has_no_next_stage():
    with pytest.raises(StageRefused, match="finished"):
        check_stage_move("completed", "completed")


def test_only_completion_is_announced_as_a_completion():
    assert is_completion("completed")
    assert not is_completion("active")


@pytest.mark.parametrize("stage", ["draft", "completed"])
def test_pdsa_cycles_are_logged_only_on_active_projects(stage):
    check_can_log_cycles("active")
    with pytest.raises(StageRefused):
        check_can_log_cycles(stage)


def test_a_cycle_may_start_and_end_on_the_same_day_up_to_today():
    check_cycle_dates(date(2026, 9, 1), date(2026, 9, 1), TODAY)
    check_cycle_dates(date(2026, 9, 1), TODAY, TODAY)


def test_a_cycle_cannot_end_before_it_started():
    with pytest.raises(CycleRefused) as refused:
        check_cycle_dates(date(2026, 9, 10), date(2026, 9, 9), TODAY)
    assert refused.value.field == "ended_on"


def test_a_cycle_that_has_not_happened_yet_cannot_be_logged():
    with pytest.raises(CycleRefused, match="to come"):
        check_cycle_dates(date(2026, 9, 10), date(2026, 9, 16), TODAY)


def test_cycles_are_numbered_from_one_in_order():
    assert [next_cycle_number(n) for n in range(3)] == [1, 2, 3]
