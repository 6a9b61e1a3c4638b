import uuid

import pytest

pytestmark = pytest.mark.integration

NHS_NUMBER = "943 476 5919"  # valid check digit


def test_a_measure_note_with_an_nhs_number_is_a_422_naming_the_field_and_nothing_is_stored(
        metrics_client, bearer, catalogue):
    response = metrics_client.post("/api/v1/measures", headers=bearer("feed"), json={
        "kpi_code": catalogue["kpi"], "unit_code": catalogue["ward"], "period": "2026-09", "value": 4.5,
        "source": "pas-feed", "note": f"outlier: patient {NHS_NUMBER} stayed 90 days"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]["note"] == [
        "appears to contain an NHS number; remove it: this text must not identify a patient"]
    revisions = metrics_client.get(
        f"/api/v1/kpis/{catalogue['kpi']}/units/{catalogue['ward']}/measures/2026-09/revisions",
        headers=bearer("staff"))
    assert revisions.status_code == 404 or revisions.get_json()["items"] == []


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/kpis", {"code": "K-{suffix}", "name": "Stay", "unit_of_measure": "days",
                      "improvement_direction": "decrease", "description": "after Mrs Jones, LS1 4AP, stayed"},
     "description"),
    ("/api/v1/units", {"code": "U-{suffix}", "name": "Ward of Mr J Smith SW1A 1AA", "level": "trust"}, "name"),
])
def test_a_kpi_or_unit_carrying_patient_data_is_a_422_naming_the_field(metrics_client, bearer, path, body, field):
    suffix = uuid.uuid4().hex[:8].upper()
    body = {key: value.format(suffix=suffix) if isinstance(value, str) else value for key, value in body.items()}
    response = metrics_client.post(path, json=body, headers=bearer("admin"))
    assert response.status_code == 422
    assert "postcode next to a name" in response.get_json()["errors"][field][0]
    assert metrics_client.get(f"{path}/{body['code']}", headers=bearer("admin")).status_code == 404


def test_an_annotation_with_a_date_of_birth_is_refused(metrics_client, bearer, catalogue):
    path = f"/api/v1/kpis/{catalogue['kpi']}/units/{catalogue['ward']}/annotations"
    response = metrics_client.post(path, headers=bearer("admin"),
                                   json={"period": "2026-02", "text": "long stay, DOB 12/03/1961"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["text"][0].startswith("appears to contain a date of birth")
