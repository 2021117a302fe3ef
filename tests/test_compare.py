"""The comparison maths of audit.compare, on plain values (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from audit.compare import (
    ItemTally,
    Mean,
    Nps,
    Place,
    Row,
    Tally,
    change,
    months_between,
    previous_period,
    ranked,
    row,
    sort_rows,
    total,
    touchpoint_scores,
    weakest_order,
    weakest_touchpoint,
)
from audit.presentation import heat_band


def test_nps_is_promoters_minus_detractors_over_all_answers():
    # 9 and 10 promote, 0-6 detract, 7 and 8 count only in the denominator.
    answers = [10, 9, 9, 8, 7, 6, 0, None]
    nps = Nps.of(answers)
    assert (nps.promoters, nps.detractors, nps.answers) == (3, 2, 7)
    assert nps.value == pytest.approx(100 * (3 - 2) / 7)


def test_nps_is_null_without_answers_and_spans_minus_100_to_100():
    assert Nps.of([]).value is None
    assert Nps.of([None, None]).value is None
    assert Nps.of([10, 9]).value == 100.0
    assert Nps.of([0, 6]).value == -100.0
    assert Nps.of([7, 8]).value == 0.0


def test_mean_leaves_nulls_out_and_adds_up_exactly():
    a = Mean.of([80.0, None, 70.0])
    b = Mean.of([None, 90.0])
    assert a.value == 75.0
    assert (a + b).value == pytest.approx(80.0)
    assert Mean.of([None]).value is None
    assert Mean().value is None


def test_tallies_of_two_locations_add_up_to_the_mean_of_all_their_audits():
    # Location A: two audits (60, 80); location B: one (100).  The region's
    # mean is over audits (80), not over the two locations' means (85).
    a = Tally(2, Mean.of([60.0, 80.0]), touchpoints={"phone": Mean.of([50.0, 70.0])})
    b = Tally(1, Mean.of([100.0]), touchpoints={"phone": Mean.of([90.0]), "web": Mean.of([40.0])})
    both = a + b
    assert both.audits == 3
    assert both.overall.value == pytest.approx(80.0)
    assert both.touchpoint_means(["web", "phone"]) == {
        "web": 40.0,
        "phone": pytest.approx(70.0),
    }
    assert total([a, b]) == both
    assert total([]).audits == 0


def test_touchpoint_means_keep_journey_order_and_show_missing_ones_as_null():
    t = Tally(1, touchpoints={"checkout": Mean(50.0, 1), "legacy": Mean(10.0, 1)})
    means = t.touchpoint_means(["phone", "checkout"])
    assert list(means) == ["phone", "checkout", "legacy"]
    assert means["phone"] is None


def test_an_audits_touchpoint_score_is_the_section_weighted_mean_of_its_sections():
    sections = [
        ("service", 1.0, 100.0),
        ("service", 3.0, 0.0),
        ("phone", 2.0, 80.0),
        ("phone", 1.0, None),
        ("website", 1.0, None),
    ]
    assert touchpoint_scores(sections) == {"service": 25.0, "phone": 80.0, "website": None}


def place(code: str) -> Place:
    return Place(code, f"Shop {code}", "North")


def test_league_order_is_overall_descending_nulls_last_then_code():
    rows = [
        row(place("C"), Tally(1, Mean.of([70.0])), []),
        row(place("B"), Tally(1, Mean.of([None])), []),
        row(place("A"), Tally(1, Mean.of([70.0])), []),
        row(place("D"), Tally(1, Mean.of([90.0])), []),
    ]
    ranked_rows = ranked(rows)
    assert [(r.place.key, r.rank) for r in ranked_rows] == [("D", 1), ("A", 2), ("C", 3), ("B", 4)]


def test_sorting_any_column_puts_rows_without_a_value_last_both_ways():
    rows = ranked(
        [
            row(place("A"), Tally(1, Mean.of([70.0]), nps=Nps.of([10])), ["phone"]),
            row(place("B"), Tally(1, Mean.of([80.0]), nps=Nps.of([])), ["phone"]),
            row(place("C"), Tally(1, Mean.of([60.0]), nps=Nps.of([0])), ["phone"]),
        ]
    )
    assert [r.place.key for r in sort_rows(rows, "nps", True)] == ["A", "C", "B"]
    assert [r.place.key for r in sort_rows(rows, "nps", False)] == ["C", "A", "B"]
    assert [r.place.key for r in sort_rows(rows, "rank", False)] == ["B", "A", "C"]
    assert [r.place.key for r in sort_rows(rows, "name", True)] == ["C", "B", "A"]
    assert [r.place.key for r in sort_rows(rows, "touchpoint:phone", False)] == ["A", "B", "C"]


def test_change_is_points_since_the_previous_period_and_null_without_both():
    assert change(75.0, 70.0) == 5.0
    assert change(None, 70.0) is None
    assert change(75.0, None) is None
    r = row(place("A"), Tally(1, Mean.of([60.0])), [], previous=Mean.of([65.0, 75.0]))
    assert r.previous_overall == 70.0
    assert r.change == -10.0


def test_the_json_row_carries_the_contract_keys():
    r = ranked([row(place("A"), Tally(2, Mean.of([60.0, 70.0]), nps=Nps.of([9, 5])), ["x"])])[0]
    data = r.to_json()
    for key in ("code", "name", "region", "audits", "overall", "service", "experience", "nps"):
        assert key in data
    assert data["touchpoints"] == {"x": None}
    assert data["overall"] == 65.0 and data["nps"] == 0.0 and data["service"] is None


@pytest.mark.parametrize(
    ("start", "end", "before"),
    [
        # A monthly wave is compared with the month before, whatever its length.
        ("2026-03-01", "2026-03-31", ("2026-02-01", "2026-02-28")),
        ("2026-01-01", "2026-01-31", ("2025-12-01", "2025-12-31")),
        # A quarter of whole months with the quarter before.
        ("2026-04-01", "2026-06-30", ("2026-01-01", "2026-03-31")),
        # Anything else: as many days, just before.
        ("2026-03-10", "2026-03-19", ("2026-02-28", "2026-03-09")),
        ("2026-03-01", "2026-03-15", ("2026-02-14", "2026-02-28")),
    ],
)
def test_previous_period(start, end, before):
    got = previous_period(date.fromisoformat(start), date.fromisoformat(end))
    assert got == (date.fromisoformat(before[0]), date.fromisoformat(before[1]))


def test_months_between_lists_every_month_including_empty_ones():
    assert months_between(date(2025, 11, 15), date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert months_between(date(2026, 2, 1), date(2026, 1, 1)) == []


def test_heat_bands_follow_the_printed_whole_number():
    assert heat_band(None).key == "none"
    assert heat_band(100.0).key == "5"
    assert heat_band(89.6).key == "5"  # printed as 90
    assert heat_band(89.4).key == "4"
    assert heat_band(70.0).key == "3"
    assert heat_band(60.0).key == "2"
    assert heat_band(59.4).key == "1"
    assert heat_band(0.0).key == "1"


def test_weakest_touchpoint_is_the_lowest_mean_first_in_journey_on_a_tie():
    assert weakest_touchpoint({"web": 80.0, "phone": 55.0, "checkout": 55.0}) == "phone"
    assert weakest_touchpoint({"web": None}) is None
    assert Row(place("A"), 1, None, None, None, None, {"a": 3.0, "b": 1.0}).weakest == "b"


def test_weakest_items_are_ordered_by_fail_rate_then_mean_points():
    tallies = {
        "greeting": ItemTally(answered=10, failed=5, points=5.0),
        "restroom": ItemTally(answered=4, failed=2, points=1.0),
        "receipt": ItemTally(answered=10, failed=1, points=9.0),
        "unused": ItemTally(),
    }
    assert weakest_order(tallies) == ["restroom", "greeting", "receipt"]
    assert tallies["restroom"].fail_rate == 0.5
    assert (tallies["greeting"] + tallies["receipt"]).fail_rate == pytest.approx(0.3)
    assert ItemTally().fail_rate is None
