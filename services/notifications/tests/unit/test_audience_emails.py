"""Every step of the improvement cycle that concerns someone writes them one clear email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from services.notifications.adapters.templates import EmailTemplates
from services.notifications.domain import notices
from services.notifications.service_layer.delivery import Hub, single_email
from services.notifications.service_layer.handlers import told_for
from services.notifications.service_layer.unsubscribe import Tokens
from shared.events.audience import RELATIONS

PORTAL = "https://wtgr.trust.example/"
HUB = Hub(EmailTemplates(), PORTAL, Tokens("test-secret"), "trust.example")
PAT = {"email": "pat@example.org", "name": "Pat Jones", "relation": "submitter"}
SAM = {"email": "sam@trust.example", "name": None, "relation": "follower"}
LEE = {"email": "lee@trust.example", "name": "Lee Park", "relation": "lead"}
IDEA = {"idea_id": "5d1c1f0e-8f0a-4a39-9a55-0c8f2b1f3a11", "title": "Quieter nights on Ward 7",
        "path": "/ideas/5d1c1f0e-8f0a-4a39-9a55-0c8f2b1f3a11", "audience": [PAT, SAM]}
PROJECT = {"project_id": "8e0b9c1a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "title": "Fewer falls on Ward 7",
           "path": "/projects/8e0b9c1a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "audience": [LEE, PAT]}
SIGNAL = {"signal_id": 41, "kpi_code": "ALOS", "kpi_name": "Length of stay", "unit_code": "WARD-7",
          "unit_name": "Ward 7", "title": "Length of stay for Ward 7: special cause (concern) in 2026-03",
          "path": "/signals/41", "audience": [{"email": "alice@trust.example", "name": None, "relation": "kpi_owner"}]}

STORY_ID = "2f1e0d9c-8b7a-4654-8321-0fedcba98765"
LEARNER = {"email": "sam.nurse@hospital.example", "name": "Sam Nurse", "relation": "learner"}
BOOKING = {"title": "WTGR Bronze: the Model for Improvement", "path": "/training/courses/QI-BRONZE",
           "audience": [LEARNER], "when": "Tuesday 14 April 2026 at 09:30", "where": "Education Centre, Room 2"}

BOARD_PACK = {
    "month": "2026-11", "board_pack_on": date(2026, 12, 14), "recipient": "pas.team@trust.example",
    "relations": ["data_source_owner"], "missing_count": 1, "dead_lettered_count": 1,
    "missing": [{"kpi_code": "ALOS", "kpi_name": "Average length of stay", "unit_code": "WARD-7",
                 "unit_name": "Ward 7 (Acute Medicine)", "data_source": "PAS discharges extract"}],
    "dead_lettered": [{"kpi_code": "ALOS", "unit_code": "WARD-77", "period": "2026-11",
                       "data_source": "PAS discharges extract", "reason": "rejected: unknown unit WARD-77",
                       "dead_lettered_at": datetime(2026, 12, 2, 6, 0, tzinfo=UTC)}],
    "audience": [{"email": "pas.team@trust.example", "name": None, "relation": "data_source_owner"}],
    "title": "Board pack for 2026-11", "path": "/kpis/board-packs/2026-11"}

# One event of every kind that emails someone, with the words its email must carry.
EXAMPLES = {
    "board_pack_feeds_missing": ("board_pack.feeds_missing", BOARD_PACK,
                                 "[WTGR] Before the board pack on 14 December 2026: 1 feed missing for November 2026, "
                                 "1 row not accepted",
                                 "- Average length of stay, Ward 7 (Acute Medicine) (from PAS discharges extract)"),
    "idea_received": ("idea.submitted", {**IDEA, "channel": "public"},
                      "[WTGR] We received your idea: Quieter nights on Ward 7", "A moderator reads every idea"),
    "idea_moderated": ("idea.stage_changed", {**IDEA, "from_stage": "moderation", "to_stage": "submitted"},
                       "[WTGR] Your idea is now visible: Quieter nights on Ward 7", "checked by a moderator"),
    "idea_under_review": ("idea.stage_changed", {**IDEA, "from_stage": "submitted", "to_stage": "under_review"},
                          "[WTGR] Idea under review: Quieter nights on Ward 7", "started reviewing"),
    "idea_accepted": ("idea.stage_changed", {**IDEA, "from_stage": "under_review", "to_stage": "accepted",
                                             "reason": None},
                      "[WTGR] Idea accepted: Quieter nights on Ward 7", "has been accepted"),
    "idea_declined": ("idea.stage_changed", {**IDEA, "from_stage": "under_review", "to_stage": "declined",
                                             "reason": "Ward 7 already dims its lights at 22:00"},
                      "[WTGR] Idea declined: Quieter nights on Ward 7",
                      "Reason: Ward 7 already dims its lights at 22:00"),
    "idea_merged": ("idea.merged", {**IDEA, "into_idea_id": "0f6e2d3c-4b5a-4968-8776-65544332211f"},
                    "[WTGR] Idea merged into a similar one: Quieter nights on Ward 7",
                    "continues as: https://wtgr.trust.example/ideas/0f6e2d3c-4b5a-4968-8776-65544332211f"),
    "idea_commented": ("idea.commented", {**IDEA, "comment_id": "1a2b3c4d-0000-4000-8000-000000000001",
                                          "author": "staff-41"},
                       "[WTGR] New comment on the idea: Quieter nights on Ward 7", "Someone has commented"),
    "idea_in_progress": ("idea.stage_changed", {**IDEA, "from_stage": "accepted", "to_stage": "in_progress"},
                         "[WTGR] Your idea is being worked on: Quieter nights on Ward 7", "project is now working"),
    "idea_implemented": ("idea.stage_changed", {**IDEA, "from_stage": "in_progress", "to_stage": "implemented"},
                         "[WTGR] Idea implemented: Quieter nights on Ward 7", "has been implemented"),
    "project_submitted": ("project.created", {**PROJECT, "stage": "submitted", "directorate": "Medicine"},
                          "[WTGR] QI project awaiting approval: Fewer falls on Ward 7", "(Medicine)"),
    "project_approved": ("project.stage_changed", {**PROJECT, "from_stage": "submitted", "to_stage": "approved",
                                                   "note": "Start with nights", "reason": None},
                         "[WTGR] QI project approved: Fewer falls on Ward 7",
                         "Note from the QI forum: Start with nights"),
    "project_active": ("project.stage_changed", {**PROJECT, "from_stage": "approved", "to_stage": "active"},
                       "[WTGR] QI project under way: Fewer falls on Ward 7", "is now active"),
    "project_stopped": ("project.stage_changed", {**PROJECT, "from_stage": "active", "to_stage": "stopped",
                                                  "reason": "The ward closed"},
                        "[WTGR] QI project stopped: Fewer falls on Ward 7", "Reason: The ward closed"),
    "project_completed": ("project.completed", {**PROJECT, "results": "Falls halved in six months."},
                          "[WTGR] QI project completed: Fewer falls on Ward 7", "Results: Falls halved in six months."),
    "pdsa_started": ("pdsa.cycle_started", {**PROJECT, "cycle_number": 2, "change_idea": "Hourly rounding",
                                            "started_on": date(2026, 3, 2),
                                            "series": [{"kpi_code": "P-8e0b9c1a-1", "unit_code": "WARD-7"}]},
                     "[WTGR] PDSA cycle 2 started: Fewer falls on Ward 7", "Change idea tested: Hourly rounding"),
    "progress_scored": ("project.progress_scored", {**PROJECT, "score": 3.5, "suggested": 3.0},
                        "[WTGR] Progress score 3.5 confirmed: Fewer falls on Ward 7", "(the evidence suggested 3)"),
    "story_drafted": ("story.drafted", {**PROJECT, "story_id": STORY_ID,
                                        "title": "How Ward 7 halved its falls",
                                        "path": "/stories/ward-7-falls", "audience": [LEE]},
                      "[WTGR] Success story drafted for you to edit: How Ward 7 halved its falls",
                      "edit it and publish"),
    "story_published": ("story.published", {**PROJECT, "story_id": STORY_ID,
                                            "title": "How Ward 7 halved its falls",
                                            "summary": "Hourly rounding halved falls.",
                                            "path": "/stories/ward-7-falls"},
                        "[WTGR] Success story published: How Ward 7 halved its falls", "Hourly rounding halved falls."),
    "signal_opened": ("signal.opened", {**SIGNAL, "kind": "special_cause", "period": "2026-03",
                                        "signal_start": "2026-02", "point_type": "special_cause_concern",
                                        "special_cause_type": "Above UCL", "value": 7.9,
                                        "projects": [{"project_id": PROJECT["project_id"], "title": PROJECT["title"]}],
                                        "sustainment": [{"project_id": PROJECT["project_id"], "title": "Home sooner",
                                                         "completed_on": date(2026, 1, 20)}]},
                      "[WTGR alert] Length of stay for Ward 7: special cause (concern) in 2026-03",
                      'The improvement of the QI project "Home sooner", completed on 20 January 2026, is watched'),
    "signal_reminder": ("signal.reminder", {**SIGNAL, "opened_on": date(2026, 4, 1), "working_days": 3},
                        "[WTGR] Reminder: Length of stay for Ward 7: special cause (concern) in 2026-03",
                        "has not been acknowledged after 3 working days"),
    "signal_escalated": ("signal.escalated", {**SIGNAL, "opened_on": date(2026, 4, 1), "working_days": 5},
                         "[WTGR] Escalated: Length of stay for Ward 7: special cause (concern) in 2026-03",
                         "so it is escalated to you"),
    "training_booked": ("training.enrolled", BOOKING,
                        "[WTGR] Training booked: WTGR Bronze: the Model for Improvement, Tuesday 14 April 2026 "
                        "at 09:30",
                        "Where: Education Centre, Room 2"),
    "training_waitlisted": ("training.waitlisted", {**BOOKING, "position": 2},
                            "[WTGR] On the waiting list: WTGR Bronze: the Model for Improvement, Tuesday 14 April "
                            "2026 at 09:30", "You are number 2 on its\nwaiting list"),
    "training_promoted": ("training.promoted", BOOKING,
                          "[WTGR] A place is yours: WTGR Bronze: the Model for Improvement, Tuesday 14 April 2026 at "
                          "09:30", "as first on the waiting list, you now have it"),
    "training_session_rescheduled": ("training.session_rescheduled",
                                     {**BOOKING, "was_when": "Monday 13 April 2026 at 09:30"},
                                     "[WTGR] Training moved: WTGR Bronze: the Model for Improvement, now Tuesday 14 "
                                     "April 2026 at 09:30", "Was: Monday 13 April 2026 at 09:30"),
    "training_session_cancelled": ("training.session_cancelled", {**BOOKING, "reason": "The trainer is unwell"},
                                   "[WTGR] Training cancelled: WTGR Bronze: the Model for Improvement, Tuesday 14 "
                                   "April 2026 at 09:30", "Reason: The trainer is unwell"),
    "training_reminder": ("training.reminder", {**BOOKING, "days_before": 1},
                          "[WTGR] Reminder: WTGR Bronze: the Model for Improvement tomorrow, Tuesday 14 April 2026 "
                          "at 09:30", "you have a place on"),
    "training_certificate": ("training.certificate_issued",
                             {**BOOKING, "path": "/training/certificates/7KQ2-M9XD-4TPA",
                              "certificate_code": "7KQ2-M9XD-4TPA"},
                             "[WTGR] Your certificate: WTGR Bronze: the Model for Improvement",
                             "verification code is 7KQ2-M9XD-4TPA"),
}


@dataclass(frozen=True)
class Email:
    recipients: tuple[str, ...]
    subject: str
    body: str
    html: str


def compose(event_type, data):
    """The emails an event's audience is sent when each chose to hear of it at once."""
    notice = notices.notice_for(event_type, data)
    if notice is None:
        return []
    told = told_for(HUB, event_type, data, notice.template, list(notice.recipients))
    return [Email((one.email,), one.subject, *single_email(HUB, one)[:2]) for one in told]


