"""The KPI notifications speak of figures, units and months as people write them."""

from datetime import date

from services.notifications.domain import messages

UPDATE = {"kpi_code": "ALOS", "kpi_name": "Average length of stay", "unit_code": "W7", "unit_name": "Ward 7",
          "period": "2026-10", "value": 4.13, "previous_value": None, "revision": 1, "unit_of_measure": "days",
          "owners": ["alice@hospital.example"], "source": "pas", "cause": "measure"}
ALERT = {"kpi_code": "FALLS", "kpi_name": "Falls per 1,000 bed days", "unit_code": "W12", "unit_name": "Ward 12",
         "period": "2026-10", "signal_start": "2026-09", "special_cause_type": "Above UCL",
         "point_type": "special_cause_concern", "improvement_direction": "decrease", "value": 17.56, "mean": 5.1,
         "lpl": 0.0, "upl": 11.2, "unit_of_measure": "rate_per_1000_bed_days", "owners": ["fran@hospital.example"]}


def test_a_new_month_names_the_kpi_the_unit_the_month_and_the_value_with_its_unit():
    item = messages.kpi_updated(UPDATE)
    assert item is not None
    assert item.subject == "[WTGR] Average length of stay for Ward 7, October 2026: 4.13 days"
    assert "was recorded: 4.13 days." in item.body
    assert "2026-10" not in item.subject + item.body


def test_a_revision_says_what_the_value_was():
    item = messages.kpi_updated({**UPDATE, "revision": 2, "previous_value": 4.45})
    assert item is not None and "revised: 4.13 days (it was 4.45 days)." in item.body


def test_roll_ups_say_nothing_themselves():
    assert messages.kpi_updated({**UPDATE, "cause": "rebase"}) is None


def test_an_alert_names_the_rule_in_words_and_the_kind_of_special_cause():
    alert = messages.special_cause_detected(ALERT)
    assert alert.subject == ("[WTGR alert] Falls per 1,000 bed days for Ward 12: special cause (concern) "
                             "in October 2026")
    assert "17.56 per 1,000 bed days in October 2026" in alert.body
    assert "Rule: a month above the upper process limit (since September 2026)." in alert.body
    assert "Better is lower." in alert.body


def test_alerts_at_several_levels_share_one_subject_naming_them():
    assert messages.alert_group_subject("Average length of stay", "2026-09", 4) == (
        "[WTGR alert] Average length of stay: special cause in September 2026 at 4 levels of the hierarchy")


def test_an_update_on_a_short_series_describes_its_run_chart():
    item = messages.kpi_updated({**UPDATE, "latest_period": "2026-10", "chart_type": "run", "median": 4.2,
                                 "runs_signal": False, "mean": None, "lpl": None, "upl": None})
    assert item is not None
    assert ("Run chart at October 2026 (fewer than 13 months, too few for process limits): median 4.2 days, "
            "no sign of non-random variation") in item.body


def test_an_update_on_an_xmr_chart_gives_its_variation_mean_and_limits():
    item = messages.kpi_updated({**UPDATE, "latest_period": "2026-10", "chart_type": "xmr", "mean": 4.5,
                                 "lpl": 3.9, "upl": 5.1, "point_type": "special_cause_concern"})
    assert item is not None
    assert "SPC chart at October 2026: special cause concern, mean 4.5 days, process limits 3.9 to 5.1 days" \
        in item.body


def test_an_overdue_measure_gives_its_deadline_as_a_date():
    item = messages.measure_overdue({**UPDATE, "expected_by": date(2026, 11, 15)})
    assert item.subject == "[WTGR] Overdue: Average length of stay for Ward 7, October 2026"
    assert "expected by 15 November 2026" in item.body
