"""Before the board pack, on the real database: the board pack dates (a rule, and an admin's date),
the feeds a month is missing, the data sources' owners, dead-lettered feed rows kept per data
source, and the chase that tells each person once per board pack however often it runs."""

from __future__ import annotations

import json
import uuid

import pytest

from services.metrics.bootstrap import board_pack_rule
from services.metrics.domain.board_pack import board_pack
from services.metrics.service_layer import board_packs
from shared.db import unit_of_work
from shared.month import Month

pytestmark = pytest.mark.integration

MONTH = Month.parse("2020-06")  # a month no other test measures: its board pack is chased on a day of our choosing


@pytest.fixture
def feed(metrics_client, bearer):
    """A ward, a KPI fed by a data source of its own (owned by someone), reported in April and May
    2020 and not June; its codes and addresses."""
    run = uuid.uuid4().hex[:8]
    codes = {"kpi": f"BP-{run.upper()}", "unit": f"BPW-{run.upper()}", "source": f"Theatre system {run}",
             "source_owner": f"theatre-feed-{run}@hospital.example", "kpi_owner": f"kpi-owner-{run}@hospital.example"}
    admin = bearer("admin")
    assert metrics_client.post("/api/v1/units", headers=admin, json={
        "code": codes["unit"], "name": f"Ward {run}", "level": "ward"}).status_code == 201
    assert metrics_client.post("/api/v1/kpis", headers=admin, json={
        "code": codes["kpi"], "name": f"Sessions started late {run}", "unit_of_measure": "count",
        "improvement_direction": "decrease", "data_source": codes["source"],
        "owners": [codes["kpi_owner"]]}).status_code == 201
    for month in ("2020-04", "2020-05"):
        assert metrics_client.post("/api/v1/measures", headers=bearer("feed"), json={
            "kpi_code": codes["kpi"], "unit_code": codes["unit"], "period": month, "value": 4,
            "source": codes["source"]}).status_code == 201
    owned = metrics_client.put(f"/api/v1/data-sources/{codes['source']}", headers=admin,
                               json={"owners": [codes["source_owner"]]})
    assert owned.status_code == 200
    return codes


def told(state, recipient):
    with state.pool.connection() as conn:
        return [row["data"] for row in conn.execute(
            "SELECT envelope->'data' AS data FROM outbox WHERE event_type = 'board_pack.feeds_missing'"
            " AND envelope->'data'->>'recipient' = %s", (recipient,)).fetchall()]


def test_board_packs_are_listed_newest_first_by_the_rule(metrics_client):
    found = metrics_client.get("/api/v1/board-packs", query_string={"until": "2026-11", "months": 3}).get_json()
    assert [pack["month"] for pack in found["items"]] == ["2026-11", "2026-10", "2026-09"]
    assert found["items"][2]["due_on"] == "2026-10-14"  # the 10th working day of October 2026
    assert found["items"][2]["chase_on"] == "2026-10-09"
    assert metrics_client.get("/api/v1/board-packs", query_string={"months": 25}).status_code == 422


def test_an_admin_sets_a_months_board_pack_date_and_gives_it_back_to_the_rule(metrics_client, bearer):
    url = "/api/v1/board-packs/2019-02"
    assert metrics_client.put(url, json={"due_on": "2019-03-20"}).status_code == 403  # staff
    set_ = metrics_client.put(url, json={"due_on": "2019-03-20"}, headers=bearer("admin"))
    assert set_.status_code == 200
    assert set_.get_json() == {"month": "2019-02", "due_on": "2019-03-20", "overridden": True, "chase_on": "2019-03-15"}
    listed = metrics_client.get("/api/v1/board-packs", query_string={"until": "2019-02", "months": 1}).get_json()
    assert listed["items"][0]["overridden"] is True
    early = metrics_client.put(url, json={"due_on": "2019-02-27"}, headers=bearer("admin"))
    assert early.status_code == 422 and "due_on" in early.get_json()["errors"]
    back = metrics_client.put(url, json={"due_on": None}, headers=bearer("admin")).get_json()
    assert back["overridden"] is False and back["due_on"] == "2019-03-14"
    assert metrics_client.put("/api/v1/board-packs/2019-13", json={"due_on": None},
                              headers=bearer("admin")).status_code == 400


