"""A signal's life: which step follows which, and when an unacknowledged signal is chased."""

from __future__ import annotations

from datetime import date

import pytest

from services.metrics.domain import signal_life
from services.metrics.domain.signal_life import Chase, StepNotAllowed, next_state, working_days_between
from services.metrics.service_layer.signals import signal_audience


def test_a_signal_is_acknowledged_then_explained_or_given_an_action_plan_then_closed():
    assert next_state("acknowledge", "open") == "acknowledged"
    assert next_state("explain", "acknowledged") == "explained"
    assert next_state("plan", "explained") == "action_planned"
    assert next_state("explain", "action_planned") == "explained"
    assert next_state("close", "explained") == "closed"
    assert next_state("close", "action_planned") == "closed"


@pytest.mark.parametrize(("step", "state"), [("explain", "open"), ("close", "open"), ("close", "acknowledged"),
                                             ("acknowledge", "acknowledged"), ("plan", "closed"),
                                             ("acknowledge", "closed")])
def test_a_step_out_of_order_is_refused_saying_where_it_can_be_taken_from(step, state):
    with pytest.raises(StepNotAllowed, match="can be from"):
        next_state(step, state)


def test_a_chart_that_still_signals_cannot_be_closed_as_returned_to_common_cause():
    with pytest.raises(signal_life.StillSignalling):
        signal_life.check_returned(True)
    signal_life.check_returned(False)


def test_working_days_skip_weekends_and_english_bank_holidays():
    assert working_days_between(date(2026, 12, 4), date(2026, 12, 7)) == 1  # Friday to Monday
    # Christmas Day (Friday) and the substitute Boxing Day (Monday 28th) are not working days.
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert working_days_between(date(2026, 12, 7), date(2026, 12, 7)) == 0


def test_a_signal_is_reminded_then_escalated_each_once():
    rules = Chase(remind_after=3, escalate_after=5)
    opened = date(2026, 11, 30)  # a Monday
    assert rules.due(opened, date(2026, 12, 2), False, False) == (False, False)
    assert rules.due(opened, date(2026, 12, 3), False, False) == (True, False)
    assert rules.due(opened, date(2026, 12, 7), True, False) == (False, True)
    assert rules.due(opened, date(2026, 12, 9), True, True) == (False, False)


def test_the_owners_and_each_linked_team_hear_of_a_signal_once_each():
    team = [{"email": "Lee@trust.example", "name": "Lee Park", "role": "lead"},
            {"email": "sam@trust.example", "name": "Sam", "role": "member"},
            {"email": None, "name": "No Mail", "role": "member"}]
    other = [{"email": "sam@trust.example", "name": "Sam", "role": "coach"}]
    audience = signal_audience(["lee@trust.example"], [{"team": team}, {"team": other}])
    assert audience == [{"email": "lee@trust.example", "name": None, "relation": "kpi_owner"},
                        {"email": "sam@trust.example", "name": "Sam", "relation": "team"}]


def test_a_watched_completed_projects_lead_and_qi_lead_hear_of_a_signal_of_concern():
    done = {"team": [{"email": "lee@trust.example", "name": "Lee", "role": "lead"},
                     {"email": "mo@trust.example", "name": "Mo", "role": "member"}],
            "qi_lead": {"email": "quinn@trust.example", "name": "Quinn"}}
    audience = signal_audience(["owner@trust.example"], [], [done])
    assert [(p["email"], p["relation"]) for p in audience] == [
        ("owner@trust.example", "kpi_owner"), ("lee@trust.example", "lead"), ("quinn@trust.example", "approver")]