def test_every_template_is_reachable_from_an_example_and_every_example_has_a_template():
    assert sorted(EXAMPLES) == [name for name in EmailTemplates().names() if name != "training_update"]


@pytest.mark.parametrize("template", sorted(EXAMPLES))
def test_each_email_has_its_subject_its_words_and_a_link_to_the_page_on_the_portal(template):
    event_type, data, subject, words = EXAMPLES[template]
    emails = compose(event_type, data)
    assert [email.recipients for email in emails] == [(person["email"],) for person in data["audience"]]
    first = emails[0]
    assert first.subject == subject
    assert words in first.body
    assert f"https://wtgr.trust.example{data['path']}" in first.body
    assert "You receive this email because" in first.body


def test_each_address_hears_once_per_event_whatever_its_case_or_how_often_it_is_listed():
    audience = [PAT, {**PAT, "email": "PAT@Example.org", "relation": "follower"}, SAM, SAM]
    emails = compose("idea.merged", {**EXAMPLES["idea_merged"][1], "audience": audience})
    assert [email.recipients for email in emails] == [("pat@example.org",), ("sam@trust.example",)]


def test_an_email_greets_by_name_and_says_why_it_was_sent_to_that_person():
    pat, sam = compose(*EXAMPLES["idea_declined"][:2])
    assert pat.body.startswith("Dear Pat Jones,\n")
    assert "because you put forward this idea." in pat.body and "Thank you for taking the time" in pat.body
    assert sam.body.startswith("Hello,\n")
    assert "because you follow it." in sam.body and "Thank you for taking the time" not in sam.body


