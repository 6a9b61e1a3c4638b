"""The metrics service's lists, each with its one sort (primary key last) and its filters, paged by
``shared.pagination.page``. Migration 0011 holds the indexes the history lists need; the others
are served by primary keys (and ``measures``' own key for a series)."""

from __future__ import annotations

from services.metrics.adapters.signal_store import PROJECT_SIGNALS, SIGNAL_HISTORY, SIGNALS  # noqa: F401 (listed here)
from services.metrics.adapters.store import KPI_COLUMNS
from shared.pagination import Listing

# The catalogue, by code; a CQC key question is a member filter along the code index that includes
# cqc (migration 0022).
KPIS = Listing("kpis", "kpis", KPI_COLUMNS, "code text", members=("cqc",))
UNITS = Listing("units", "units", "code, name, level, parent_code", "code text")

# One KPI's series for one unit, oldest month first: bounded by design (a row a month).
SERIES = Listing("series", "current_measures",
                 "period, value, numerator, denominator, revision, source, recorded_at", "period date",
                 scope=("kpi_code", "unit_code"))
# Every revision of one month, oldest first.
REVISIONS = Listing("revisions", "measures",
                    "kpi_code, unit_code, period, revision, value, numerator, denominator, source, recorded_by, "
                    "note, event_id, recorded_at", "revision integer", scope=("kpi_code", "unit_code", "period"))

# Edits, targets and placements of one KPI or unit, oldest first.
KPI_HISTORY = Listing("kpi-history", "kpi_history", "id, changed_by, changed_at, before, after", "id bigint",
                      scope=("kpi_code",))
UNIT_HISTORY = Listing("unit-history", "unit_history", "id, changed_by, changed_at, before, after", "id bigint",
                       scope=("unit_code",))
TARGETS = Listing("targets", "kpi_targets", "effective_from, target, set_by, set_at",
                  "effective_from date, set_at timestamptz", scope=("kpi_code",))
PLACEMENTS = Listing("placements", "unit_placements",
                     "unit_code, parent_code, effective_from, effective_to, placed_by, placed_at",
                     "effective_from date", scope=("unit_code",))
