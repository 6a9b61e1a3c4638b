from datetime import date

import pytest

from services.projects.adapters.diagram_svg import describe, render_diagram_svg
from services.projects.domain.diagram import NodeInUse, NodeRefused, check_deletable, check_parent, tree
from services.projects.domain.measures import MeasureRefused, MeasureRefusedConflict, check_measure, project_kpi_code
from services.projects.domain.pdsa import (
    CycleRefused,
    CycleStepRefused,
    check_can_move,
    check_can_plan,
    check_change_idea,
    check_ended_on,
    check_follows,
    check_started_on,
)

TODAY = date(2026, 9, 15)
ROWS = [
    {"id": "p1", "kind": "primary", "title": "Reliable risk assessment", "parent_id": None},
    {"id": "s1", "kind": "secondary", "title": "Handover routine", "parent_id": "p1"},
    {"id": "c1", "kind": "change_idea", "title": "Falls check at handover", "parent_id": "s1"},
    {"id": "c2", "kind": "change_idea", "title": "Bed sensors <night>", "parent_id": "s1"},
    {"id": "p2", "kind": "primary", "title": "Safe environment", "parent_id": None},
]


@pytest.mark.parametrize(("kind", "parent"), [("primary", None), ("secondary", {"kind": "primary"}),
                                              ("change_idea", {"kind": "secondary"})])
def test_each_kind_of_node_hangs_from_the_kind_above_it(kind, parent):
    check_parent(kind, parent)


@pytest.mark.parametrize(("kind", "parent"), [
    ("primary", {"kind": "primary"}), ("secondary", None), ("change_idea", {"kind": "primary"}),
    ("secondary", {"kind": "secondary"}),
])
def test_a_node_under_the_wrong_kind_is_refused_naming_the_parent(kind, parent):
    with pytest.raises(NodeRefused) as refused:
        check_parent(kind, parent)
    assert refused.value.field == "parent_id"


def test_a_node_with_children_or_cycles_is_not_deleted():
    check_deletable(0, 0)
    for children, cycles in ((1, 0), (0, 2)):
        with pytest.raises(NodeInUse):
            check_deletable(children, cycles)


def test_rows_become_a_tree_in_their_order():
    roots = tree(ROWS)
    assert [root.id for root in roots] == ["p1", "p2"]
    assert [child.id for child in roots[0].children[0].children] == ["c1", "c2"]


def test_the_svg_is_an_accessible_image_saying_the_tree_in_words_with_text_escaped():
    svg = render_diagram_svg("Fewer falls & more", "Halve night falls", tree(ROWS))
    assert 'role="img"' in svg and 'aria-labelledby="diagram-title diagram-desc"' in svg
    assert "<title id=\"diagram-title\">Driver diagram: Fewer falls &amp; more</title>" in svg
    assert "Bed sensors &lt;night&gt;" in svg and "<night>" not in svg
    assert svg.count('class="node change_idea"') == 2
    assert svg.count('class="link"') == 5  # the aim to 2 primary drivers, p1 to s1, s1 to 2 change ideas


def test_the_description_walks_every_driver_and_change_idea():
    text = describe("Halve night falls", tree(ROWS))
    assert text.startswith("Aim: Halve night falls. Primary driver: Reliable risk assessment (secondary driver:")
    assert "change idea: Falls check at handover; change idea: Bed sensors <night>" in text
    assert describe("Aim", []) == "Aim: Aim. No drivers yet."


def test_an_empty_diagram_still_draws_the_aim():
    assert "Halve night falls" in render_diagram_svg("T", "Halve night falls", [])


def test_project_measure_codes_take_the_first_eight_hex_of_the_project_and_a_number():
    assert project_kpi_code("9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40", 2) == "P-9b2e4d71-2"


def test_a_defined_measure_needs_its_unit_direction_and_a_lead_and_a_linked_one_its_kpi_and_unit():
    lead = {"subject": "lee"}
    check_measure({"define": True, "unit_of_measure": "count", "direction": "lower_is_better"}, lead)
    check_measure({"kpi_code": "ALOS", "unit_code": "WARD-7"})
    with pytest.raises(MeasureRefused):
        check_measure({"define": True, "unit_of_measure": "count"}, lead)
    with pytest.raises(MeasureRefusedConflict):
        check_measure({"define": True, "unit_of_measure": "count", "direction": "lower_is_better"}, None)
    with pytest.raises(MeasureRefused):
        check_measure({"kpi_code": "ALOS"})


def test_cycles_are_planned_on_approved_or_active_projects_and_run_on_active_ones():
    check_can_plan("approved")
    check_can_plan("active")
    with pytest.raises(CycleStepRefused):
        check_can_plan("submitted")
    check_can_move("active", "planned", "running")
    check_can_move("active", "running", "completed")
    for stage, status, target in (("approved", "planned", "running"), ("active", "planned", "completed"),
                                  ("active", "completed", "running")):
        with pytest.raises(CycleStepRefused):
            check_can_move(stage, status, target)


def test_a_cycle_tests_a_change_idea_and_follows_a_completed_cycle_of_the_same_idea():
    check_change_idea({"kind": "change_idea"})
    for node in (None, {"kind": "secondary"}):
        with pytest.raises(CycleRefused):
            check_change_idea(node)
    check_follows({"status": "completed", "change_idea_id": "c1"}, "c1")
    for previous in (None, {"status": "running", "change_idea_id": "c1"},
                     {"status": "completed", "change_idea_id": "c2"}):
        with pytest.raises(CycleRefused) as refused:
            check_follows(previous, "c1")
        assert refused.value.field == "follows_cycle_id"


def test_a_cycle_starts_no_later_than_today_and_ends_between_its_start_and_today():
    check_started_on(TODAY, TODAY)
    with pytest.raises(CycleRefused):
        check_started_on(date(2026, 9, 16), TODAY)
    check_ended_on(date(2026, 9, 1), TODAY, TODAY)
    for ended in (date(2026, 8, 31), date(2026, 9, 16)):
        with pytest.raises(CycleRefused):
            check_ended_on(date(2026, 9, 1), ended, TODAY)
