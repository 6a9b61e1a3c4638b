from datetime import UTC, date, datetime, timedelta

import pytest

from services.ideas.domain.ideas import (
    CampaignClosed,
    CommentLocked,
    MergeRefused,
    NotYoursToDecide,
    ReasonRequired,
    TransitionRefused,
    VoteRefused,
    check_campaign_open,
    check_comment_edit,
    check_may_move,
    check_merge,
    check_open_for_votes,
    check_transition,
    first_stage,
    moves_for,
    stage_after_project_completed,
    stage_after_project_created,
)


def test_a_public_idea_waits_for_moderation_and_a_staff_one_does_not():
    assert first_stage("public") == "moderation"
    assert first_stage("staff") == "submitted"
    assert first_stage("anonymous") == "submitted"


@pytest.mark.parametrize(("current", "target"), [
    ("moderation", "submitted"),
    ("submitted", "under_review"),
    ("under_review", "accepted"),
])
def test_an_idea_moves_one_step_at_a_time(current, target):
    check_transition(current, target, None)


@pytest.mark.parametrize(("current", "target"), [
    ("moderation", "under_review"),
    ("submitted", "accepted"),
    ("under_review", "submitted"),
    ("accepted", "declined"),
    ("declined", "under_review"),
    ("merged", "submitted"),
    ("accepted", "in_progress"),
])
def test_an_idea_cannot_skip_a_step_go_back_leave_a_decision_or_start_a_project_by_hand(current, target):
    with pytest.raises(TransitionRefused):
        check_transition(current, target, "because")


@pytest.mark.parametrize("current", ["moderation", "submitted", "under_review"])
def test_declining_needs_a_reason_at_every_stage_it_can_happen(current):
    with pytest.raises(ReasonRequired):
        check_transition(current, "declined", "  ")
    check_transition(current, "declined", "Already covered by the falls programme")


def test_a_refused_transition_says_what_is_allowed():
    with pytest.raises(TransitionRefused, match="allowed: declined, under_review"):
        check_transition("submitted", "accepted", None)
    with pytest.raises(TransitionRefused, match="none by hand"):
        check_transition("accepted", "declined", "x")


def test_only_an_open_idea_is_merged_and_only_into_another_open_idea():
    check_merge("a", "submitted", "b", "under_review")
    check_merge("a", "under_review", "b", "accepted")
    for source, target in [("accepted", "submitted"), ("moderation", "submitted"), ("submitted", "declined"),
                           ("submitted", "merged"), ("submitted", "moderation")]:
        with pytest.raises(MergeRefused):
            check_merge("a", source, "b", target)
    with pytest.raises(MergeRefused, match="itself"):
        check_merge("a", "submitted", "a", "submitted")


def test_a_campaign_takes_ideas_from_its_opening_day_to_its_closing_day():
    check_campaign_open(date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 1))
    check_campaign_open(date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 31))
    with pytest.raises(CampaignClosed):
        check_campaign_open(date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1))
    with pytest.raises(CampaignClosed):
        check_campaign_open(date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 28))


@pytest.mark.parametrize("stage", ["moderation", "declined", "merged", "implemented"])
def test_ideas_in_moderation_or_final_take_no_votes(stage):
    with pytest.raises(VoteRefused):
        check_open_for_votes(stage)


def test_open_ideas_take_votes():
    for stage in ("submitted", "under_review", "accepted", "in_progress"):
        check_open_for_votes(stage)


def test_a_comment_is_edited_by_its_author_within_fifteen_minutes_unless_hidden():
    written = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    check_comment_edit("ann", "ann", written, False, written + timedelta(minutes=15))
    with pytest.raises(CommentLocked, match="15 minutes"):
        check_comment_edit("ann", "ann", written, False, written + timedelta(minutes=15, seconds=1))
    with pytest.raises(CommentLocked, match="author"):
        check_comment_edit("ann", "bob", written, False, written)
    with pytest.raises(CommentLocked, match="hidden"):
        check_comment_edit("ann", "ann", written, True, written)


def test_projects_move_an_accepted_idea_to_in_progress_then_implemented():
    assert stage_after_project_created("accepted") == "in_progress"
    assert stage_after_project_created("submitted") is None
    assert stage_after_project_completed("in_progress") == "implemented"
    assert stage_after_project_completed("accepted") == "implemented"
    assert stage_after_project_completed("declined") is None


def test_a_qi_lead_may_make_every_next_move_and_a_moderator_only_those_out_of_moderation():
    assert moves_for("under_review", may_decide=True) == ("accepted", "declined")
    assert moves_for("moderation", may_decide=False) == ("declined", "submitted")
    assert moves_for("submitted", may_decide=False) == ()
    assert moves_for("implemented", may_decide=True) == ()


def test_a_moderator_who_is_no_qi_lead_may_not_review_or_decide():
    check_may_move("moderation", may_decide=False)
    with pytest.raises(NotYoursToDecide):
        check_may_move("submitted", may_decide=False)
