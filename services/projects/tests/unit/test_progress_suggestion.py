from datetime import date
from decimal import Decimal

import pytest

from services.projects.domain.progress import Evidence, ScoreRefused, Signal, check_score, suggested_score

NOTHING = Evidence(approved=False, outcome_measure=False, change_ideas=0, cycles_started=0, cycles_completed=0,
                   changes_adopted=0, first_cycle_started=None)
APPROVED = Evidence(approved=True, outcome_measure=False, change_ideas=0, cycles_started=0, cycles_completed=0,
                    changes_adopted=0, first_cycle_started=None)
PLANNED = Evidence(approved=True, outcome_measure=True, change_ideas=1, cycles_started=0, cycles_completed=0,
                   changes_adopted=0, first_cycle_started=None)
RUNNING = Evidence(approved=True, outcome_measure=True, change_ideas=1, cycles_started=1, cycles_completed=0,
                   changes_adopted=0, first_cycle_started=date(2026, 3, 9))
TESTED = Evidence(approved=True, outcome_measure=True, change_ideas=1, cycles_started=2, cycles_completed=1,
                  changes_adopted=0, first_cycle_started=date(2026, 3, 9))


def improved(months: int, start: date = date(2026, 3, 1), adopted: int = 0) -> Evidence:
    latest = date(start.year + (start.month - 1 + months - 1) // 12, (start.month - 1 + months - 1) % 12 + 1, 1)
    return Evidence(approved=True, outcome_measure=True, change_ideas=1, cycles_started=2, cycles_completed=1,
                    changes_adopted=adopted, first_cycle_started=date(2026, 3, 9),
                    outcome_signals=(Signal(start, latest),))


@pytest.mark.parametrize(("evidence", "score"), [
    (NOTHING, "0.5"), (APPROVED, "1.0"), (PLANNED, "1.5"), (RUNNING, "2.0"), (TESTED, "2.5"),
    (improved(1), "3.0"), (improved(3), "3.5"), (improved(6), "4.0"), (improved(6, adopted=1), "4.5"),
])
def test_the_suggested_score_is_the_highest_step_whose_evidence_holds(evidence, score):
    assert suggested_score(evidence) == Decimal(score)


def test_a_signal_that_began_before_the_first_cycle_is_not_evidence_of_its_change():
    assert suggested_score(improved(9, start=date(2026, 1, 1))) == Decimal("2.5")


def test_adoption_without_sustained_improvement_does_not_lift_the_score():
    assert suggested_score(improved(1, adopted=1)) == Decimal("3.0")


def test_five_is_never_suggested():
    assert suggested_score(improved(36, adopted=3)) == Decimal("4.5")


def test_a_score_is_a_step_of_a_half_between_half_and_five():
    for good in ("0.5", "2.5", "5.0"):
        check_score(Decimal(good))
    for bad in ("0", "0.7", "5.5"):
        with pytest.raises(ScoreRefused):
            check_score(Decimal(bad))
