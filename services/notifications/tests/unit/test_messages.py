from services.notifications.domain import messages

UPDATE = {"kpi_code": "ALOS", "kpi_name": "Average length of stay", "unit_code": "W7", "unit_name": "Ward 7",
          "period": "2026-10", "value": 4.13, "previous_value": None, "revision": 1, "unit_of_measure": "days",
          "owners": ["alice@hospital.example"], "source": "pas", "cause": "measure"}


def test_the_owners_hear_of_a_units_own_new_month():
    message = messages.kpi_updated(UPDATE)
    assert message is not None
    assert message.recipients == ("alice@hospital.example",)
    assert message.subject == "[WTGR] Average length of stay for Ward 7, 2026-10: 4.13"
    assert "recorded" in message.body


def test_a_revision_says_what_the_value_was():
    message = messages.kpi_updated({**UPDATE, "revision": 2, "previous_value": 4.45})
    assert message is not None and "revised" in message.body and "(was 4.45)" in message.body


def test_roll_ups_and_kpis_without_owners_email_no_one():
    assert messages.kpi_updated({**UPDATE, "cause": "rollup"}) is None
    assert messages.kpi_updated({**UPDATE, "owners": []}) is None


def test_an_update_on_a_short_series_describes_its_run_chart():
    message = messages.kpi_updated({**UPDATE, "latest_period": "2026-10", "chart_type": "run", "median": 4.2,
                                    "runs_signal": False, "mean": None, "lpl": None, "upl": None,
                                    "point_type": None, "variation_icon": None, "assurance_icon": None})
    assert message is not None
    assert ("Run chart at 2026-10 (fewer than 13 months, too few for process limits): median 4.2, "
            "no sign of non-random variation") in message.body
    assert "mean" not in message.body and "limits " not in message.body


def test_a_run_chart_whose_runs_signal_says_so():
    message = messages.kpi_updated({**UPDATE, "chart_type": "run", "median": 4.2, "runs_signal": True})
    assert message is not None and "median 4.2, non-random variation (Anhøj rules)" in message.body


def test_an_update_on_an_xmr_chart_gives_its_variation_mean_and_limits():
    message = messages.kpi_updated({**UPDATE, "latest_period": "2026-10", "chart_type": "xmr", "mean": 4.5,
                                    "lpl": 3.9, "upl": 5.1, "point_type": "special_cause_concern", "median": None,
                                    "runs_signal": None})
    assert message is not None
    assert "SPC chart at 2026-10: special cause concern, mean 4.5, process limits 3.9 to 5.1" in message.body
    assert "Run chart" not in message.body


def test_an_update_from_a_producer_that_sends_no_chart_says_nothing_of_one():
    message = messages.kpi_updated(UPDATE)
    assert message is not None and "chart" not in message.body.lower()
