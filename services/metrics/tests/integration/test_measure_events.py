import pytest

from services.metrics.bootstrap import event_handlers
from shared.consumer import RejectEvent
from shared.db import unit_of_work
from shared.events import REGISTRY, new_event

pytestmark = pytest.mark.integration


def handle(state, event):
    handler = event_handlers(state.settings, state.pool)[event.type]
    with unit_of_work(state.pool, "metrics") as uow:
        handler(uow, event, REGISTRY.load(event))


def test_a_measure_event_from_a_feed_is_stored_like_a_posted_one(metrics_state, metrics_client, catalogue):
    event = new_event("measure.recorded", {"kpi_code": catalogue["kpi"], "unit_code": catalogue["ward"],
                                           "period": "2026-08", "value": 5.0, "source": "pas"}, source="urn:feed:pas")
    handle(metrics_state, event)
    [stored] = metrics_client.get(
        f"/api/v1/kpis/{catalogue['kpi']}/units/{catalogue['ward']}/measures/2026-08/revisions").get_json()["items"]
    assert stored["event_id"] == event.id
    assert stored["value"] == 5.0


def test_a_measure_event_for_an_unknown_kpi_is_rejected_for_the_dead_letter_topic(metrics_state, catalogue):
    event = new_event("measure.recorded", {"kpi_code": "NOPE", "unit_code": catalogue["ward"],
                                           "period": "2026-08", "value": 5.0, "source": "pas"}, source="urn:feed:pas")
    with pytest.raises(RejectEvent, match="unknown KPI"):
        handle(metrics_state, event)


