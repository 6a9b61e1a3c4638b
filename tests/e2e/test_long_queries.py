"""A list's longest query reaches the API under gunicorn (services/gunicorn_conf.py) and gets the
API's own answer: a cursor of the longest length the document allows, with the list's filters
beside it, is a problem+json 400 for a cursor the list never gave, never gunicorn's HTML 414."""

from __future__ import annotations

import pytest
import requests

from shared.pagination import MAX_CURSOR_CHARS

pytestmark = pytest.mark.e2e


def test_the_longest_cursor_with_filters_gets_a_problem_answer_not_a_414(service_url, issuer) -> None:
    who = {"Authorization": f"Bearer {issuer.issue('long.query', ['staff'])}"}
    # 200 four-byte characters are 2,400 characters on the wire: over gunicorn's default of 4,094.
    query = {"cursor": "x" * MAX_CURSOR_CHARS, "q": "\U0001d509" * 200, "directorate": "DIR-MED", "page_size": 50}
    answer = requests.get(f"{service_url('ideas')}/api/v1/ideas", params=query, headers=who, timeout=10)
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert "cursor" in answer.json()["errors"]


def test_a_cursor_outside_the_documented_alphabet_is_refused_as_input(service_url, issuer) -> None:
    who = {"Authorization": f"Bearer {issuer.issue('long.query', ['staff'])}"}
    answer = requests.get(f"{service_url('ideas')}/api/v1/ideas", params={"cursor": "é" * 600}, headers=who,
                          timeout=10)
    assert answer.status_code == 422, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert "cursor" in answer.json()["errors"]