def test_the_feeds_a_month_is_missing_are_listed_with_its_board_pack(metrics_client, feed):
    found = metrics_client.get(f"/api/v1/board-packs/{MONTH}/missing-feeds", query_string={"page_size": 200})
    assert found.status_code == 200
    body = found.get_json()
    assert body["board_pack"]["month"] == str(MONTH)
    mine = [row for row in _every_item(metrics_client, f"/api/v1/board-packs/{MONTH}/missing-feeds")
            if row["kpi_code"] == feed["kpi"]]
    assert mine == [{"kpi_code": feed["kpi"], "kpi_name": mine[0]["kpi_name"], "unit_code": feed["unit"],
                     "unit_name": mine[0]["unit_name"], "data_source": feed["source"]}]
    may = metrics_client.get("/api/v1/board-packs/2020-05/missing-feeds", query_string={"page_size": 200})
    assert all(row["kpi_code"] != feed["kpi"] for row in _every_item(metrics_client,
                                                                     "/api/v1/board-packs/2020-05/missing-feeds"))
    assert may.status_code == 200


def test_a_data_sources_owners_are_set_by_admins_with_its_etag(metrics_client, bearer, feed):
    url = f"/api/v1/data-sources/{feed['source']}"
    listed = [row for row in _every_item(metrics_client, "/api/v1/data-sources", bearer("admin"))
              if row["name"] == feed["source"]]
    assert listed[0]["owners"] == [feed["source_owner"]] and listed[0]["kpis"] == 1
    assert metrics_client.get("/api/v1/data-sources").status_code == 403
    version = listed[0]["version"]
    changed = metrics_client.put(url, headers={**bearer("admin"), "If-Match": f'"{version}"'},
                                 json={"owners": [feed["source_owner"], "deputy@hospital.example"]})
    assert changed.status_code == 200 and changed.headers["ETag"] == f'"{version + 1}"'
    stale = metrics_client.put(url, headers={**bearer("admin"), "If-Match": f'"{version}"'}, json={"owners": []})
    assert stale.status_code == 412
    assert metrics_client.put(url, headers=bearer("admin"), json={"owners": ["not an address"]}).status_code == 422


def test_the_chase_tells_each_owner_once_per_board_pack_however_often_it_runs(metrics_state, feed):
    pack = board_pack(MONTH, board_pack_rule())
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        assert board_packs.chase(uow, pack.chase_on - _day(), board_pack_rule()) >= 0  # before the chase
    assert told(metrics_state, feed["source_owner"]) == []
    for _ in range(2):
        with unit_of_work(metrics_state.pool, "metrics") as uow:
            board_packs.chase(uow, pack.chase_on, board_pack_rule())
    [to_source] = told(metrics_state, feed["source_owner"])
    [to_kpi] = told(metrics_state, feed["kpi_owner"])
    assert to_source["relations"] == ["data_source_owner"] and to_kpi["relations"] == ["kpi_owner"]
    assert [(row["kpi_code"], row["unit_code"]) for row in to_source["missing"]] == [(feed["kpi"], feed["unit"])]
    assert to_source["month"] == str(MONTH) and to_source["board_pack_on"] == pack.due_on.isoformat()
    assert to_source["audience"] == [{"email": feed["source_owner"], "relation": "data_source_owner"}]
    assert to_source["path"] == f"/kpis/board-packs/{MONTH}"


