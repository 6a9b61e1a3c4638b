"""The page helper without a database: the SQL it builds, the cursors it signs and refuses, the envelope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.pagination import COUNT_CAP, InvalidCursor, Listing, PageQuery, page, page_by_offset
from shared.web import status_of

SECRET = "unit-test-secret"
IDEAS = Listing("ideas", "ideas", "id, title, submitted_at", "submitted_at timestamptz, id uuid", descending=True,
                filters=("status",))
SESSIONS = Listing("sessions", "sessions", "id, starts_at", "starts_at timestamptz, id uuid", scope=("course_code",))


class Recorded:
    """Answers the page query with ``rows`` and the capped count with ``counted``; keeps the SQL."""

    def __init__(self, rows: list[dict[str, Any]], counted: int = 0):
        self.rows, self.counted = rows, counted
        self.statements: list[tuple[str, list[Any]]] = []

    def execute(self, sql: str, params: Any = None) -> Recorded:
        self.statements.append((sql, list(params or [])))
        self._last = sql
        return self

    def fetchall(self) -> list[dict[str, Any]]:
        return list(self.rows)

    def fetchone(self) -> dict[str, Any]:
        return {"n": self.counted}


def ideas(n: int) -> list[dict[str, Any]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [{"id": f"00000000-0000-0000-0000-{i:012d}", "title": f"idea {i}", "submitted_at": start - timedelta(i)}
            for i in range(n)]


def query(**given: Any) -> dict[str, Any]:
    return PageQuery().load({key: str(value) for key, value in given.items()})


def test_the_first_page_is_the_newest_rows_with_a_next_cursor_when_more_wait():
    db = Recorded(ideas(3))
    first = page(db, IDEAS, query(page_size=2), secret=SECRET)
    assert [item["title"] for item in first.items] == ["idea 0", "idea 1"]
    assert first.next is not None and first.previous is None
    sql, params = db.statements[0]
    assert sql == "SELECT id, title, submitted_at FROM ideas ORDER BY submitted_at DESC, id DESC LIMIT %s"
    assert params == [3]


def test_the_next_page_starts_after_the_last_row_by_one_row_comparison():
    first = page(Recorded(ideas(3)), IDEAS, query(page_size=2), secret=SECRET)
    db = Recorded(ideas(3)[2:])
    second = page(db, IDEAS, query(page_size=2, cursor=first.next), secret=SECRET)
    sql, params = db.statements[0]
    assert "WHERE (submitted_at, id) < (%s::timestamptz, %s::uuid) ORDER BY submitted_at DESC, id DESC" in sql
    assert params == [ideas(3)[1]["submitted_at"].isoformat(), ideas(3)[1]["id"], 3]
    assert second.next is None and second.previous is not None


def test_the_previous_page_reads_backwards_and_answers_in_list_order():
    rows = ideas(5)
    cursor = page(Recorded(rows[2:5]), IDEAS, query(page_size=2), secret=SECRET).previous
    assert cursor is None  # a first page has no previous page
    later = page(Recorded(rows[3:5]), IDEAS, query(page_size=2, cursor=page(
        Recorded(rows), IDEAS, query(page_size=2), secret=SECRET).next), secret=SECRET)
    db = Recorded(list(reversed(rows[:3])))  # what the backward query returns: nearest first
    back = page(db, IDEAS, query(page_size=2, cursor=later.previous), secret=SECRET)
    assert "WHERE (submitted_at, id) > (%s::timestamptz, %s::uuid) ORDER BY submitted_at, id LIMIT %s" in \
        db.statements[0][0]
    assert [item["title"] for item in back.items] == ["idea 1", "idea 2"]
    assert back.previous is not None and back.next is not None


def test_filters_and_scope_become_equalities_before_the_keyset():
    db = Recorded([])
    page(db, IDEAS, query(page_size=5) | {"status": "accepted"}, secret=SECRET)
    assert db.statements[0] == ("SELECT id, title, submitted_at FROM ideas WHERE status = %s"
                                " ORDER BY submitted_at DESC, id DESC LIMIT %s", ["accepted", 6])
    db = Recorded([])
    page(db, SESSIONS, query(), secret=SECRET, course_code="QI101")
    assert db.statements[0][0].startswith("SELECT id, starts_at FROM sessions WHERE course_code = %s ORDER BY")


def test_a_text_search_narrows_the_same_walk_and_binds_the_cursor_to_its_words():
    searched = Listing("projects", "projects", "id, title, submitted_at", "submitted_at timestamptz, id uuid",
                       descending=True, filters=("stage",),
                       search="searchable @@ websearch_to_tsquery('english', %s)")
    db = Recorded(ideas(3))
    first = page(db, searched, query(page_size=2) | {"q": "night falls", "stage": "active"}, secret=SECRET)
    assert db.statements[0] == (
        "SELECT id, title, submitted_at FROM projects WHERE stage = %s AND searchable @@ websearch_to_tsquery("
        "'english', %s) ORDER BY submitted_at DESC, id DESC LIMIT %s", ["active", "night falls", 3])
    with pytest.raises(InvalidCursor, match="other filters"):
        page(Recorded([]), searched, query(page_size=2, cursor=first.next) | {"q": "sepsis", "stage": "active"},
             secret=SECRET)
    unsearched = Recorded([])
    page(unsearched, searched, query(page_size=2), secret=SECRET)
    assert "websearch_to_tsquery" not in unsearched.statements[0][0]


def test_a_member_filter_asks_the_array_column_to_hold_the_value_and_binds_the_cursor_to_it():
    tagged = Listing("projects", "projects", "id, title, submitted_at", "submitted_at timestamptz, id uuid",
                     descending=True, filters=("stage",), members=("cqc",))
    db = Recorded(ideas(3), counted=3)
    first = page(db, tagged, query(page_size=2) | {"cqc": "safe", "stage": "active"}, secret=SECRET)
    assert db.statements[0] == ("SELECT id, title, submitted_at FROM projects WHERE stage = %s AND %s = ANY(cqc)"
                                " ORDER BY submitted_at DESC, id DESC LIMIT %s", ["active", "safe", 3])
    assert "%s = ANY(cqc)" in db.statements[1][0]  # the total counts the same rows
    with pytest.raises(InvalidCursor, match="other filters"):
        page(Recorded([]), tagged, query(page_size=2, cursor=first.next) | {"cqc": "caring", "stage": "active"},
             secret=SECRET)


def test_a_list_with_a_scope_refuses_to_run_without_it():
    with pytest.raises(TypeError):
        page(Recorded([]), SESSIONS, query(), secret=SECRET)


def test_the_total_is_counted_up_to_the_cap_and_says_when_there_are_more():
    db = Recorded([], counted=COUNT_CAP + 1)
    result = page(db, IDEAS, query(), secret=SECRET)
    assert (result.total, result.total_is_exact) == (COUNT_CAP, False)
    assert db.statements[1] == ("SELECT count(*) AS n FROM (SELECT 1 FROM ideas LIMIT %s) AS capped", [COUNT_CAP + 1])
    exact = page(Recorded([], counted=7), IDEAS, query(), secret=SECRET)
    assert (exact.total, exact.total_is_exact) == (7, True)


def test_the_pages_after_the_first_carry_its_total_and_count_nothing():
    first = page(Recorded(ideas(3), counted=COUNT_CAP + 1), IDEAS, query(page_size=2), secret=SECRET)
    db = Recorded(ideas(3)[2:], counted=1)
    second = page(db, IDEAS, query(page_size=2, cursor=first.next), secret=SECRET)
    assert len(db.statements) == 1 and "count(*)" not in db.statements[0][0]
    assert (second.total, second.total_is_exact) == (COUNT_CAP, False)


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjpbMV19.forged", "x" * 300])
def test_a_garbled_or_forged_cursor_is_a_400_and_runs_no_query(cursor):
    db = Recorded(ideas(3))
    with pytest.raises(InvalidCursor) as refused:
        page(db, IDEAS, query(cursor=cursor), secret=SECRET)
    assert status_of(refused.value) == 400 and "cursor" in refused.value.errors
    assert db.statements == []


def test_a_cursor_signed_with_another_secret_is_refused():
    cursor = page(Recorded(ideas(3)), IDEAS, query(page_size=1), secret="another").next
    with pytest.raises(InvalidCursor):
        page(Recorded([]), IDEAS, query(cursor=cursor), secret=SECRET)


def test_a_cursor_from_another_list_is_refused():
    other = Listing("projects", "projects", "id, title, submitted_at", IDEAS.sort, descending=True)
    cursor = page(Recorded(ideas(3)), other, query(page_size=1), secret=SECRET).next
    with pytest.raises(InvalidCursor):
        page(Recorded([]), IDEAS, query(cursor=cursor), secret=SECRET)


def test_a_cursor_given_for_other_filters_is_refused():
    cursor = page(Recorded(ideas(3)), IDEAS, query(page_size=1) | {"status": "accepted"}, secret=SECRET).next
    with pytest.raises(InvalidCursor, match="other filters"):
        page(Recorded([]), IDEAS, query(cursor=cursor) | {"status": "declined"}, secret=SECRET)


def test_an_offset_page_walks_a_bounded_list_with_signed_offsets():
    rows = list(range(5))
    seen, cursor = [], None
    while True:
        result = page_by_offset("matrix", query(page_size=2, **({"cursor": cursor} if cursor else {})), len(rows),
                                lambda limit, offset: rows[offset:offset + limit], secret=SECRET, unit="W1")
        seen.extend(result.items)
        assert (result.total, result.total_is_exact) == (5, True)
        if result.next is None:
            break
        cursor = result.next
    assert seen == rows
    back = page_by_offset("matrix", query(page_size=2, cursor=result.previous), 5,
                          lambda limit, offset: rows[offset:offset + limit], secret=SECRET, unit="W1")
    assert back.items == [2, 3]
    with pytest.raises(InvalidCursor):
        page_by_offset("matrix", query(cursor=cursor), 5, lambda limit, offset: [], secret=SECRET, unit="W2")


def test_page_size_stays_between_1_and_200():
    from marshmallow import ValidationError

    for bad in ("0", "201"):
        with pytest.raises(ValidationError):
            PageQuery().load({"page_size": bad})
    assert PageQuery().load({}) == {"page_size": 50, "cursor": None}
