"""The one guard against patient-identifiable data in free text, for every service.

Ideas, comments, project notes, stories, course descriptions and KPI notes are free text written
by staff and patients. None of it may identify a patient, so text that looks as if it does is
refused before it is stored, with the field and the reason.

The API, three names:

- ``find_patient_data(text) -> str | None``: why the text appears to identify a patient, or None.
  It looks for
    * an NHS number: ten digits, together or grouped 3-3-4 by spaces or hyphens, whose modulus 11
      check digit is valid (a ten-digit figure with a wrong check digit is not one);
    * a date of birth: a date (12/03/1961, 1961-03-12, 12 March 1961, March 12 1961) after a cue
      such as "DOB", "D.O.B.", "date of birth", "born" or "b.";
    * a UK postcode next to a person's name: a full postcode (LS1 4AP) within a few words of a
      titled name ("Mrs Jones", "Mr J Smith"), a labelled one ("patient Ann Smith", "name: ..."),
      or a two-word capitalised name ("Ann Smith") that is not a place or an institution;
    * a labelled hospital record number: "MRN", "hospital number", "PAS number", "unit number",
      "case note number" followed by an identifier with digits in it.
  It is a heuristic: it refuses the shapes above and nothing else, and says which one it saw.
- ``check_free_text({field: text, ...})``: raises ``PatientDataFound`` (an ``InvalidInput``, so a
  422 problem+json whose ``errors`` name the field and the reason) for the first field that
  carries any; None and empty texts pass. For service layers and domains (plain Python).
- ``shared.fields.FreeText``: the marshmallow ``String`` field that runs the same check when a
  request is loaded (``FreeText(required=True, validate=..., metadata={"example": ...})``): the
  422 then says ``errors: {"description": ["appears to contain an NHS number ..."]}``. Use it for
  every free-text field of every HTTP schema (names, titles, descriptions, notes, reasons).

This module imports only the standard library and ``shared.errors``, so plain domains may use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.errors import InvalidInput

ADVICE = "remove it: this text must not identify a patient"
DESCRIPTION = ("Free text: it must not identify a patient. Text carrying an NHS number (valid check digit), "
               "a date of birth, a postcode next to a name or a hospital record number is refused with 422.")

# Ten digits, together or grouped 3-3-4 by spaces or hyphens, not part of a longer number.
_NHS_NUMBER_SHAPE = re.compile(r"(?<![0-9])([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})(?![0-9])")

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DATE = (
    r"(?:[0-3]?[0-9][./-][01]?[0-9][./-](?:[0-9]{4}|[0-9]{2})"  # 12/03/1961, 12.3.61
    r"|[0-9]{4}-[01]?[0-9]-[0-3]?[0-9]"  # 1961-03-12
    rf"|[0-3]?[0-9](?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+[0-9]{{2,4}}"  # 12 March 1961
    rf"|{_MONTHS}\.?\s+[0-3]?[0-9](?:st|nd|rd|th)?,?\s+[0-9]{{4}})"  # March 12, 1961
)
_BIRTH_CUE = r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b(?:\s+on)?|\bb\.)"
_DATE_OF_BIRTH = re.compile(rf"{_BIRTH_CUE}\s*[:\-]?\s*(?:on\s+)?{_DATE}", re.IGNORECASE)

# A full UK postcode (outward and inward code), e.g. LS1 4AP, SW1A 1AA, M1 1AE, B33 8TH.
_POSTCODE = r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s?[0-9][A-Z]{2}\b"
_WORD = r"[A-Z][a-z'\-]+"
_TITLED_NAME = rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Master|Dr)\.?\s+(?:[A-Z]\.?\s+)?{_WORD}"
_LABELLED_NAME = rf"\b(?i:patient|name|resident|client)\b\s*:?\s*{_WORD}(?:\s+{_WORD})?"
_PLAIN_NAME = rf"\b{_WORD}\s+{_WORD}\b"
_NEAR = r"[^.\n]{0,40}?"  # a few words in the same sentence
_POSTCODE_NEAR_NAME = re.compile(
    rf"(?P<name>{_TITLED_NAME}|{_LABELLED_NAME}|{_PLAIN_NAME}){_NEAR}(?P<postcode>{_POSTCODE})"
    rf"|(?P<postcode_first>{_POSTCODE}){_NEAR}(?P<name_after>{_TITLED_NAME}|{_LABELLED_NAME}|{_PLAIN_NAME})"
)
# Capitalised words that make "Leeds General" or "Station Road" a place or an institution, not a person.
_NOT_A_PERSON = frozenset([
    "hospital", "hospitals", "infirmary", "general", "royal", "university", "trust", "nhs", "ward", "wards",
    "unit", "clinic", "centre", "center", "surgery", "practice", "health", "care", "road", "street", "lane",
    "avenue", "drive", "close", "way", "place", "court", "house", "park", "square", "hill", "green", "city",
    "county", "council", "station", "building", "block", "wing", "floor", "department", "team", "service",
    "services", "foundation", "community", "medical", "primary", "district", "north", "south", "east", "west",
    "upper", "lower", "new", "old", "saint", "st", "the",
])

_RECORD_NUMBER = re.compile(
    r"\b(?:MRN|hospital\s+(?:no|number|num)|PAS\s+(?:no|number|id)|unit\s+(?:no|number)|"
    r"case\s*note\s+(?:no|number)|patient\s+(?:no|number|id))\b\.?\s*[:#]?\s*(?=[A-Z0-9]*[0-9])[A-Z0-9]{5,12}\b",
    re.IGNORECASE,
)


class PatientDataFound(InvalidInput):
    """The text of ``field`` appears to identify a patient; the reason says what was seen."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field} {reason}; {ADVICE}", field=field, reason=f"{reason}; {ADVICE}")


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS number check digit: modulus 11 over the first nine digits, weights 10 down to 2;
    a check of 11 is 0 and a check of 10 means no valid number has those nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    remainder = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(digits[9])


def contains_nhs_number(text: str) -> bool:
    return any(is_valid_nhs_number("".join(match.groups())) for match in _NHS_NUMBER_SHAPE.finditer(text))


def _postcode_next_to_a_name(text: str) -> bool:
    for match in _POSTCODE_NEAR_NAME.finditer(text):
        name = match.group("name") or match.group("name_after")
        if _is_a_person(name):
            return True
    return False


def _is_a_person(name: str) -> bool:
    words = re.findall(r"[A-Za-z'\-]+", name)
    if re.match(_TITLED_NAME, name) or re.match(_LABELLED_NAME, name):
        return True
    return not any(word.lower() in _NOT_A_PERSON for word in words)


def find_patient_data(text: str | None) -> str | None:
    """Why ``text`` appears to identify a patient ("appears to contain an NHS number"), or None."""
    if not text:
        return None
    if contains_nhs_number(text):
        return "appears to contain an NHS number"
    if _DATE_OF_BIRTH.search(text):
        return "appears to contain a date of birth"
    if _postcode_next_to_a_name(text):
        return "appears to contain a postcode next to a name"
    if _RECORD_NUMBER.search(text):
        return "appears to contain a hospital record number"
    return None


def check_free_text(texts: Mapping[str, str | None]) -> None:
    """Raise ``PatientDataFound`` for the first field whose text appears to identify a patient."""
    for field, text in texts.items():
        reason = find_patient_data(text)
        if reason is not None:
            raise PatientDataFound(field, reason)
