"""A project's outcome, process and balancing measures: each a series in metrics.

A measure links an existing KPI and unit, or defines a project measure: metrics creates it as a
KPI from project.measure_linked, coded ``P-<first 8 hex of the project id>-<n>``, on the project's
unit (or TRUST), owned by the project's lead.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.projects.adapters import store
from services.projects.domain import measures as rules
from services.projects.domain.projects import check_editable, check_may_work_on, lead_of
from services.projects.service_layer.common import Caller, emit, find_project
from shared import audit
from shared.db import UnitOfWork


def link_measure(uow: UnitOfWork, project_id: str, fields: dict[str, Any], caller: Caller) -> dict[str, Any]:
    project = find_project(uow, project_id, for_update=True)
    check_may_work_on(project["team"], caller.subject, caller.is_qi_lead)
    check_editable(project["stage"])
    lead = lead_of(project["team"])
    rules.check_measure(fields, lead)
    if fields["kind"] == rules.OUTCOME and store.outcome_measure(uow, project_id) is not None:
        raise rules.MeasureRefusedConflict("the project already has its outcome measure")
    measure = {**dict.fromkeys(("unit_of_measure", "direction", "description")), **fields,
               "id": str(uuid.uuid4()), "project_id": project_id, "linked_by": caller.subject}
    if fields.get("define"):
        number = store.next_measure_number(uow, project_id)
        measure |= {"created": True, "kpi_code": rules.project_kpi_code(project_id, number),
                    "unit_code": project["unit_code"] or rules.TRUST}
    else:
        measure |= {"created": False, "unit_of_measure": None, "direction": None}
        rules.check_series_known(store.series(uow, fields["kpi_code"], fields["unit_code"]), fields["kpi_code"],
                                 fields["unit_code"])
        if store.measure_linked(uow, project_id, fields["kpi_code"], fields["unit_code"]):
            raise rules.MeasureRefusedConflict("the project already measures this KPI and unit")
    row = store.add_measure(uow, measure)
    audit.record(uow, "project.measure_linked", "project", project_id)
    emit(uow, "project.measure_linked", project_id, {
        "measure_id": row["id"], "kind": row["kind"], "name": row["name"], "kpi_code": row["kpi_code"],
        "unit_code": row["unit_code"], "created": row["created"], "unit_of_measure": row["unit_of_measure"],
        "direction": row["direction"], "description": row["description"],
        **({"owner": lead["subject"], "owner_email": lead.get("email")} if lead and row["created"] else {})})
    return row
