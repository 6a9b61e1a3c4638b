import pytest
from marshmallow import Schema, ValidationError

from shared.errors import InvalidInput
from shared.fields import FreeText
from shared.pid_guard import PatientDataFound, check_free_text, find_patient_data, is_valid_nhs_number

# 943 476 5919 is the NHS's own published example of a valid number.
VALID_NHS_NUMBERS = ["9434765919", "943 476 5919", "943-476-5919", "4010232137", "401 023 2137"]


@pytest.mark.parametrize("number", VALID_NHS_NUMBERS)
def test_an_nhs_number_with_a_valid_check_digit_is_found_spaced_or_not(number):
    assert find_patient_data(f"The patient, {number}, fell twice on the ward") == "appears to contain an NHS number"


@pytest.mark.parametrize("digits", ["9434765918", "9434765910", "4010232138", "0000000001"])
def test_ten_digits_with_a_wrong_check_digit_are_not_an_nhs_number(digits):
    assert not is_valid_nhs_number(digits)
    assert find_patient_data(f"Reference {digits} from the stock system") is None


def test_nine_digits_whose_check_would_be_ten_make_no_valid_number():
    # weights 10..2 over 1,0,0,0,0,0,0,0,1 give 12: 11 - 1 = 10, so no check digit completes it
    assert not any(is_valid_nhs_number(f"100000001{check}") for check in "0123456789")


@pytest.mark.parametrize("text", ["Call 020 7946 0958 to book", "Order 12345678901 arrived", "Batch 94347659190"])
def test_phone_numbers_and_longer_figures_are_not_nhs_numbers(text):
    assert find_patient_data(text) is None


@pytest.mark.parametrize("text", [
    "Patient DOB 12/03/1961 waited six hours",
    "D.O.B. 12.3.61",
    "date of birth: 1961-03-12",
    "she was born 1961-03-12 and",
    "born on 12 March 1961",
    "born March 12, 1961",
    "b. 3/4/55",
])
def test_a_date_after_a_birth_cue_is_a_date_of_birth(text):
    assert find_patient_data(text) == "appears to contain a date of birth"


@pytest.mark.parametrize("text", [
    "Since 12/03/2025 the clinic opens at eight",
    "Falls on WARD-7 fell from 2025-03 to 2025-09",
    "The new rota was born of the staff survey in March 2026",
])
def test_a_date_without_a_birth_cue_is_allowed(text):
    assert find_patient_data(text) is None


@pytest.mark.parametrize("text", [
    "Mrs Jones, LS1 4AP, was sent home without her tablets",
    "Mr J Smith of SW1A 1AA",
    "Ann Smith lives at BS1 5TR and waited",
    "patient: John, M1 1AE",
    "LS1 4AP is where Mrs Patel lives",
])
def test_a_postcode_next_to_a_name_is_found(text):
    assert find_patient_data(text) == "appears to contain a postcode next to a name"


@pytest.mark.parametrize("text", [
    "Parking at Leeds General Infirmary LS1 3EX is full by eight",
    "Our LS1 4AP site needs a bike shelter",
    "Mrs Jones from the discharge team suggested it",
])
def test_a_postcode_of_a_place_or_a_name_alone_is_allowed(text):
    assert find_patient_data(text) is None


@pytest.mark.parametrize("text", ["MRN K123456 was lost", "hospital number: 1234567", "PAS no. RX12345"])
def test_a_labelled_hospital_record_number_is_found(text):
    assert find_patient_data(text) == "appears to contain a hospital record number"


def test_ordinary_improvement_text_passes():
    assert find_patient_data("Add a falls risk check to the evening handover on WARD-7, so that high-risk "
                             "patients get a low bed and a sensor mat before night.") is None
    assert find_patient_data(None) is None
    assert find_patient_data("") is None


def test_check_free_text_names_the_first_field_with_patient_data_and_why():
    with pytest.raises(PatientDataFound) as refused:
        check_free_text({"title": "Falls", "description": "DOB 12/03/1961", "note": "943 476 5919"})
    assert isinstance(refused.value, InvalidInput)
    assert refused.value.field == "description"
    assert refused.value.errors == {"description": [
        "appears to contain a date of birth; remove it: this text must not identify a patient"]}


def test_check_free_text_lets_empty_and_missing_texts_pass():
    check_free_text({"reason": None, "note": "", "title": "Quieter night wards"})


class _Form(Schema):
    description = FreeText(required=True, metadata={"description": "What to change.", "example": "Quieter wards"})


def test_the_free_text_field_refuses_patient_data_naming_the_field_and_the_reason():
    with pytest.raises(ValidationError) as refused:
        _Form().load({"description": "Seen: 943 476 5919"})
    assert refused.value.messages == {"description": [
        "appears to contain an NHS number; remove it: this text must not identify a patient"]}
    assert _Form().load({"description": "Quieter wards at night"}) == {"description": "Quieter wards at night"}


def test_the_free_text_field_says_so_in_its_description():
    description = _Form().fields["description"].metadata["description"]
    assert description.startswith("What to change. ")
    assert "NHS number" in description
