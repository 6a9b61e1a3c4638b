import pytest

from services.stories.adapters.chart_svg import chart_table, render_before_after_svg
from services.stories.domain import resources
from services.stories.domain.before_after import before_after
from services.stories.domain.stories import (
    PUBLISHED,
    AlreadyPublished,
    Completion,
    check_publishable,
    clean_tags,
    draft_tags,
    numbered_slug,
    slug_for,
    summary_of,
)
from shared.errors import InvalidInput

SERIES = [("2025-07", 9.0), ("2025-08", 8.0), ("2025-09", 7.0), ("2025-10", 5.0), ("2025-11", 4.0)]


def test_a_slug_is_the_title_in_lower_case_ascii_words_joined_by_hyphens():
    assert slug_for("Falls on WARD-7: down by a third!") == "falls-on-ward-7-down-by-a-third"
    assert slug_for("Café à la carte") == "cafe-a-la-carte"
    assert slug_for("!!!") == "story"


def test_a_taken_slug_is_numbered_from_two_and_stays_within_its_length():
    assert numbered_slug("falls", 1) == "falls"
    assert numbered_slug("falls", 2) == "falls-2"
    assert len(numbered_slug("x" * 80, 12)) == 80


def test_tags_are_lower_cased_and_deduplicated_and_a_bad_one_is_refused_by_name():
    assert clean_tags(["Falls", "falls", "Well Led"]) == ["falls", "well-led"]
    with pytest.raises(InvalidInput) as refused:
        clean_tags(["<script>"])
    assert refused.value.field == "tags"


def test_a_published_story_cannot_be_published_again():
    with pytest.raises(AlreadyPublished):
        check_publishable(PUBLISHED)


def test_the_drafted_summary_says_the_aim_then_the_results_and_tags_come_from_the_cqc_questions():
    completion = Completion("Falls", "Reduce falls by a third", "Falls fell from 8 to 5", "", "Medicine", ("safe",))
    assert summary_of(completion) == "The aim: Reduce falls by a third\n\nWhat happened: Falls fell from 8 to 5"
    assert draft_tags(completion) == ["safe", "medicine"]
    assert summary_of(Completion("Falls", "")) == "Falls is complete."


def test_the_series_is_split_at_the_month_the_project_started():
    chart = before_after("FALLS", "WARD-7", "Falls, Ward 7", "count", SERIES, "2025-10")
    assert chart.before == [9.0, 8.0, 7.0]
    assert chart.after == [5.0, 4.0]
    assert (chart.before_mean, chart.after_mean, chart.change) == (8.0, 4.5, -3.5)
    assert "8 count over 3 months before the project started in 2025-10" in chart.describe()


def test_without_a_known_start_there_is_no_baseline_and_the_words_say_so():
    chart = before_after("FALLS", "WARD-7", "Falls, Ward 7", "count", SERIES, None)
    assert chart.change is None
    assert "no baseline" in chart.describe()


def test_the_chart_is_an_accessible_svg_image_whose_text_is_escaped():
    chart = before_after("FALLS", "WARD-7", "Falls <b>", "count", SERIES, "2025-10")
    svg = render_before_after_svg(chart, title="Falls & more")
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert "<title id=\"chart-title\">Falls &amp; more</title>" in svg
    assert "<desc id=\"chart-desc\">Falls &lt;b&gt;" in svg
    assert svg.count("<circle") == 5
    assert "project started 2025-10" in svg


def test_the_chart_table_holds_every_point_with_its_phase():
    table = chart_table(before_after("FALLS", "WARD-7", "Falls", "count", SERIES, "2025-10"))
    assert [row["phase"] for row in table["rows"]] == ["before"] * 3 + ["after"] * 2
    assert table["change"] == -3.5


def test_an_empty_series_draws_an_empty_chart_that_says_why():
    svg = render_before_after_svg(before_after("FALLS", "WARD-7", "Falls", "count", [], None), title="Falls")
    assert "No monthly values" in svg and "<circle" not in svg


def test_a_video_link_or_course_needs_a_link_and_holds_no_file():
    with pytest.raises(InvalidInput):
        resources.check_link(resources.VIDEO_LINK, None)
    with pytest.raises(resources.NotAFileResource):
        resources.check_file(resources.COURSE, "application/pdf", 10, 100)


def test_a_file_must_be_an_allowed_type_not_empty_and_within_the_bound():
    resources.check_file(resources.TEMPLATE, "application/pdf", 100, 100)
    with pytest.raises(InvalidInput):
        resources.check_file(resources.TEMPLATE, "text/html", 10, 100)
    with pytest.raises(InvalidInput):
        resources.check_file(resources.TEMPLATE, "application/pdf", 0, 100)
    with pytest.raises(resources.FileTooLarge):
        resources.check_file(resources.TEMPLATE, "application/pdf", 101, 100)