def test_the_submitter_of_the_idea_hears_that_it_became_a_published_story():
    lee, pat = compose(*EXAMPLES["story_published"][:2])
    assert pat.subject == "[WTGR] Your idea became this: How Ward 7 halved its falls"
    assert 'Your idea became this: "How Ward 7 halved its falls"' in pat.body
    assert "Open it on the WTGR portal: https://wtgr.trust.example/stories/ward-7-falls" in pat.body
    assert lee.subject == "[WTGR] Success story published: How Ward 7 halved its falls"


def test_a_title_cannot_break_the_subject_onto_two_lines():
    [email, _] = compose("idea.submitted", {**IDEA, "channel": "staff", "title": "Two\nlines"})
    assert email.subject == "[WTGR] We received your idea: Two lines"


@pytest.mark.parametrize("event_type, data", [
    ("idea.stage_changed", {**IDEA, "from_stage": "under_review", "to_stage": "merged"}),  # told by idea.merged
    ("idea.stage_changed", {**IDEA, "from_stage": None, "to_stage": "moderation"}),  # told by idea.submitted
    ("project.stage_changed", {**PROJECT, "from_stage": "active", "to_stage": "completed"}),  # project.completed
    ("project.created", {**PROJECT, "stage": "approved"}),
    ("idea.submitted", {"idea_id": IDEA["idea_id"], "title": "v1", "description": "d", "submitted_by": "s"}),
    ("idea.submitted", {**IDEA, "channel": "anonymous", "audience": []}),
])
def test_a_step_told_by_another_event_an_earlier_version_or_an_empty_audience_emails_no_one(event_type, data):
    assert compose(event_type, data) == []


