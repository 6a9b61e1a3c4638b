"""The suggested progress score on the IHI 0.5-5.0 scale, from evidence, in plain Python.

The lead confirms a score (any step of 0.5 on the scale); the service suggests one from what it
knows, one rule per step, the highest that holds (docs/projects.md states the same table):

| score | IHI meaning | the evidence the suggestion needs |
| --- | --- | --- |
| 0.5 | intent to participate | the project is registered |
| 1.0 | forming the team | it was approved |
| 1.5 | planning has begun | and an outcome measure is linked and the driver diagram holds a change idea |
| 2.0 | activity, no changes yet | and a PDSA cycle has started |
| 2.5 | changes tested, no improvement yet | and a PDSA cycle has been completed |
| 3.0 | modest improvement | and the outcome measure shows a special cause of improvement (*) |
| 3.5 | improvement | and that signal is sustained for ``SUSTAINED_MONTHS`` months |
| 4.0 | significant improvement | and it is sustained for twice as long |
| 4.5 | sustainable improvement | and a cycle's change was adopted |

(*) one that began no earlier than the month the first cycle started: improvement before the
changes were tested is not their evidence. 5.0 (outstanding sustainable results) is never
suggested: only the lead says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.errors import InvalidInput

SUSTAINED_MONTHS = 3
LOWEST, HIGHEST, STEP = Decimal("0.5"), Decimal("5.0"), Decimal("0.5")


@dataclass(frozen=True)
class Signal:
    """A special cause of improvement on a series: its first month and the newest month it was seen in."""

    start: date
    latest: date

    @property
    def months(self) -> int:
        return (self.latest.year - self.start.year) * 12 + self.latest.month - self.start.month + 1


@dataclass(frozen=True)
class Evidence:
    approved: bool
    outcome_measure: bool
    change_ideas: int
    cycles_started: int
    cycles_completed: int
    changes_adopted: int
    first_cycle_started: date | None
    outcome_signals: tuple[Signal, ...] = ()

    def improvement_months(self) -> int:
        """The longest improvement on the outcome measure that began once the changes did (0: none)."""
        if self.first_cycle_started is None:
            return 0
        began = self.first_cycle_started.replace(day=1)
        return max((signal.months for signal in self.outcome_signals if signal.start >= began), default=0)


class ScoreRefused(InvalidInput):
    def __init__(self, reason: str):
        super().__init__(f"score: {reason}", field="score", reason=reason)


def suggested_score(evidence: Evidence) -> Decimal:
    """The highest step of the table above whose evidence holds, and every step below it."""
    months = evidence.improvement_months()
    steps = [
        evidence.approved,
        evidence.outcome_measure and evidence.change_ideas > 0,
        evidence.cycles_started > 0,
        evidence.cycles_completed > 0,
        months > 0,
        months >= SUSTAINED_MONTHS,
        months >= 2 * SUSTAINED_MONTHS,
        evidence.changes_adopted > 0,
    ]
    score = LOWEST
    for holds in steps:
        if not holds:
            break
        score += STEP
    return score


def check_score(score: Decimal) -> None:
    if not LOWEST <= score <= HIGHEST or score % STEP:
        raise ScoreRefused("a score is one of 0.5, 1.0, ... 5.0 on the IHI scale")