def test_dead_lettered_feed_rows_are_kept_once_and_told_to_their_sources_owners(metrics_state, feed):
    envelope = json.dumps({"id": f"dl-{feed['kpi']}", "type": "measure.recorded", "data": {
        "kpi_code": feed["kpi"], "unit_code": "NO-SUCH-WARD", "period": "2020-06", "value": 1, "source": "x"}})
    letter = board_packs.ReadDeadLetter(999, _offset(), "wtgr.measures", envelope,
                                        "rejected: unknown unit NO-SUCH-WARD", "rejected", "2020-07-01T06:00:00+00:00")
    garbled = board_packs.ReadDeadLetter(999, letter.offset + 1, "wtgr.measures", "not json", "not JSON",
                                         "invalid_envelope", "2020-07-01T06:00:01+00:00")
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        assert board_packs.record_dead_letters(uow, [letter, garbled], {999: letter.offset + 2}) == 2
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        assert board_packs.record_dead_letters(uow, [letter], {999: letter.offset + 1}) == 0
        assert board_packs.dead_letter_positions(uow)[999] >= letter.offset + 2
    pack = board_pack(MONTH, board_pack_rule())
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        board_packs.chase(uow, pack.due_on, board_pack_rule())
    [to_source] = told(metrics_state, feed["source_owner"])
    [row] = to_source["dead_lettered"]
    assert (row["kpi_code"], row["unit_code"], row["reason"]) == (feed["kpi"], "NO-SUCH-WARD",
                                                                  "rejected: unknown unit NO-SUCH-WARD")
    assert to_source["dead_lettered_count"] == 1
    assert told(metrics_state, feed["kpi_owner"])[0]["dead_lettered"] == []


def _every_item(client, url, headers=None):
    items, cursor = [], None
    while True:
        page = client.get(url, headers=headers or {}, query_string={
            "page_size": 200, **({"cursor": cursor} if cursor else {})}).get_json()
        items += page["items"]
        cursor = page["next"]
        if not cursor:
            return items


def _day():
    from datetime import timedelta
    return timedelta(days=1)


def _offset() -> int:
    return 10**12 + uuid.uuid4().int % 10**9  # far past any real dead letter's offset on partition 999


def test_a_dead_letter_with_odd_characters_or_no_time_is_kept_not_stuck_on(metrics_state, feed):
    # a NUL, and a lone surrogate (valid JSON, not encodable as UTF-8), in the event and in the reason
    odd = board_packs.ReadDeadLetter(998, _offset(), "wtgr.measures",
                                     '{"data": {"kpi_code": "A\\u0000B", "source": "feed \\ud800"}}',
                                     "not JSON\x00 at all \ud800", "invalid_envelope", "")
    elsewhere = board_packs.ReadDeadLetter(998, odd.offset + 1, "wtgr.ideas", "{}", "rejected", "rejected", "")
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        assert board_packs.record_dead_letters(uow, [odd, elsewhere], {998: odd.offset + 2}) == 1
        row = uow.one("SELECT kpi_code, reason, dead_lettered_at FROM feed_dead_letters"
                      " WHERE dl_partition = 998 AND dl_offset = %s", (odd.offset,))
    assert row["kpi_code"] == "AB" and row["reason"] == "not JSON at all ?" and row["dead_lettered_at"] is not None


def test_rows_dead_lettered_after_an_owner_was_told_wait_for_the_next_board_pack(metrics_state, feed):
    pack = board_pack(MONTH, board_pack_rule())
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        board_packs.chase(uow, pack.chase_on, board_pack_rule())
    envelope = json.dumps({"id": "late", "data": {"kpi_code": feed["kpi"], "unit_code": "NOPE", "period": "2020-06"}})
    late = board_packs.ReadDeadLetter(997, _offset(), "wtgr.measures", envelope, "rejected: unknown unit NOPE",
                                      "rejected", "2020-07-02T06:00:00+00:00")
    with unit_of_work(metrics_state.pool, "metrics") as uow:
        board_packs.record_dead_letters(uow, [late], {997: late.offset + 1})
        board_packs.chase(uow, pack.chase_on, board_pack_rule())  # the owner was told already this board pack
        row = uow.one("SELECT reported_in FROM feed_dead_letters WHERE dl_partition = 997 AND dl_offset = %s",
                      (late.offset,))
    assert row["reported_in"] is None