def test_every_relation_says_why_in_words():
    assert set(RELATIONS) <= set(notices.BECAUSE)


def test_the_board_pack_email_lists_the_missing_feeds_and_the_rows_not_accepted_in_words():
    [email] = compose(*EXAMPLES["board_pack_feeds_missing"][:2])
    assert "The board pack for November 2026 is due on Monday 14 December 2026." in email.body
    assert "This measure has not arrived for November 2026:" in email.body
    assert "Send it through the data feed before the board pack" in email.body
    two = {**BOARD_PACK, "missing_count": 2, "missing": BOARD_PACK["missing"] * 2}
    [email_of_two] = compose("board_pack.feeds_missing", two)
    assert "These 2 measures have not arrived for November 2026:" in email_of_two.body
    assert ("- ALOS, WARD-77, November 2026 (from PAS discharges extract, 2 December 2026): "
            "rejected: unknown unit WARD-77") in email.body
    assert "because you own a data source that feeds the trust's KPIs." in email.body
    garbled = {**BOARD_PACK, "missing": [], "missing_count": 0,
               "dead_lettered": [{**BOARD_PACK["dead_lettered"][0], "period": "Nov-26", "kpi_code": None}]}
    [email] = compose("board_pack.feeds_missing", garbled)
    assert email.subject == "[WTGR] Before the board pack on 14 December 2026: 1 row not accepted"
    assert '- no KPI, WARD-77, "Nov-26"' in email.body


def test_the_html_part_says_the_same_escaped_with_the_link_and_the_unsubscribe_link():
    [pat, _] = compose("idea.submitted", {**IDEA, "channel": "staff", "title": "Beds <b>& chairs</b>"})
    assert "Beds &lt;b&gt;&amp; chairs&lt;/b&gt;" in pat.html and "<b>&" not in pat.html
    assert 'href="https://wtgr.trust.example' + IDEA["path"] + '"' in pat.html
    assert 'href="https://wtgr.trust.example/unsubscribe/' in pat.html
    assert "<img" not in pat.html  # readable with images blocked: there are none


def test_a_board_pack_notice_is_its_recipients_alone_and_has_no_followers():
    assert notices.topic_of("board_pack.feeds_missing", BOARD_PACK) == "board-packs"
    assert notices.followed_topics("board_pack.feeds_missing", BOARD_PACK) == ()
    assert notices.kind_of("board_pack.feeds_missing", "data_source_owner") == "kpi_overdue"
