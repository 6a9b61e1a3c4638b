"""The SVG drawing of SPC and run charts: well-formed, accessible, coloured the MDC way."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from services.metrics.adapters.svg import POINT_COLOURS, render_run_svg, render_spc_svg
from services.metrics.domain.runchart import run_chart
from services.metrics.domain.spc import SpcOptions, xmr_chart

SVG = "{http://www.w3.org/2000/svg}"
BASELINE = [10.0, 11.0, 9.0, 10.0, 12.0, 9.0, 11.0, 10.0, 9.0, 11.0, 10.0, 12.0, 10.0, 11.0]
WITH_SPIKE = [*BASELINE, 40.0]


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def text_of(root: ET.Element, tag: str) -> str:
    element = root.find(f"{SVG}{tag}")
    assert element is not None and element.text is not None, f"no <{tag}>"
    return element.text


def title_of(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None and title.text is not None, "no <title>"
    return title.text


def classes(element: ET.Element) -> list[str]:
    return element.get("class", "").split()


def markers(root: ET.Element) -> list[ET.Element]:
    return [circle for circle in root.iter(f"{SVG}circle") if "point" in classes(circle)]


def lines_of_class(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [line for line in root.iter(f"{SVG}line") if css_class in classes(line)]


def test_the_svg_parses_as_xml_with_a_title_and_a_description_for_screen_readers() -> None:
    root = parsed(render_spc_svg(xmr_chart(BASELINE), title="Average length of stay"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert text_of(root, "title") == "Average length of stay"
    assert "XmR chart of 14 points" in text_of(root, "desc")


def test_every_point_gets_exactly_one_marker() -> None:
    root = parsed(render_spc_svg(xmr_chart(WITH_SPIKE), title="ALOS"))
    assert len(markers(root)) == len(WITH_SPIKE)


def test_a_planted_special_cause_is_marked_as_improvement_in_blue() -> None:
    chart = xmr_chart(WITH_SPIKE, SpcOptions(improvement_direction="increase"))
    spike = markers(parsed(render_spc_svg(chart, title="ALOS")))[-1]
    assert "special_cause_improvement" in classes(spike)
    assert spike.get("fill") == POINT_COLOURS["special_cause_improvement"]


def test_common_cause_points_are_grey() -> None:
    first = markers(parsed(render_spc_svg(xmr_chart(BASELINE), title="ALOS")))[0]
    assert "common_cause" in classes(first)
    assert first.get("fill") == POINT_COLOURS["common_cause"]


def test_a_script_in_the_title_is_escaped_and_stays_text() -> None:
    title = "<script>alert('x')</script> & co"
    svg = render_spc_svg(xmr_chart(BASELINE), title=title)
    assert "<script>" not in svg
    assert text_of(parsed(svg), "title") == title


def test_each_period_draws_one_mean_segment_and_the_segments_step_at_the_rebase() -> None:
    chart = xmr_chart(WITH_SPIKE + BASELINE, SpcOptions(rebase_at=(len(WITH_SPIKE),)))
    means = lines_of_class(parsed(render_spc_svg(chart, title="ALOS")), "mean")
    assert len(means) == len(chart.periods) == 2
    assert float(means[0].get("x2", "nan")) < float(means[1].get("x1", "nan"))


def test_process_limits_are_dashed_and_the_mean_is_solid() -> None:
    root = parsed(render_spc_svg(xmr_chart(BASELINE), title="ALOS"))
    assert {line.get("stroke-dasharray") for line in lines_of_class(root, "limit")} == {"6 4"}
    assert lines_of_class(root, "mean")[0].get("stroke-dasharray") is None


def test_a_target_is_drawn_only_when_there_is_one() -> None:
    with_target = parsed(render_spc_svg(xmr_chart(BASELINE, SpcOptions(target=10.5)), title="ALOS"))
    without = parsed(render_spc_svg(xmr_chart(BASELINE), title="ALOS"))
    assert len(lines_of_class(with_target, "target")) == 1
    assert lines_of_class(without, "target") == []


def test_the_axis_is_labelled_with_the_first_and_last_dates_and_the_icons_are_named() -> None:
    dates = [f"2025-{month:02d}" for month in range(1, 13)] + ["2026-01", "2026-02"]
    chart = xmr_chart(BASELINE, SpcOptions(improvement_direction="decrease", target=8.0))
    root = parsed(render_spc_svg(chart, title="ALOS", dates=dates))
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert {"2025-01", "2026-02"} <= set(texts)
    icon_titles = [title_of(group) for group in root.iter(f"{SVG}g") if "icon" in classes(group)]
    assert icon_titles == ["Variation: common cause variation", "Assurance: the target may or may not be met"]


def test_a_run_chart_draws_its_median_and_one_marker_per_point() -> None:
    root = parsed(render_run_svg(run_chart(BASELINE), title="ALOS"))
    assert len(markers(root)) == len(BASELINE)
    assert len(lines_of_class(root, "median")) == 1


def test_a_single_point_still_draws() -> None:
    root = parsed(render_spc_svg(xmr_chart([5.0]), title="One month"))
    assert len(markers(root)) == 1


def months(n: int) -> list[str]:
    return [f"{2025 + (i // 12)}-{i % 12 + 1:02d}" for i in range(n)]


def annotation_groups(root: ET.Element) -> list[ET.Element]:
    return [group for group in root.iter(f"{SVG}g") if "annotation" in classes(group)]


def test_an_annotated_month_gets_a_marked_line_with_its_note_and_the_description_names_it() -> None:
    note = "PDSA 2: hourly rounding <b>at night</b> on every bay of the ward"
    root = parsed(render_spc_svg(xmr_chart(BASELINE), title="Falls", dates=months(len(BASELINE)),
                                 annotations=[("2025-03", note), ("2030-01", "outside the chart")]))
    [group] = annotation_groups(root)
    assert text_of(group, "title") == f"2025-03: {note}"
    label = text_of(group, "text")
    assert label.startswith("PDSA 2: hourly rounding") and label.endswith("…") and len(label) == 40
    [line] = group.iter(f"{SVG}line")
    assert float(line.get("x1", "")) == float(line.get("x2", ""))
    assert f"Annotations: 2025-03: {note}." in text_of(root, "desc")


def test_a_note_on_one_of_the_last_months_is_written_to_the_left_of_its_line_so_it_stays_on_the_chart() -> None:
    dates = months(len(BASELINE))
    notes = [(dates[1], "PDSA 1: falls checklist"), (dates[-1], "PDSA 2: night rounds")]
    root = parsed(render_spc_svg(xmr_chart(BASELINE), title="Falls", dates=dates, annotations=notes))
    width = float(root.get("viewBox", "0 0 0 0").split()[2])
    early, late = ([text for text in group.iter(f"{SVG}text")][0] for group in annotation_groups(root))
    assert early.get("text-anchor") == "start"
    assert late.get("text-anchor") == "end" and float(late.get("x", "")) < width


def test_a_run_chart_shows_its_annotations_too() -> None:
    values = [4.0, 5.0, 6.0, 5.0, 4.0]
    root = parsed(render_run_svg(run_chart(values), title="Short", dates=months(5),
                                 annotations=[("2025-02", "PDSA 1: new leaflet")]))
    assert [text_of(group, "text") for group in annotation_groups(root)] == ["PDSA 1: new leaflet"]


def test_the_icons_are_drawn_as_making_data_count_draws_them() -> None:
    chart = xmr_chart(WITH_SPIKE, SpcOptions(improvement_direction="decrease", target=20.0))
    root = parsed(render_spc_svg(chart, title="Falls"))
    icons = {classes(group)[1]: group for group in root.iter(f"{SVG}g") if "icon" in classes(group)}
    assert set(icons) == {"variation", "assurance"}
    assert chart.variation_icon in classes(icons["variation"])
    assert icons["variation"].find(f"{SVG}circle") is not None
    assert title_of(icons["variation"]).startswith("Variation:")


def test_rebases_are_marked_with_their_reasons_and_pdsa_starts_apart_from_other_notes() -> None:
    dates = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02", "2026-03"]
    chart = xmr_chart(WITH_SPIKE, SpcOptions(rebase_at=(12,)))
    root = parsed(render_spc_svg(chart, title="Falls", dates=dates, rebases=[("2026-01", "New falls bundle")],
                                 annotations=[("2025-06", "Ward closed"), ("2025-11", "PDSA 1: night checks")],
                                 pdsa_months={"2025-11"}))
    [rebase] = [g for g in root.iter(f"{SVG}g") if "rebase" in classes(g)]
    assert "New falls bundle" in title_of(rebase)
    kinds = sorted(tuple(classes(g)) for g in root.iter(f"{SVG}g") if "annotation" in classes(g))
    assert kinds == [("annotation",), ("annotation", "pdsa")]
    description = text_of(root, "desc")
    assert "Rebased at 2026-01: New falls bundle" in description and "PDSA" in description


def test_provisional_months_are_drawn_hollow_after_the_judged_ones_and_said_so() -> None:
    dates = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]
    root = parsed(render_spc_svg(xmr_chart(BASELINE), title="Falls", dates=dates,
                                 provisional=[("2026-03", 3.0)]))
    [hollow] = [c for c in root.iter(f"{SVG}circle") if "provisional" in classes(c)]
    assert hollow.get("fill") == "#ffffff"
    assert "2026-03: 3 (provisional" in title_of(hollow)
    assert "provisional" in text_of(root, "desc")


def test_values_are_labelled_with_the_kpis_decimal_places() -> None:
    values = [4.869999999999999, *BASELINE[1:]]
    root = parsed(render_spc_svg(xmr_chart(values), title="ALOS", decimal_places=2))
    labels = [title_of(c) for c in markers(root)]
    assert labels[0].startswith("point 0: 4.87")
