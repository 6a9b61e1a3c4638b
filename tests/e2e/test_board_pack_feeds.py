"""Before the board pack: a feed that has not delivered the month, and a row of it that was
dead-lettered, reach the data source's owner as one email (Mailpit), however often the check runs."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaProducer

from conftest import required_env
from devstack.mail import Mailbox
from services.metrics.bootstrap import board_pack_rule
from services.metrics.domain.board_pack import board_pack
from services.metrics.entrypoints.overdue_check import keep_dead_lettered_feed_rows
from services.metrics.service_layer import board_packs
from shared import db, topics
from shared.deadletters.store import DeadLetterReader
from shared.events import new_event
from shared.month import Month
from tests.e2e.test_a_signal_people_act_on import WAIT, bearer, call

pytestmark = pytest.mark.e2e

MONTH = Month.parse("2020-09")  # the board pack chased, on a day of the test's choosing


def test_a_missing_feed_before_the_board_pack_emails_its_data_sources_owner_once(
        service_url, issuer, kafka_bootstrap, mailbox: Mailbox):
    run = uuid.uuid4().hex[:8]
    metrics = service_url("metrics")
    kpi, unit, source = f"BPE-{run.upper()}", f"BPEW-{run.upper()}", f"Theatre system {run}"
    owner = f"theatre-feed-{run}@hospital.example"
    admin = bearer(issuer, f"admin-{run}", ["admin"])
    call("POST", f"{metrics}/api/v1/units", admin, expect=201, json={"code": unit, "name": f"Theatre {run}",
                                                                      "level": "theatre"})
    call("POST", f"{metrics}/api/v1/kpis", admin, expect=201, json={
        "code": kpi, "name": f"Late starts {run}", "unit_of_measure": "count", "improvement_direction": "decrease",
        "data_source": source})
    call("PUT", f"{metrics}/api/v1/data-sources/{source}", admin, json={"owners": [owner]})
    for month in (MONTH - 2, MONTH - 1):
        call("POST", f"{metrics}/api/v1/measures", admin, expect=201, json={
            "kpi_code": kpi, "unit_code": unit, "period": str(month), "value": 3, "source": source})
    bad = new_event("measure.recorded", {"kpi_code": kpi, "unit_code": f"NOPE-{run}", "period": str(MONTH),
                                         "value": 2, "source": source}, source="urn:wtgr:feed:theatres")
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    producer.send(topics.MEASURES, key=f"{kpi}|NOPE-{run}".encode(), value=bad.to_json()).get(timeout=10)
    producer.close()

    pool = db.make_pool(required_env("METRICS_DATABASE_URL"), max_size=1, name="e2e-board-pack")
    reader = DeadLetterReader(kafka_bootstrap, f"e2e-{run}", topics.dead_letter_topic("metrics"))
    try:
        _keep_until_recorded(pool, reader, kpi)
        pack = board_pack(MONTH, board_pack_rule())
        for _ in range(2):  # the check runs twice: it tells once
            with db.unit_of_work(pool, "metrics") as uow:
                board_packs.chase(uow, pack.chase_on, board_pack_rule())
    finally:
        reader.close()
        pool.close()

    email = mailbox.wait_for(owner, lambda m: "Before the board pack" in m.subject, timeout=WAIT)
    assert email.subject == (f"[WTGR] Before the board pack on {pack.due_on:%-d %B %Y}: 1 feed missing for "
                             "September 2020, 1 row not accepted")
    assert f"- Late starts {run}, Theatre {run} (from {source})" in email.body_text
    assert f"- {kpi}, NOPE-{run}, September 2020 (from {source}" in email.body_text
    assert f"rejected: unknown unit NOPE-{run}" in email.body_text or "NOPE" in email.body_text
    time.sleep(5)
    assert len([m for m in mailbox.messages(owner) if "Before the board pack" in m.subject]) == 1


def _keep_until_recorded(pool, reader, kpi: str) -> None:
    """Read the dead letters until the metrics consumer has dead-lettered the test's row."""
    deadline = time.monotonic() + WAIT
    while True:
        keep_dead_lettered_feed_rows(pool, reader)
        with db.unit_of_work(pool, "metrics") as uow:
            if uow.one("SELECT 1 AS found FROM feed_dead_letters WHERE kpi_code = %s", (kpi,)):
                return
        assert time.monotonic() < deadline, "the bad row was not dead-lettered in time"
        time.sleep(1)
