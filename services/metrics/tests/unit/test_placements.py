"""Where a unit sits month by month: moves from a month, and moves that would put a unit below itself."""

from datetime import date

from services.metrics.domain.placements import EARLIEST, Placement, loop_after_move, moved, parent_in

JAN, APR, JUL = date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1)


def test_a_move_keeps_the_months_before_it_under_the_old_parent() -> None:
    placements = moved([Placement("DIR-A", EARLIEST)], "DIR-B", APR)
    assert placements == [Placement("DIR-A", EARLIEST, APR), Placement("DIR-B", APR)]
    assert [parent_in(placements, month) for month in (EARLIEST, JAN, date(2025, 3, 1), APR, JUL)] == [
        "DIR-A", "DIR-A", "DIR-A", "DIR-B", "DIR-B"]


def test_a_move_replaces_what_was_to_hold_after_its_month() -> None:
    before = [Placement("DIR-A", EARLIEST, APR), Placement("DIR-B", APR, JUL), Placement("DIR-C", JUL)]
    assert moved(before, "DIR-D", date(2025, 5, 1)) == [
        Placement("DIR-A", EARLIEST, APR), Placement("DIR-B", APR, date(2025, 5, 1)),
        Placement("DIR-D", date(2025, 5, 1))]


def test_moving_back_to_the_parent_of_the_month_before_joins_that_placement() -> None:
    before = [Placement("DIR-A", EARLIEST, APR), Placement("DIR-B", APR)]
    assert moved(before, "DIR-A", APR) == [Placement("DIR-A", EARLIEST)]


def test_a_move_from_the_earliest_month_corrects_every_month() -> None:
    before = [Placement("DIR-A", EARLIEST, APR), Placement("DIR-B", APR)]
    assert moved(before, "DIR-C", EARLIEST) == [Placement("DIR-C", EARLIEST)]


def test_a_unit_with_no_placement_for_a_month_has_no_parent_then() -> None:
    assert parent_in([Placement("DIR-A", APR)], JAN) is None


def test_a_move_under_a_unit_below_it_is_a_loop_from_the_month_it_holds() -> None:
    tree = {"DIR-A": [Placement("TRUST", EARLIEST)], "WARD-1": [Placement("DIR-A", EARLIEST)]}
    tree["DIR-A"] = moved(tree["DIR-A"], "WARD-1", APR)
    assert loop_after_move(tree, "DIR-A", APR) == APR


def test_a_loop_only_in_past_months_is_found_too() -> None:
    # WARD-1 sat under DIR-A until April, then under DIR-B. DIR-A moving under WARD-1 from January
    # is no loop now, but would be one from January to March.
    tree = {"DIR-A": [Placement("TRUST", EARLIEST)], "DIR-B": [Placement("TRUST", EARLIEST)],
            "WARD-1": [Placement("DIR-A", EARLIEST, APR), Placement("DIR-B", APR)]}
    tree["DIR-A"] = moved(tree["DIR-A"], "WARD-1", JAN)
    assert loop_after_move(tree, "DIR-A", JAN) == JAN
    tree["DIR-A"] = moved([Placement("TRUST", EARLIEST)], "WARD-1", APR)
    assert loop_after_move(tree, "DIR-A", APR) is None


def test_a_move_within_the_tree_is_no_loop() -> None:
    tree = {"DIR-A": [Placement("TRUST", EARLIEST)], "DIR-B": [Placement("TRUST", EARLIEST)],
            "WARD-1": [Placement("DIR-A", EARLIEST)]}
    tree["WARD-1"] = moved(tree["WARD-1"], "DIR-B", APR)
    assert loop_after_move(tree, "WARD-1", APR) is None
