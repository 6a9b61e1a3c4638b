import json

import pytest

from shared.events import REGISTRY, Envelope, EnvelopeError, PayloadError, new_event

MEASURE = {"kpi_code": "ALOS", "unit_code": "WARD-7", "period": "2026-09", "value": 4.2, "source": "pas"}


def test_an_event_survives_the_trip_through_json_unchanged():
    event = new_event("measure.recorded", MEASURE, source="urn:test", subject="ALOS|WARD-7", correlationid="c-1")
    assert Envelope.from_json(event.to_json()) == event


def test_the_envelope_is_cloudevents_structured_mode_with_a_versioned_dataschema():
    body = json.loads(new_event("measure.recorded", MEASURE, source="urn:test").to_json())
    assert body["specversion"] == "1.0"
    assert body["datacontenttype"] == "application/json"
    assert body["dataschema"] == "urn:wtgr:event:measure.recorded:1"
    assert {"id", "source", "type", "time", "data"} <= set(body)


def test_every_new_event_gets_its_own_id():
    first, second = (new_event("measure.recorded", MEASURE, source="s") for _ in range(2))
    assert first.id != second.id


def cloudevent(**changes: object) -> bytes:
    body = {"specversion": "1.0", "id": "1", "source": "s", "type": "measure.recorded",
            "time": "2026-01-01T00:00:00Z", "dataschema": "urn:wtgr:event:measure.recorded:1", "data": {}}
    return json.dumps({**body, **changes}).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"specversion": "1.0"}', "missing CloudEvents attributes"),
        (cloudevent(specversion="0.3"), "specversion"),
        (cloudevent(dataschema="urn:wtgr:event:kpi.updated:1"), "dataschema"),
        (cloudevent(time="yesterday"), "RFC 3339"),
        (cloudevent(data=[1]), "data must be a JSON object"),
    ],
)
def test_anything_but_a_wtgr_cloudevent_is_refused_with_its_reason(raw, reason):
    with pytest.raises(EnvelopeError, match=reason):
        Envelope.from_json(raw)


def test_a_payload_that_breaks_its_schema_is_refused_field_by_field():
    event = new_event("measure.recorded", {**MEASURE, "period": "2026-13", "value": "lots"}, source="s")
    with pytest.raises(PayloadError) as refused:
        REGISTRY.load(event)
    assert set(refused.value.errors) == {"period", "value"}


def test_a_ratio_measure_needs_both_numerator_and_denominator():
    event = new_event("measure.recorded", {**MEASURE, "numerator": 3}, source="s")
    with pytest.raises(PayloadError, match="denominator"):
        REGISTRY.load(event)


def test_no_service_can_emit_an_event_that_breaks_its_own_schema():
    with pytest.raises(PayloadError):
        REGISTRY.dump("kpi.updated", {"kpi_code": "ALOS"})


KPI_UPDATED = {"kpi_code": "ALOS", "kpi_name": "Average length of stay", "unit_code": "W7", "unit_name": "Ward 7",
               "period": "2026-10", "value": 4.13, "revision": 1, "unit_of_measure": "days",
               "owners": ["alice@hospital.example"], "source": "pas"}


def test_a_kpi_updated_of_an_earlier_producer_reads_as_an_xmr_chart():
    event = new_event("kpi.updated", {**KPI_UPDATED, "mean": 4.5, "lpl": 3.9, "upl": 5.1}, source="urn:test")
    data = REGISTRY.load(event)
    assert (data["chart_type"], data["median"], data["runs_signal"]) == ("xmr", None, None)


def test_a_kpi_updated_of_a_run_chart_carries_its_median_and_no_limits_or_icons():
    run = {**KPI_UPDATED, "chart_type": "run", "median": 4.2, "runs_signal": False, "mean": None, "lpl": None,
           "upl": None, "point_type": None, "variation_icon": None, "assurance_icon": None}
    assert REGISTRY.dump("kpi.updated", run) == run
    assert REGISTRY.load(new_event("kpi.updated", run, source="urn:test")).items() >= run.items()
    with pytest.raises(PayloadError):
        REGISTRY.dump("kpi.updated", {**run, "chart_type": "bar"})


def test_a_consumer_reads_an_internal_event_with_a_field_it_does_not_know_yet():
    event = new_event("kpi.updated", {**KPI_UPDATED, "added_later": {"any": "thing"}}, source="urn:test")
    data = REGISTRY.load(event)
    assert "added_later" not in data and data["kpi_code"] == "ALOS"


def test_a_feed_measure_with_a_field_the_contract_does_not_define_is_refused():
    event = new_event("measure.recorded", {"kpi_code": "ALOS", "unit_code": "W7", "period": "2026-10", "value": 4.1,
                                           "source": "pas", "numerater": 3}, source="urn:test")
    with pytest.raises(PayloadError, match="numerater"):
        REGISTRY.load(event)
