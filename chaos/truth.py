"""A scenario's ground truth: its own catalogue, the measure events a feed sends for it, and what
the platform must then hold, compared exactly.

The catalogue (codes end in the scenario's tag, so no two scenarios share a KPI, unit or owner):
a trust with ``wards`` wards below it, and
- ``count_kpis`` KPIs counted per ward and summed up to the trust (no owners): every measure,
  every roll-up and every chart can be checked to the unit;
- one KPI with an owner, rolled up as the mean: every ward has the same series, so the trust's
  mean is that series however many wards have reported a month, steady (alternating 40, 42, no
  special cause in any prefix) until a spike of 70 in the last month: exactly one alert per ward
  and one for the trust, whatever order or batches the measures arrive in.

The checks (``check``): per measure event, lost when its figures are not the month's stored value
(or a revision is missing), duplicated when a month holds more revisions than were published; per
unit and month the value (roll-ups included); per chart the whole stored chart against the one
the domain draws from the expected series; every event the charts caused published and handled
by notifications, and no email written twice for one; per expected alert, lost or duplicated in
the notifications log (one notification each; the hub gathers the levels of one month into one
email) and in the mailbox; every email the log says was sent is in the mailbox exactly once.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from chaos.feed import Message
from chaos.stack import Stack
from devstack.mail import Mailbox
from services.metrics.adapters.chart_json import chart_json
from services.metrics.domain.charts import RUN, auto_chart_type
from services.metrics.domain.runchart import run_chart
from services.metrics.domain.spc import SpcOptions, xmr_chart
from shared import topics
from shared.events import new_event
from shared.month import Month

FIRST_MONTH = Month(2015, 1)
STEADY, SPIKE = (40.0, 42.0), 70.0
SUPERSEDED_BY = 100.0  # the first-published revision's value is the final one plus this


def new_tag() -> str:
    return uuid.uuid4().hex[:6].upper()


@dataclass
class Verdict:
    events: int
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.problems

    def problem(self, what: str, examples: list[Any]) -> None:
        if examples:
            self.problems.append(f"{what}: {len(examples)} (e.g. {', '.join(map(str, examples[:3]))})")


@dataclass(frozen=True)
class Truth:
    tag: str
    wards: int = 6
    months: int = 120
    count_kpis: int = 2
    revised_last_month: bool = False  # each counted series' last month is published twice, in reverse order

    # --- the catalogue ---

    @property
    def trust(self) -> str:
        return f"CT-{self.tag}"

    @property
    def ward_codes(self) -> list[str]:
        return [f"CW{i}-{self.tag}" for i in range(self.wards)]

    @property
    def counted(self) -> list[str]:
        return [f"CK{k}-{self.tag}" for k in range(self.count_kpis)]

    @property
    def alerting(self) -> str:
        return f"CA-{self.tag}"

    @property
    def owner(self) -> str:
        return f"chaos-{self.tag.lower()}@hospital.example"

    @property
    def kpis(self) -> list[str]:
        return [*self.counted, self.alerting]

    @property
    def periods(self) -> list[Month]:
        return [FIRST_MONTH + i for i in range(self.months)]

    def keys(self) -> list[str]:
        return [f"{kpi}|{unit}" for kpi in self.kpis for unit in [*self.ward_codes, self.trust]]

    def seed(self, stack: Stack) -> None:
        headers = stack.admin_headers()
        base = f"{stack.url('metrics')}/api/v1"

        def post(path: str, body: dict[str, Any]) -> None:
            response = requests.post(f"{base}{path}", json=body, headers=headers, timeout=30)
            if response.status_code != 201:
                raise RuntimeError(f"POST {path} -> {response.status_code} {response.text[:300]}")

        post("/units", {"code": self.trust, "name": self.trust, "level": "trust"})
        for ward in self.ward_codes:
            post("/units", {"code": ward, "name": ward, "level": "ward", "parent_code": self.trust})
        for kpi in self.counted:
            post("/kpis", {"code": kpi, "name": kpi, "unit_of_measure": "count", "improvement_direction": "decrease",
                           "aggregation": "sum", "owners": []})
        post("/kpis", {"code": self.alerting, "name": self.alerting, "unit_of_measure": "days",
                       "improvement_direction": "decrease", "aggregation": "mean", "owners": [self.owner]})

    # --- the figures ---

    def value(self, kpi: str, ward: int, month: int) -> float:
        if kpi == self.alerting:
            return SPIKE if month == self.months - 1 else STEADY[month % 2]
        return float(10 * (ward + 1) + self.counted.index(kpi) + month % 2)

    def revisions(self, kpi: str, month: int) -> int:
        return 2 if self.revised_last_month and kpi in self.counted and month == self.months - 1 else 1

    # --- the events ---

    def events(self) -> list[Message]:
        """Every series' months in order (interleaved across series, so every partition is busy);
        with ``revised_last_month``, the counted series' last month comes as the later revision
        (its envelope made a day after the other's), superseded in ``corrections``."""
        made = datetime.now(UTC)
        messages = []
        for month, period in enumerate(self.periods):
            for kpi in self.kpis:
                for ward, unit in enumerate(self.ward_codes):
                    value = self.value(kpi, ward, month)
                    if self.revisions(kpi, month) == 2:
                        value += SUPERSEDED_BY
                    messages.append(self._message(kpi, unit, str(period), value, made))
        return messages

    def corrections(self) -> list[Message]:
        """The earlier revision of each counted series' last month (made a day before the one in
        ``events``), published after it: the last one published is the month's value."""
        if not self.revised_last_month:
            return []
        made, last = datetime.now(UTC) - timedelta(days=1), self.months - 1
        return [self._message(kpi, unit, str(self.periods[last]), self.value(kpi, ward, last), made)
                for kpi in self.counted for ward, unit in enumerate(self.ward_codes)]

    def event_count(self) -> int:
        return len(self.kpis) * self.wards * self.months + len(self.corrections())

    @staticmethod
    def _message(kpi: str, unit: str, period: str, value: float, made: datetime) -> Message:
        event = new_event("measure.recorded", {"kpi_code": kpi, "unit_code": unit, "period": period, "value": value,
                                               "source": "chaos-feed"}, source="urn:wtgr:feed:chaos", now=made)
        return Message(f"{kpi}|{unit}".encode(), event.to_json(), topics.MEASURES)

    # --- what the platform must hold ---

    def expected_measures(self) -> dict[tuple[str, str, date], tuple[float, int]]:
        """(KPI, ward, month) -> (its value, how many revisions)."""
        return {(kpi, unit, period.first_day): (self.value(kpi, ward, month), self.revisions(kpi, month))
                for kpi in self.kpis for ward, unit in enumerate(self.ward_codes)
                for month, period in enumerate(self.periods)}

    def expected_values(self) -> dict[tuple[str, str, date], float]:
        """Every unit's value per KPI and month, the trust's rolled up (sum, or mean)."""
        values = {key: value for key, (value, _) in self.expected_measures().items()}
        for kpi in self.kpis:
            for month, period in enumerate(self.periods):
                wards = [self.value(kpi, ward, month) for ward in range(self.wards)]
                values[(kpi, self.trust, period.first_day)] = (
                    sum(wards) / len(wards) if kpi == self.alerting else float(sum(wards)))
        return values

    def expected_alerts(self) -> set[str]:
        return {*self.ward_codes, self.trust}

    def expected_chart(self, kpi: str, unit: str, values: dict[tuple[str, str, date], float]) -> dict[str, Any]:
        series = [values[(kpi, unit, period.first_day)] for period in self.periods]
        days = [period.first_day for period in self.periods]
        # every month is long over and every ward reports it: none is provisional
        if auto_chart_type(len(series)) == RUN:
            return {**chart_json(run_chart(series), days), "provisional": []}
        options = SpcOptions(improvement_direction="decrease", target=[None] * len(series))
        return {**json.loads(json.dumps(chart_json(xmr_chart(series, options), days))), "provisional": []}

    # --- the comparison ---

    def check(self, stack: Stack, mailbox: Mailbox, events: int | None = None) -> Verdict:
        verdict = Verdict(events if events is not None else self.event_count())
        with stack.db() as conn:
            self._check_measures(conn, verdict)
            self._check_values_and_charts(conn, verdict)
            self._check_downstream(conn, verdict)
            sent = self._check_alerts(conn, verdict)
        self._check_mailbox(mailbox, sent, verdict)
        return verdict

    def _check_measures(self, conn: Any, verdict: Verdict) -> None:
        stored: dict[tuple[str, str, date], list[dict[str, Any]]] = {}
        for row in conn.execute("SELECT kpi_code, unit_code, period, revision, value FROM metrics.measures"
                                " WHERE kpi_code = ANY(%s) ORDER BY revision", (self.kpis,)):
            stored.setdefault((row["kpi_code"], row["unit_code"], row["period"]), []).append(row)
        expected = self.expected_measures()
        wrong = []
        for key, (value, revisions) in expected.items():
            rows = stored.get(key, [])
            verdict.duplicated += max(0, len(rows) - revisions)
            missing = max(0, revisions - len(rows))
            if not missing and rows[-1]["value"] != value:
                missing = 1
                wrong.append(key)
            verdict.lost += missing
        verdict.duplicated += sum(len(rows) for key, rows in stored.items() if key not in expected)
        verdict.problem("months whose latest revision is not the one published last", wrong)

    def _check_values_and_charts(self, conn: Any, verdict: Verdict) -> None:
        expected = self.expected_values()
        stored = {(r["kpi_code"], r["unit_code"], r["period"]): r["value"] for r in conn.execute(
            "SELECT kpi_code, unit_code, period, value FROM metrics.kpi_values WHERE kpi_code = ANY(%s)", (self.kpis,))}
        verdict.problem("unit-months whose value or roll-up is wrong or missing",
                        [key for key, value in expected.items() if not _close(stored.get(key), value)])
        verdict.problem("unit-months that should not exist", [key for key in stored if key not in expected])
        charts = {(r["kpi_code"], r["unit_code"]): r["chart"] for r in conn.execute(
            "SELECT kpi_code, unit_code, chart FROM metrics.spc_charts WHERE kpi_code = ANY(%s)", (self.kpis,))}
        wrong = [(kpi, unit) for kpi in self.kpis for unit in [*self.ward_codes, self.trust]
                 if not _same(charts.get((kpi, unit)), self.expected_chart(kpi, unit, expected))]
        verdict.problem("charts not as drawn from the expected series", wrong)
        waiting = conn.execute("SELECT (SELECT count(*) FROM metrics.rollup_queue WHERE kpi_code = ANY(%(k)s))"
                               " + (SELECT count(*) FROM metrics.chart_queue WHERE kpi_code = ANY(%(k)s)) AS n",
                               {"k": self.kpis}).fetchone()["n"]
        verdict.problem("aggregation queue rows still waiting", [waiting] if waiting else [])

    def _check_downstream(self, conn: Any, verdict: Verdict) -> None:
        """Every event the charts caused (metrics' outbox) is published and handled by notifications
        once; no email is written twice for one event."""
        rows = conn.execute("SELECT event_id::text AS id, published_at IS NOT NULL AS published FROM metrics.outbox"
                            " WHERE key = ANY(%s)", (self.keys(),)).fetchall()
        ids = [row["id"] for row in rows]
        verdict.problem("kpi events not yet published by the metrics relay", [r["id"] for r in rows
                                                                              if not r["published"]])
        handled = {r["event_id"] for r in conn.execute(
            "SELECT event_id FROM notifications.handled_events WHERE event_id = ANY(%s)", (ids,))}
        lost = [event_id for event_id in ids if event_id not in handled]
        verdict.lost += len(lost)
        verdict.problem("kpi events notifications never handled", lost)
        twice = conn.execute("SELECT caused_by, count(*) AS n FROM notifications.emails WHERE caused_by = ANY(%s)"
                             " GROUP BY caused_by HAVING count(*) > 1", (ids,)).fetchall()
        verdict.duplicated += sum(r["n"] - 1 for r in twice)

    def _check_alerts(self, conn: Any, verdict: Verdict) -> Counter[str]:
        """Alerts told to the owner, one per expected unit (a notification each; the levels of one
        month share an email, gathered by the notification hub), each in an email that was sent;
        the subjects of the owner's emails the log says were sent."""
        told = conn.execute("SELECT n.subject, e.status FROM notifications.notifications n"
                            " LEFT JOIN notifications.emails e ON e.id = n.email_id"
                            " WHERE n.person = %s AND n.event_type = 'kpi.special_cause_detected'",
                            (self.owner,)).fetchall()
        alerts = Counter(_alerted_unit(row["subject"]) for row in told)
        expected = self.expected_alerts()
        verdict.lost += sum(1 for unit in expected if alerts[unit] == 0)
        verdict.duplicated += sum(count - 1 for unit, count in alerts.items() if unit in expected and count > 1)
        verdict.problem("alerts no one expected", sorted(unit for unit in alerts if unit not in expected))
        verdict.problem("alerts not emailed yet", [row["subject"] for row in told if row["status"] != "sent"])
        emails = conn.execute("SELECT subject, status FROM notifications.emails WHERE person = %s",
                              (self.owner,)).fetchall()
        verdict.problem("emails not sent yet", [e["subject"] for e in emails if e["status"] != "sent"])
        return Counter(e["subject"] for e in emails if e["status"] == "sent")

    def _check_mailbox(self, mailbox: Mailbox, sent: Counter[str], verdict: Verdict) -> None:
        """Every email the log says was sent is in the mailbox once: one missing is lost, one
        more is duplicated."""
        received = Counter(mailbox.subjects(self.owner))
        verdict.duplicated += sum((received - sent).values())
        missing = sorted((sent - received).elements())
        verdict.lost += len(missing)
        verdict.problem("emails the log says were sent, not in the mailbox", missing)


def _alerted_unit(subject: str) -> str:
    """The unit an alert's subject names: "[WTGR alert] <kpi> for <unit>: special cause ..." (unit
    names are their codes here)."""
    return subject.split(" for ", 1)[1].split(":", 1)[0] if " for " in subject else subject


def _close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _same(a: Any, b: Any) -> bool:
    """Equal, floats within 1e-9 (a chart stored as JSON against one drawn now)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)
