"""The rules of an idea's review, in plain Python.

An idea moves submitted -> under_review -> accepted | declined, one step at a time; the last two
are final. Ideas are free text from staff and patients, so text that carries an NHS number is
refused: it would be patient-identifiable data.
"""

from __future__ import annotations

import re

from shared.errors import Conflict, InvalidInput

SUBMITTED, UNDER_REVIEW, ACCEPTED, DECLINED = "submitted", "under_review", "accepted", "declined"
STATUSES = (SUBMITTED, UNDER_REVIEW, ACCEPTED, DECLINED)
NEXT_STATUSES: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({UNDER_REVIEW}),
    UNDER_REVIEW: frozenset({ACCEPTED, DECLINED}),
    ACCEPTED: frozenset(),
    DECLINED: frozenset(),
}
# Ten digits, optionally grouped 3-3-4 by spaces or hyphens, not part of a longer number.
_NHS_NUMBER_SHAPE = re.compile(r"(?<![0-9])([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})(?![0-9])")


class TransitionRefused(Conflict):
    """The idea cannot move to the requested status from where it is."""


class PatientDataFound(InvalidInput):
    """The text appears to identify a patient; ``field`` names where."""

    def __init__(self, field: str):
        super().__init__(f"{field} appears to contain an NHS number; ideas must not identify patients", field=field)


def check_transition(current: str, target: str) -> None:
    if target not in NEXT_STATUSES.get(current, frozenset()):
        allowed = ", ".join(sorted(NEXT_STATUSES.get(current, ()))) or "none (the decision is final)"
        raise TransitionRefused(f"an idea that is {current} cannot become {target}; allowed: {allowed}")


def is_acceptance(target: str) -> bool:
    return target == ACCEPTED


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS number check digit: modulus 11 over the first nine digits, weights 10 down to 2."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def contains_nhs_number(text: str) -> bool:
    return any(is_valid_nhs_number("".join(match.groups())) for match in _NHS_NUMBER_SHAPE.finditer(text))


def check_free_text(fields: dict[str, str]) -> None:
    """Raise PatientDataFound for the first field that carries an NHS number."""
    for name, text in fields.items():
        if contains_nhs_number(text):
            raise PatientDataFound(name)
