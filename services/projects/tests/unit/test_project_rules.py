import pytest

from services.projects.domain.projects import (
    IdeaAlreadyHasAProject,
    NotOnTheTeam,
    ProjectRefused,
    StageRefused,
    check_aim,
    check_editable,
    check_idea,
    check_may_work_on,
    check_move_says_enough,
    check_ready_to_approve,
    check_stage_move,
    check_team,
)

LEAD = {"subject": "lee", "name": "Lee", "email": "lee@trust.example", "role": "lead"}
SPONSOR = {"subject": "sam", "name": "Sam", "email": "sam@trust.example", "role": "sponsor"}
MEMBER = {"subject": "mo", "name": "Mo", "email": "mo@trust.example", "role": "member"}
COMPLETE_AIM = {"aim": "Fewer falls", "aim_measure": "falls per 1,000 bed days", "aim_baseline": 8.0,
                "aim_target": 4.0, "aim_by": "2026-09-30", "team": [LEAD]}


@pytest.mark.parametrize(("current", "target"), [
    ("submitted", "approved"), ("approved", "active"), ("active", "completed"),
    ("submitted", "stopped"), ("approved", "stopped"), ("active", "stopped"),
])
def test_a_project_moves_through_the_approval_gate_or_stops(current, target):
    check_stage_move(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("submitted", "active"), ("submitted", "completed"), ("approved", "completed"), ("active", "approved"),
    ("completed", "stopped"), ("stopped", "active"), ("active", "active"),
])
def test_a_project_cannot_skip_the_gate_go_back_or_move_once_ended(current, target):
    with pytest.raises(StageRefused):
        check_stage_move(current, target)


@pytest.mark.parametrize(("target", "field"), [("approved", "note"), ("stopped", "reason"),
                                               ("completed", "results"), ("completed", "learning")])
def test_approval_needs_a_note_stopping_a_reason_and_completion_results_and_learning(target, field):
    said = {"note": "ok", "reason": "why", "results": "r", "learning": "l", field: "   "}
    with pytest.raises(ProjectRefused) as refused:
        check_move_says_enough(target, said)
    assert refused.value.field == field


def test_starting_needs_nothing_said():
    check_move_says_enough("active", {})


def test_only_a_project_with_a_complete_aim_and_a_lead_can_be_approved():
    check_ready_to_approve(COMPLETE_AIM)
    with pytest.raises(StageRefused, match="aim_measure"):
        check_ready_to_approve({**COMPLETE_AIM, "aim_measure": None})
    with pytest.raises(StageRefused, match="lead"):
        check_ready_to_approve({**COMPLETE_AIM, "team": [MEMBER]})


@pytest.mark.parametrize("team", [[MEMBER], [LEAD, {**LEAD, "subject": "other"}],
                                  [LEAD, SPONSOR, {**SPONSOR, "subject": "sue"}], [LEAD, {**MEMBER, "subject": "lee"}]])
def test_a_team_has_one_lead_at_most_one_sponsor_and_each_person_once(team):
    with pytest.raises(ProjectRefused) as refused:
        check_team(team)
    assert refused.value.field == "team"


def test_a_team_with_a_lead_a_sponsor_and_members_is_fine():
    check_team([LEAD, SPONSOR, MEMBER])


def test_an_aim_says_by_how_much():
    check_aim({"aim_baseline": 8.0, "aim_target": 4.0})
    with pytest.raises(ProjectRefused):
        check_aim({"aim_baseline": 8.0, "aim_target": 8.0})


@pytest.mark.parametrize("stage", ["completed", "stopped"])
def test_an_ended_project_can_no_longer_be_changed(stage):
    check_editable("active")
    with pytest.raises(StageRefused):
        check_editable(stage)


def test_a_project_comes_only_from_a_known_accepted_idea():
    check_idea({"stage": "accepted"}, "i-1")
    for idea in (None, {"stage": "declined"}, {"stage": "submitted"}):
        with pytest.raises(ProjectRefused) as refused:
            check_idea(idea, "i-1")
        assert refused.value.field == "idea_id"


def test_a_second_project_from_one_idea_is_a_conflict_not_bad_input():
    from shared.errors import Conflict
    assert issubclass(IdeaAlreadyHasAProject, Conflict)


def test_qi_leads_work_on_every_project_and_others_only_in_their_role():
    check_may_work_on([LEAD], "anyone", is_qi_lead=True)
    check_may_work_on([LEAD, MEMBER], "mo", is_qi_lead=False)
    with pytest.raises(NotOnTheTeam):
        check_may_work_on([LEAD, SPONSOR], "sam", is_qi_lead=False)
    with pytest.raises(NotOnTheTeam):
        check_may_work_on([LEAD, MEMBER], "mo", is_qi_lead=False, roles=("lead",))
