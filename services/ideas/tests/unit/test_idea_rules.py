import pytest

from services.ideas.domain.ideas import (
    PatientDataFound,
    TransitionRefused,
    check_free_text,
    check_transition,
    contains_nhs_number,
    is_acceptance,
    is_valid_nhs_number,
)


@pytest.mark.parametrize(("current", "target"), [
    ("submitted", "under_review"),
    ("under_review", "accepted"),
    ("under_review", "declined"),
])
def test_an_idea_moves_one_review_step_at_a_time(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("submitted", "accepted"),
    ("submitted", "declined"),
    ("submitted", "submitted"),
    ("under_review", "submitted"),
    ("accepted", "declined"),
    ("declined", "under_review"),
])
def test_an_idea_cannot_skip_a_step_go_back_or_leave_a_decision(current, target):
    with pytest.raises(TransitionRefused):
        check_transition(current, target)


def test_a_refused_transition_says_what_is_allowed():
    with pytest.raises(TransitionRefused, match="allowed: under_review"):
        check_transition("submitted", "accepted")
    with pytest.raises(TransitionRefused, match="final"):
        check_transition("accepted", "declined")


def test_only_acceptance_is_announced_as_an_acceptance():
    assert is_acceptance("accepted")
    assert not is_acceptance("declined")


def test_a_valid_nhs_number_passes_the_modulus_11_check():
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")
    assert not is_valid_nhs_number("123")


@pytest.mark.parametrize("text", [
    "Patient 943 476 5919 waited six hours",
    "nhs no. 943-476-5919",
    "9434765919",
])
def test_text_carrying_an_nhs_number_is_spotted_however_it_is_written(text):
    assert contains_nhs_number(text)


@pytest.mark.parametrize("text", [
    "Ward 7 discharges wait 4 hours for pharmacy",
    "call 0123456788 for the help desk",
    "batch 94347659191 of gloves",
])
def test_ordinary_numbers_are_not_mistaken_for_an_nhs_number(text):
    assert not contains_nhs_number(text)


def test_free_text_with_an_nhs_number_is_refused_naming_the_field():
    with pytest.raises(PatientDataFound) as refused:
        check_free_text({"title": "Faster discharge", "description": "like for 9434765919"})
    assert refused.value.field == "description"
